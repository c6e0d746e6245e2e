/** The text lines of `diff`: a path per changed file, a patch per file with -u, an object per line with --kubernetes. */
import type { DiffChange, ObjectChange } from '../usecases/diff.js';

/** A path from an archive on one line (a newline in a name must not fake another diff line). */
export function oneLine(path: string): string {
  return path.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One changed file: `status path`, or with `unified` its patch or diff(1)'s words for what cannot be shown. */
export function fileLine(c: DiffChange, unified: boolean): string {
  if (!unified) return `${c.status} ${oneLine(c.path)}`;
  if (c.patch !== undefined) return c.patch.trimEnd();
  const p = oneLine(c.path);
  if (c.noPatch === 'binary') return `Binary files ${c.status === 'added' ? '/dev/null' : `a/${p}`} and ${c.status === 'removed' ? '/dev/null' : `b/${p}`} differ`;
  if (c.noPatch === 'too large') return `${c.status} ${p} (larger than 1 MiB: not shown)`;
  if (c.noPatch === 'over budget') return `${c.status} ${p} (past the memory budget of this diff: not shown)`;
  return `${c.status} ${p}${c.reason === 'mode' ? ' (executable bit)' : c.reason === 'type' ? ' (file or directory)' : ''}`;
}

/** One changed object: `status Kind/ns/name`, where it moved, which paths changed; with `unified` its patch below. */
export function objectLine(o: ObjectChange, unified: boolean): string {
  const moved = o.from !== undefined && o.path !== undefined ? ` (${oneLine(o.from)} → ${oneLine(o.path)})` : '';
  const paths = o.paths && o.paths.length > 0 ? `: ${o.paths.map(oneLine).join(', ')}${o.morePaths ? ` and ${o.morePaths} more` : ''}` : '';
  const line = `${o.status} ${oneLine(o.id)}${moved}${paths}`;
  return unified && o.patch !== undefined ? `${line}\n${o.patch.trimEnd()}` : line;
}

/** Every line: with objects, the objects first, then the changed files no object line accounts for. */
export function diffLines(changes: readonly DiffChange[], objects: readonly ObjectChange[] | undefined, unified: boolean): string[] {
  if (objects === undefined) return changes.map((c) => fileLine(c, unified));
  const told = new Set(objects.flatMap((o) => [o.path, o.from]).filter((p) => p !== undefined));
  return [...objects.map((o) => objectLine(o, unified)), ...changes.filter((c) => !told.has(c.path)).map((c) => fileLine(c, unified))];
}
