/**
 * Crash-safe file writes (DESIGN.md convention 3): data goes to a temp file in the target's own
 * directory, is fsync'ed, and only then becomes visible under its final name (rename, or link for
 * create-only writes), so readers see either the old file, the complete new one, or nothing.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OcipackError } from '../core/errors.js';

/** What can be written: bytes, text, or a stream / async iterable of chunks (consumed once). */
export type WriteSource = Uint8Array | string | AsyncIterable<Uint8Array | string>;

export interface AtomicWriteOptions {
  /** File mode of the new file (before umask); default 0o644. */
  mode?: number;
  /** Stops the copy between chunks; the temp file is removed. */
  signal?: AbortSignal;
}

/** A unique temp name beside `path`, so the final rename never crosses filesystems. */
export function tempPathFor(path: string): string {
  const tag = `${process.pid}.${randomBytes(6).toString('hex')}`;
  return join(dirname(path), `.${basename(path).slice(0, 80)}.${tag}.tmp`);
}

/**
 * Write `source` to `path` atomically: temp file + fsync + rename + directory fsync. Errors thrown by
 * the source (for example a digest check at its end) abort the write and leave no file behind.
 */
export async function writeFileAtomic(path: string, source: WriteSource, opts: AtomicWriteOptions = {}): Promise<void> {
  const tmp = tempPathFor(path);
  await writeTemp(tmp, source, opts);
  try {
    await rename(tmp, path);
  } catch (err) {
    await removeQuietly(tmp);
    throw ioError('cannot rename into', path, err);
  }
  await fsyncDir(dirname(path));
}

/**
 * Create `path` with `source` only if it does not exist yet (temp file + fsync + link, which fails
 * atomically when the name is taken). Resolves true when this call created the file.
 */
export async function writeFileExclusive(path: string, source: WriteSource, opts: AtomicWriteOptions = {}): Promise<boolean> {
  const tmp = tempPathFor(path);
  await writeTemp(tmp, source, opts);
  try {
    await link(tmp, path);
    await fsyncDir(dirname(path));
    return true;
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false;
    throw ioError('cannot create', path, err);
  } finally {
    await removeQuietly(tmp);
  }
}

/** Write everything to a fresh temp file and fsync it; on any failure the temp file is removed. */
async function writeTemp(tmp: string, source: WriteSource, opts: AtomicWriteOptions): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(tmp, 'wx', opts.mode ?? 0o644);
  } catch (err) {
    throw ioError('cannot create a temp file for', tmp, err);
  }
  try {
    await copyInto(handle, source, opts.signal);
    await ioStep('cannot fsync', tmp, () => handle.sync());
  } catch (err) {
    await handle.close().catch(() => undefined);
    await removeQuietly(tmp);
    throw err;
  }
  await ioStep('cannot close', tmp, () => handle.close());
}

async function copyInto(handle: FileHandle, source: WriteSource, signal: AbortSignal | undefined): Promise<void> {
  if (typeof source === 'string' || source instanceof Uint8Array) {
    await ioStep('cannot write', 'temp file', () => handle.writeFile(source));
    return;
  }
  for await (const chunk of source) {
    if (signal?.aborted) throw new OcipackError('CANCELLED', 'write cancelled', { cause: signal.reason });
    // writeFile on a handle writes the whole chunk at the current position, looping on short writes.
    await ioStep('cannot write', 'temp file', () => handle.writeFile(chunk));
  }
}

/** fsync a directory so a rename or link in it survives a crash; some filesystems refuse, which is fine. */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    /* best effort: not every platform lets a directory be fsync'ed */
  }
}

/** Delete a file, ignoring errors (used for temp-file cleanup). */
export async function removeQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch {
    /* already gone or never created */
  }
}

/** The entry's size when `path` is a regular file, undefined when nothing (or no file) is there. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : undefined;
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw ioError('cannot stat', path, err);
  }
}

/** What is at `dir`: nothing, a non-directory, a directory holding `marker`, an empty one, or another. */
export async function dirState(dir: string, marker: string): Promise<'missing' | 'file' | 'marked' | 'empty' | 'other'> {
  try {
    if (!(await stat(dir)).isDirectory()) return 'file';
    const names = await readdir(dir);
    if (names.includes(marker)) return 'marked';
    return names.length === 0 ? 'empty' : 'other';
  } catch (err) {
    if (errCode(err) === 'ENOENT') return 'missing';
    throw ioError('cannot open', dir, err);
  }
}

const chains = new Map<string, Promise<unknown>>();

/**
 * Run `fn` after every earlier call with the same `key` has settled, so read-modify-write updates of
 * one file in this process never interleave (a failed update does not block the next one).
 */
export async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = chains.get(key) ?? Promise.resolve();
  const mine = prev.then(fn, fn);
  const tail = mine.catch(() => undefined);
  chains.set(key, tail);
  try {
    return await mine;
  } finally {
    if (chains.get(key) === tail) chains.delete(key);
  }
}

/** The `code` of a Node system error (ENOENT, EEXIST, ...), if any. */
export function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** An IO OcipackError for a failed filesystem call; the message keeps the system error code only. */
export function ioError(what: string, path: string, err: unknown): OcipackError {
  if (err instanceof OcipackError) return err;
  const code = errCode(err) ?? (err instanceof Error ? err.message : String(err));
  return new OcipackError('IO', `${what} ${path}: ${code}`, { cause: err });
}

async function ioStep<T>(what: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw ioError(what, path, err);
  }
}
