/**
 * Several sources, one layer (flux2#3810): `-f dir1 -f dir2=apps/extra -f file.yaml -f -` walked one by
 * one (each with its own ignore rules and `.sourceignore` files), placed at their target paths and
 * merged into the single sorted entry list pack writes. Two sources writing the same path is a usage
 * error naming both; a tree left with no file is refused unless the caller allows it (SPEC §4).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { OcipackError, usageError } from '../../core/errors.js';
import type { IgnoreRule } from './ignore.js';
import { walk, type WalkEntry, type WalkOptions } from './walk.js';

/** One `-f` value: what to read (`-` is stdin) and where it goes ('' = the root; `dir/` = into dir). */
export interface SourceSpec {
  path: string;
  /** Posix path inside the artifact, '' for the root; a trailing '/' puts a file under its own name. */
  target: string;
  /** The value as the user wrote it, for messages. */
  given: string;
}

/** The stdin file once buffered: where it is and its default name. */
export interface StdinFile {
  file: string;
  size: number;
  name: string;
}

/**
 * Parses `-f` values. `src=target` is split at the last `=`, unless the whole value names an existing
 * path (a file called `a=b.yaml` still packs as before); `a=b=.` forces the split.
 */
export function parseSources(values: string | readonly string[]): SourceSpec[] {
  const list = typeof values === 'string' ? [values] : [...values];
  if (list.length === 0 || list.some((v) => v === '')) throw usageError('`path` is required: the directory or file to pack', { option: 'path' });
  const specs = list.map((given) => {
    const eq = given.lastIndexOf('=');
    if (eq < 0 || (given !== '-' && existsSync(given))) return { path: given, target: '', given };
    const src = given.slice(0, eq);
    if (src === '') throw usageError(`invalid \`path\` "${given}": nothing before "="`, { option: 'path' });
    return { path: src, target: normaliseTarget(given.slice(eq + 1), given), given };
  });
  if (specs.filter((s) => s.path === '-').length > 1) throw usageError('`path` - (stdin) can be given only once', { option: 'path' });
  return specs;
}

/** A target path made posix and relative; absolute paths, `..`, backslashes and NUL are usage errors. */
function normaliseTarget(raw: string, given: string): string {
  const intoDir = raw.endsWith('/');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (raw.startsWith('/') || /[\\\0]/.test(raw) || parts.includes('..')) {
    throw usageError(`invalid target in \`path\` "${given}": use a relative path inside the artifact, without "..", "\\" or NUL`, { option: 'path' });
  }
  const joined = parts.join('/');
  return intoDir && joined !== '' ? `${joined}/` : joined;
}

/** What a gather saw being ignored, for the empty-artifact message. */
export interface IgnoredLog {
  count: number;
  /** Distinct deciding rules, in the order first met. */
  rules: Map<string, string>;
  examples: string[];
}

/** Every entry of every source at its target, in archive order; collisions are usage errors naming both sources. */
export async function gatherEntries(specs: SourceSpec[], opts: Omit<WalkOptions, 'path'>, stdin?: StdinFile): Promise<{ entries: WalkEntry[]; ignored: IgnoredLog }> {
  const ignored: IgnoredLog = { count: 0, rules: new Map(), examples: [] };
  const onIgnored = (rel: string, _isDir: boolean, rule: IgnoreRule | undefined): void => {
    ignored.count++;
    if (ignored.examples.length < 3) ignored.examples.push(rel);
    if (rule) ignored.rules.set(`${rule.pattern}\0${rule.origin ?? ''}`, `"${rule.pattern}" (${rule.origin ?? 'ignore rules'})`);
    opts.onIgnored?.(rel, _isDir, rule);
  };
  const lists: Array<{ spec: SourceSpec; entries: WalkEntry[] }> = [];
  for (const spec of specs) {
    if (spec.path === '-') {
      if (!stdin) throw new OcipackError('USAGE', 'no stdin stream to pack');
      const name = spec.target === '' ? stdin.name : spec.target.endsWith('/') ? `${spec.target}${stdin.name}` : spec.target;
      lists.push({ spec, entries: withParents(name, [{ path: name, type: 'file', mode: 0o644, size: stdin.size, absPath: stdin.file }]) });
      continue;
    }
    const found = await walk({ ...opts, path: spec.path, onIgnored });
    lists.push({ spec, entries: placed(spec, found) });
  }
  if (lists.length === 1 && lists[0]!.spec.target === '') return { entries: lists[0]!.entries, ignored };
  return { entries: merge(lists), ignored };
}

