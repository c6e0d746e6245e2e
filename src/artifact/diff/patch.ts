/** Unified patches for `diff --unified`: the content of each changed text file (kept body or local file) a → b. */
import { readFile } from 'node:fs/promises';
import { createTwoFilesPatch } from 'diff';
import { DEFAULTS } from '../../core/defaults.js';
import type { DiffChange, SideEntry } from './tree.js';

/** A file's content for display: its kept body, a local file read now, or why there is none. */
export async function contentOf(e: SideEntry | undefined, cap: number): Promise<Buffer | 'too large' | 'over budget' | undefined> {
  if (e?.type !== 'file') return undefined;
  if ((e.size ?? 0) > cap) return 'too large';
  if (e.body) return e.body;
  if (e.overBudget) return 'over budget';
  return e.absPath === undefined ? undefined : readFile(e.absPath);
}

/** Text a unified diff can show: no NUL byte and valid UTF-8 (what git calls a text file, near enough). */
export function asText(b: Buffer): string | undefined {
  if (b.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return undefined;
  }
}

/** A unified diff of two texts (undefined: the side is absent, `/dev/null`), without the `===` banner. */
export function unifiedPatch(name: string, before: string | undefined, after: string | undefined): string {
  const from = before === undefined ? '/dev/null' : `a/${name}`;
  const to = after === undefined ? '/dev/null' : `b/${name}`;
  return createTwoFilesPatch(from, to, before ?? '', after ?? '', undefined, undefined, { context: 3 }).replace(/^=+\n/, '');
}

/** A patch (or the reason for none) on every added, removed and content-changed file, a → b. */
export async function addPatches(changes: DiffChange[], b: ReadonlyMap<string, SideEntry>, a: ReadonlyMap<string, SideEntry>): Promise<void> {
  const cap = DEFAULTS.caps.diffTextBytes;
  for (const c of changes) {
    if (c.status === 'changed' && c.reason !== 'content') continue;
    const [before, after] = await Promise.all([contentOf(a.get(c.path), cap), contentOf(b.get(c.path), cap)]);
    if (typeof before === 'string' || typeof after === 'string') {
      c.noPatch = before === 'too large' || after === 'too large' ? 'too large' : 'over budget';
      continue;
    }
    const x = before === undefined ? undefined : asText(before);
    const y = after === undefined ? undefined : asText(after);
    if ((before !== undefined && x === undefined) || (after !== undefined && y === undefined)) c.noPatch = 'binary';
    else c.patch = unifiedPatch(c.path, x, y);
  }
}
