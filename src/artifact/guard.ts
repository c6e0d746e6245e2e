/**
 * The look at the files of a push (issue 28 §4), file by file as pack writes them (or on a listed tree):
 * each file some detector wants (secrets.ts, by name) is read up to DEFAULTS.guard.headBytes (or taken
 * from the bytes pack holds), and every file's size is checked. `refuse` (push without `allowSecrets`) throws one FindingsError for every
 * credential found; otherwise (build, diff, push with `allowSecrets`) each finding is a warning.
 */
import { closeSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { DEFAULTS } from '../core/defaults.js';
import { fsError } from '../core/errno.js';
import { describeFinding, FindingsError, isSecret, type Finding } from '../core/findings.js';
import { cancelCheck, openEntry, type WalkEntry } from './tar/walk.js';
import { hitsIn, interestIn, mayHit } from './secrets.js';

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
  const look = new FileLook(opts);
  for (const e of entries) look.file(e);
  return look.found;
}

/**
 * The guard file by file, for pack's `inspect` hook: each file is looked at as pack writes it (with the
 * bytes pack read, when it holds the whole file: one read of each file, and the guard sees exactly what
 * is packed), and `done` reports the findings, or refuses the push, before packing resolves.
 */
export function guardFiles(opts: GuardOptions): { file(e: WalkEntry, content?: Buffer): void; done(): void } {
  const look = new FileLook(opts);
  return { file: (e, content) => look.file(e, content), done: () => report(look.found, opts) };
}

/** The guard over a listed tree (diff): every file's head read here, then reported like guardFiles. */
export async function guardEntries(entries: readonly WalkEntry[], opts: GuardOptions): Promise<void> {
  report(inspectEntries(entries, opts), opts);
}

/** Findings reported, or a push refused. */
function report(findings: Finding[], opts: GuardOptions): void {
  const refused = opts.refuse ? findings.filter(isSecret) : [];
  for (const f of findings) {
    if (refused.includes(f)) continue;
    opts.onFinding?.(f, isSecret(f) && !opts.refuse ? `${describeFinding(f)}; push refuses it unless allowed` : describeFinding(f));
  }
  if (refused.length > 0) throw new FindingsError(refused);
}

/**
 * Looks at one file at a time: its size, and the head of the files some detector wants. Synchronous
 * reads, like the walk's: the files were just listed, and a thread-pool round trip per small file costs
 * more than the read.
 */
class FileLook {
  readonly found: Finding[] = [];
  private buf: Buffer | undefined;
  private readonly checkCancelled: () => void;
  private readonly headBytes: number;
  private readonly largeFileBytes: number;

  constructor(opts: Omit<GuardOptions, 'refuse' | 'onFinding'>) {
    this.headBytes = opts.headBytes ?? DEFAULTS.guard.headBytes;
    this.largeFileBytes = opts.largeFileBytes ?? DEFAULTS.guard.largeFileBytes;
    this.checkCancelled = cancelCheck(opts.signal);
  }

  /** `content`, when given, is the whole file (its first bytes are the head; nothing is read). */
  file(e: WalkEntry, content?: Buffer): void {
    if (e.type !== 'file') return;
    this.checkCancelled();
    const at = { path: e.path, file: e.absPath };
    if (e.size > this.largeFileBytes) {
      this.found.push({ ...at, kind: 'large-file', message: `a big file for a config artifact (${formatSize(e.size)}, over ${formatSize(this.largeFileBytes)})` });
    }
    const name = posix.basename(e.path);
    const want = e.size === 0 ? undefined : interestIn(name);
    if (!want) return;
    const head = content ? content.subarray(0, this.headBytes) : readHead(e, (this.buf ??= Buffer.allocUnsafe(this.headBytes)));
    if (!mayHit(want, head)) return;
    const text = head.toString('utf8');
    for (const h of hitsIn(name, text)) this.found.push({ ...at, ...(h.line === undefined ? {} : { line: h.line }), kind: h.kind, message: h.message });
  }
}

/** `1.5 MiB`: sizes in the finding's message (the CLI's formatter lives in the face). */
function formatSize(n: number): string {
  const [unit, div] = n >= 1024 * 1024 ? ['MiB', 1024 * 1024] : ['KiB', 1024];
  return `${Number((n / div).toFixed(2))} ${unit}`;
}

/** The first bytes of a file, up to the buffer's size (a file that shrank since the walk gives what is there). */
function readHead(e: WalkEntry, buf: Buffer): Buffer {
  const fd = openEntry(e);
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