/** A source's entries under its target: a directory's contents below it, a file at it (or inside it with `/`). */
function placed(spec: SourceSpec, found: WalkEntry[]): WalkEntry[] {
  if (spec.target === '') return found;
  const single = found.length === 1 && found[0]!.type === 'file' && found[0]!.absPath === path.resolve(spec.path);
  if (single) {
    const name = spec.target.endsWith('/') ? `${spec.target}${found[0]!.path}` : spec.target;
    return withParents(name, [{ ...found[0]!, path: name }]);
  }
  const dir = spec.target.replace(/\/$/, '');
  return withParents(`${dir}/x`, found.map((e) => ({ ...e, path: `${dir}/${e.path}` })));
}

/** `entries` preceded by a directory entry for each parent of `file` (`a`, `a/b` for `a/b/c`). */
function withParents(file: string, entries: WalkEntry[]): WalkEntry[] {
  const parts = file.split('/').slice(0, -1);
  const parents = parts.map((_, i): WalkEntry => ({ path: parts.slice(0, i + 1).join('/'), type: 'dir', mode: 0o755, size: 0, absPath: '' }));
  return [...parents, ...entries];
}

function merge(lists: Array<{ spec: SourceSpec; entries: WalkEntry[] }>): WalkEntry[] {
  const byPath = new Map<string, { entry: WalkEntry; from: SourceSpec }>();
  for (const { spec, entries } of lists) {
    for (const entry of entries) {
      const had = byPath.get(entry.path);
      if (!had) byPath.set(entry.path, { entry, from: spec });
      else if (had.entry.type !== 'dir' || entry.type !== 'dir') {
        throw usageError(`"${entry.path}" would come from two sources: \`path\` "${had.from.given}" and \`path\` "${spec.given}"`,
          { option: 'path', path: entry.path, next: 'sources-collide' });
      }
    }
  }
  return [...byPath.values()].map((v) => v.entry).sort((a, b) => comparePaths(a.path, b.path));
}

/** Archive order (SPEC §4): component by component in UTF-8 byte order, a directory before what it holds. */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = Buffer.compare(Buffer.from(pa[i]!, 'utf8'), Buffer.from(pb[i]!, 'utf8'));
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

/** Refuses an empty stdin (`false | ocipack push … -f -` read zero bytes) as an empty tree is refused, unless allowed. */
export function checkStdinNotEmpty(stdin: StdinFile | undefined): void {
  if (stdin?.size !== 0) return;
  throw usageError('nothing to pack: stdin is empty (0 bytes read)', { option: 'allowEmpty', next: 'empty-stdin' });
}

/** Refuses a tree without a single file (SPEC §4, issue 15 §8), naming the sources and the rules that removed everything. */
export function checkNotEmpty(entries: WalkEntry[], specs: SourceSpec[], ignored: IgnoredLog): void {
  if (entries.some((e) => e.type === 'file')) return;
  const where = specs.map((s) => `"${s.path}"`).join(', ');
  const hint = { option: 'allowEmpty', next: 'empty-tree' } as const;
  if (ignored.count === 0) throw usageError(`nothing to pack: ${where} holds no files`, hint);
  const rules = [...ignored.rules.values()];
  const shownRules = rules.slice(0, 6).join(', ') + (rules.length > 6 ? `, and ${rules.length - 6} more` : '');
  const examples = ignored.examples.map((e) => `"${e}"`).join(', ');
  throw usageError(
    `nothing to pack: every file in ${where} is ignored (${ignored.count} path(s) left out, e.g. ${examples}; by ${shownRules || 'the ignore rules'})`,
    hint,
  );
}
