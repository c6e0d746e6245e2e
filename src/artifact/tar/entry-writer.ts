/**
 * Writes a pull's checked tar entries, one by one, into its fresh staging directory (SPEC §5;
 * extract-dir.ts makes that directory and moves the result into place). The directory is ours and
 * never receives a symlink, so plain paths below it cannot lead outside; files are opened with
 * O_EXCL|O_NOFOLLOW anyway. All calls are synchronous so the tar reader never buffers a body.
 */
import * as fs from 'node:fs';
import { errCode, fsError } from '../../core/errno.js';
import { OcipackError } from '../../core/errors.js';
import type { TarItem, TarSink } from './read.js';
import { joinChecked, quote } from './path.js';

type Known = 'file' | 'dir' | 'implicit' | 'symlink';

const OPEN_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW ?? 0);

/** File mode: permission bits only (no setuid/setgid/sticky), always owner read/write. */
function safeFileMode(mode: number): number {
  return (mode & 0o777) | 0o600;
}

/** Directory mode: permission bits only, always owner rwx so extraction and cleanup work. */
function safeDirMode(mode: number): number {
  return (mode & 0o777) | 0o700;
}

/** The entries of one archive as they arrive: directories and files created, everything else refused or skipped. */
export class EntryWriter {
  private readonly known = new Map<string, Known>();
  private openFd: number | undefined;
  private files = 0;
  private dirs = 0;
  private bytes = 0;
  private readonly skipped: string[] = [];

  constructor(
    private readonly root: string,
    private readonly onWarning?: (message: string) => void,
    /** Told after each file is written: files and content bytes so far. */
    private readonly onFile?: (files: number, bytes: number) => void,
    /** The output `root` stages for: what a failed write names (default `root`). */
    private readonly output: string = root,
  ) {}

  /** Creates the entry (or records why not) and returns a sink for a file's body. */
  visit(item: TarItem): TarSink | undefined {
    if (item.path === '') return undefined; // the archive root ('./'): the target itself
    this.claim(item);
    switch (item.kind) {
      case 'dir':
        this.mkdir(item.path, safeDirMode(item.mode));
        this.dirs += 1;
        return undefined;
      case 'file':
        return this.createFile(item);
      case 'symlink':
        this.skip(item.path, `symlink to ${quote(item.linkpath ?? '')}`);
        return undefined;
      default:
        throw new OcipackError('UNSAFE', `refusing ${item.kind} entry ${quote(item.path)}`);
    }
  }

  /** Records an entry that was not extracted, with a warning naming it. */
  skip(name: string, reason: string): void {
    this.skipped.push(name);
    this.onWarning?.(`skipping ${quote(name)}: ${reason}`);
  }

  /** Closes a file left open by a failed read. */
  close(): void {
    if (this.openFd !== undefined) {
      fs.closeSync(this.openFd);
      this.openFd = undefined;
    }
  }

  result(): { files: number; dirs: number; bytes: number; skipped: string[] } {
    return { files: this.files, dirs: this.dirs, bytes: this.bytes, skipped: [...this.skipped] };
  }

  /**
   * Rejects duplicates and names that would pass through a file or a (skipped) symlink. Parents are
   * looked up nearest first: a directory already known had all of its own parents checked when it was
   * claimed, and a known path never changes kind, so the walk up stops at the first known directory.
   */
  private claim(item: TarItem): void {
    this.claimParents(item.path);
    const before = this.known.get(item.path);
    if (before === 'implicit' && item.kind === 'dir') {
      this.known.set(item.path, 'dir');
      return;
    }
    if (before !== undefined) throw unsafe(`refusing duplicate entry ${quote(item.path)}`);
    this.known.set(item.path, item.kind === 'dir' ? 'dir' : item.kind === 'file' ? 'file' : 'symlink');
  }

  /** Checks the parents of `rel` (nearest first) and creates the missing ones, outermost first. */
  private claimParents(rel: string): void {
    const missing: string[] = [];
    for (let end = rel.lastIndexOf('/'); end > 0; end = rel.lastIndexOf('/', end - 1)) {
      const parent = rel.slice(0, end);
      const kind = this.known.get(parent);
      if (kind === 'symlink') throw unsafe(`refusing entry ${quote(rel)} below symlink ${quote(parent)}`);
      if (kind === 'file') throw unsafe(`refusing entry ${quote(rel)} below file ${quote(parent)}`);
      if (kind !== undefined) break;
      missing.push(parent);
    }
    for (let i = missing.length - 1; i >= 0; i--) {
      this.mkdir(missing[i]!, 0o755);
      this.known.set(missing[i]!, 'implicit');
    }
  }

  private mkdir(rel: string, mode: number): void {
    const abs = this.abs(rel);
    try {
      fs.mkdirSync(abs, { mode });
    } catch (err) {
      const code = errCode(err);
      if (code === 'EEXIST' && fs.lstatSync(abs).isDirectory()) return;
      if (code === 'EEXIST' || code === 'ENOTDIR') throw unsafe(`entry ${quote(rel)} collides with an earlier entry`);
      throw fsError(`cannot create directory ${quote(rel)} in ${this.output}`, err, this.output);
    }
  }

  private createFile(item: TarItem): TarSink {
    let fd: number;
    try {
      fd = fs.openSync(this.abs(item.path), OPEN_FLAGS, safeFileMode(item.mode));
    } catch (err) {
      const code = errCode(err);
      if (code === 'EEXIST' || code === 'ELOOP' || code === 'ENOTDIR' || code === 'EISDIR') {
        throw unsafe(`entry ${quote(item.path)} collides with an earlier entry`);
      }
      throw fsError(`cannot create ${quote(item.path)} in ${this.output}`, err, this.output);
    }
    this.openFd = fd;
    return {
      write: (chunk) => {
        try {
          for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off, chunk.length - off);
        } catch (err) {
          throw fsError(`cannot write ${quote(item.path)} in ${this.output}`, err, this.output);
        }
        this.bytes += chunk.length;
      },
      end: () => {
        this.close();
        this.files += 1;
        this.onFile?.(this.files, this.bytes);
      },
    };
  }

  /** `rel` is a checked name (read.ts). */
  private abs(rel: string): string {
    return joinChecked(this.root, rel);
  }
}

function unsafe(message: string): OcipackError {
  return new OcipackError('UNSAFE', message);
}
