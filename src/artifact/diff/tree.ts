/**
 * The file-by-file comparison behind `diff`: two trees of hashed entries (an artifact's layer, or a local
 * directory as push would pack it) → added, removed and changed paths, and unified patches of text files.
 * Bodies are kept only while they may still be shown: a file whose twin on the other side has the same
 * hash drops its body at once, and all kept bodies together stay under one budget.
 */
import { readFile } from 'node:fs/promises';
import { createTwoFilesPatch } from 'diff';
import { DEFAULTS } from '../../core/defaults.js';
import type { TarListEntry } from '../tar/hash.js';

export type DiffStatus = 'added' | 'removed' | 'changed';

export interface DiffChange {
  /** added: only in b (local, or the second artifact); removed: only in a (the artifact); changed: in both, different. */
  status: DiffStatus;
  path: string;
  /** For `changed`: what differs. */
  reason?: 'content' | 'mode' | 'type';
  /** With `unified`: the unified diff, a/ → b/, for text files. */
  patch?: string;
  /** With `unified`: why there is no patch (binary content, a file too big to show, or past the memory budget of kept bodies). */
  noPatch?: 'binary' | 'too large' | 'over budget';
}

/** What one side holds at a path: a file (hash + exec bit) or a directory. */
export interface SideEntry {
  type: 'file' | 'dir';
  sha256?: string;
  exec?: boolean;
  /** Local files: where to read the content (for a unified diff). */
  absPath?: string;
  size?: number;
  /** Artifact files: the content, when kept for a unified diff or the Kubernetes objects. */
  body?: Buffer;
  /** Artifact files: a body that was wanted but not kept (the budget was spent). */
  overBudget?: boolean;
}

/** Paths that differ between a (the artifact) and b; directories count only where the other side has a file. */
export function compareTrees(b: ReadonlyMap<string, SideEntry>, a: ReadonlyMap<string, SideEntry>): DiffChange[] {
  const out: DiffChange[] = [];
  const paths = new Set([...b.keys(), ...a.keys()]);
  for (const path of paths) {
    const l = b.get(path);
    const r = a.get(path);
    if (l?.type !== 'file' && r?.type !== 'file') continue;
    if (!r) out.push({ status: 'added', path });
    else if (!l) out.push({ status: 'removed', path });
    else if (l.type !== r.type) out.push({ status: 'changed', path, reason: 'type' });
    else if (l.sha256 !== r.sha256) out.push({ status: 'changed', path, reason: 'content' });
    else if (l.exec !== r.exec) out.push({ status: 'changed', path, reason: 'mode' });
  }
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** Bytes of bodies the sides of one diff may still keep (shared by both). */
export interface KeepBudget {
  left: number;
}

/** A fresh budget of DEFAULTS.caps.diffKeptBytes. */
export function keepBudget(bytes = DEFAULTS.caps.diffKeptBytes): KeepBudget {
  return { left: bytes };
}

/** One side's tree as its layer streams in; link two sides with `pair` so unchanged files drop their bodies. */
export class TreeSide {
  readonly entries = new Map<string, SideEntry>();
  /** Links, devices and FIFOs: not compared (pull never creates them). */
  readonly skipped: string[] = [];
  other: TreeSide | undefined;

  constructor(private readonly budget: KeepBudget) {}

  /** Record one entry of readTarEntries (its body, if any, kept only while it may be shown). */
  add(e: TarListEntry): void {
    if (e.type === 'other') this.skipped.push(e.path);
    else if (e.type === 'dir') this.entries.set(e.path, { type: 'dir' });
    else this.entries.set(e.path, this.fileEntry(e));
  }

  private fileEntry(e: TarListEntry): SideEntry {
    const entry: SideEntry = { type: 'file', sha256: e.sha256 ?? '', exec: (e.mode & 0o100) !== 0, size: e.size };
    if (!e.body) return entry;
    const twin = this.other?.entries.get(e.path);
    if (twin?.type === 'file' && twin.sha256 === entry.sha256) {
      this.release(twin);
      return entry;
    }
    if (e.body.length > this.budget.left) return { ...entry, overBudget: true };
    this.budget.left -= e.body.length;
    return { ...entry, body: e.body };
  }

  private release(e: SideEntry): void {
    if (e.body) this.budget.left += e.body.length;
    delete e.body;
  }
}

/** Link two sides: each drops a body whose path and hash the other already holds. */
export function pair(a: TreeSide, b: TreeSide): void {
  a.other = b;
  b.other = a;
}

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
