/**
 * The file-by-file comparison behind `diff`: two trees of hashed entries (an artifact's layer, or a local
 * directory as push would pack it) → added, removed and changed paths (their patches: patch.ts).
 * Bodies are kept only while they may still be shown: a file whose twin on the other side has the same
 * hash drops its body at once, and all kept bodies together stay under one budget.
 */
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
    else if (e.type === 'dir') this.put(e.path, { type: 'dir' });
    else this.put(e.path, { type: 'file', sha256: e.sha256 ?? '', exec: (e.mode & 0o100) !== 0, size: e.size, ...(e.body ? { body: e.body } : {}) });
  }

  /** Record an entry; a file whose twin on the other side has the same hash keeps no body, nor does the twin. */
  put(path: string, entry: SideEntry): void {
    const twin = this.other?.entries.get(path);
    if (entry.type === 'file' && twin?.type === 'file' && twin.sha256 === entry.sha256) {
      this.release(twin);
      delete entry.body;
    } else if (entry.body && entry.body.length > this.budget.left) {
      delete entry.body;
      entry.overBudget = true;
    } else if (entry.body) {
      this.budget.left -= entry.body.length;
    }
    this.entries.set(path, entry);
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

/** The YAML files `diff --kubernetes` reads as objects. */
export function isYamlPath(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}
