/**
 * The look at the files before a push (issue 28 §4), on the entry list pack is about to write: each
 * file some detector wants (secrets.ts, by name) is read up to DEFAULTS.guard.headBytes, and every
 * file's size is checked. `refuse` (push without `allowSecrets`) throws one FindingsError for every
 * credential found; otherwise (build, diff, push with `allowSecrets`) each finding is a warning.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { DEFAULTS } from '../core/defaults.js';
import { fsError } from '../core/errno.js';
import { OcipackError } from '../core/errors.js';
import { describeFinding, FindingsError, isSecret, type Finding } from '../core/findings.js';
import type { WalkEntry } from './tar/walk.js';
import { hitsIn, interestIn } from './secrets.js';

export interface GuardOptions {
  /** Throw a FindingsError when a credential is found (a push); else only report. */
  refuse: boolean;
  /** Told of each finding that does not refuse the operation (a warning). */
  onFinding?: (f: Finding, message: string) => void;
  signal?: AbortSignal;
  headBytes?: number;
  largeFileBytes?: number;
}

/** Everything found in `entries`, in archive order: big files by size, credentials by reading each wanted file's head. */
export function inspectEntries(entries: readonly WalkEntry[], opts: Omit<GuardOptions, 'refuse' | 'onFinding'> = {}): Finding[] {
  const headBytes = opts.headBytes ?? DEFAULTS.guard.headBytes;
  const largeFileBytes = opts.largeFileBytes ?? DEFAULTS.guard.largeFileBytes;
  const out: Finding[] = [];
  let buf: Buffer | undefined;
  for (const e of entries) {
    if (e.type !== 'file') continue;
    if (opts.signal?.aborted) throw new OcipackError('CANCELLED', 'packing cancelled');
    const at = { path: e.path, file: e.absPath };
    if (e.size > largeFileBytes) {
      out.push({ ...at, kind: 'large-file', message: `a big file for a config artifact (${formatSize(e.size)}, over ${formatSize(largeFileBytes)})` });
    }
    if (e.size === 0 || !interestIn(posix.basename(e.path))) continue;
    buf ??= Buffer.allocUnsafe(headBytes);
    const text = readHead(e, buf).toString('utf8');
    for (const h of hitsIn(posix.basename(e.path), text)) out.push({ ...at, ...(h.line === undefined ? {} : { line: h.line }), kind: h.kind, message: h.message });
  }
  return out;
}

/**
 * The guard as pack's `inspect` hook: findings reported, or a push refused. Synchronous reads, like the
 * walk's: the files were just listed, and a thread-pool round trip per small file costs more than the read.
 */
export async function guardEntries(entries: readonly WalkEntry[], opts: GuardOptions): Promise<void> {
  const findings = inspectEntries(entries, opts);
  const refused = opts.refuse ? findings.filter(isSecret) : [];
  for (const f of findings) {
    if (refused.includes(f)) continue;
    opts.onFinding?.(f, isSecret(f) && !opts.refuse ? `${describeFinding(f)}; push refuses it unless allowed` : describeFinding(f));
  }
  if (refused.length > 0) throw new FindingsError(refused);
}

/** `1.5 MiB`: sizes in the finding's message (the CLI's formatter lives in the face). */
function formatSize(n: number): string {
  const [unit, div] = n >= 1024 * 1024 ? ['MiB', 1024 * 1024] : ['KiB', 1024];
  return `${Number((n / div).toFixed(2))} ${unit}`;
}

/** The first bytes of a file, up to the buffer's size (a file that shrank since the walk gives what is there). */
function readHead(e: WalkEntry, buf: Buffer): Buffer {
  let fd: number;
  try {
    fd = openSync(e.absPath, 'r');
  } catch (err) {
    throw fsError(`cannot read "${e.path}"`, err);
  }
  try {
    const want = Math.min(buf.length, e.size);
    let got = 0;
    while (got < want) {
      const n = readSync(fd, buf, got, want - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } catch (err) {
    throw fsError(`cannot read "${e.path}"`, err);
  } finally {
    closeSync(fd);
  }
}
