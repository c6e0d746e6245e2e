/**
 * Crash-safe file writes (DESIGN.md convention 3): data goes to a temp file in the target's own
 * directory, is fsync'ed, and only then becomes visible under its final name (rename, or link for
 * create-only writes), so readers see either the old file, the complete new one, or nothing.
 */
import { randomBytes } from 'node:crypto';
import { constants, fstatSync, openSync, closeSync } from 'node:fs';
import { link, lstat, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OcipackError, type ErrorContext } from '../core/errors.js';

/** Opening a file of untrusted input: never through a final symlink, never blocking on a FIFO or device. */
const UNTRUSTED_OPEN = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** An open regular file of untrusted input and its size. */
export interface RegularFile {
  handle: FileHandle;
  size: number;
}

function notRegular(path: string, what: string): OcipackError {
  return new OcipackError('UNSAFE', `${path} is ${what}, not a regular file; refusing to read it`);
}

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'a special file';
}

/**
 * Opens a file of untrusted input (an OCI layout's blobs, index.json, oci-layout) with
 * O_NOFOLLOW|O_NONBLOCK and fstat: a symlink, FIFO, device or directory is refused (UNSAFE), so no
 * read ever leaves the directory or hangs. Undefined when nothing is there. The caller closes the handle.
 */
export async function openRegular(path: string): Promise<RegularFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, UNTRUSTED_OPEN);
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw notRegular(path, 'a symbolic link');
    throw ioError('cannot open', path, err);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw notRegular(path, kindOf(st));
    return { handle, size: st.size };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw ioError('cannot stat', path, err);
  }
}

/** openRegular for a synchronous caller (a replayable upload body): the fd of a regular file. */
export function openRegularSync(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, UNTRUSTED_OPEN);
  } catch (err) {
    if (errCode(err) === 'ELOOP') throw notRegular(path, 'a symbolic link');
    throw ioError('cannot open', path, err);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw notRegular(path, kindOf(st));
  }
  return { fd, size: st.size };
}

/**
 * The whole of an untrusted regular file when it holds at most `cap` bytes (CAP error beyond; reads
 * stop at cap + 1 bytes whatever fstat said); undefined when missing.
 */
export async function readRegular(path: string, cap: number, what: string): Promise<Buffer | undefined> {
  const file = await openRegular(path);
  if (file === undefined) return undefined;
  const tooBig = (): OcipackError => new OcipackError('CAP', `${what} is larger than the ${cap}-byte cap`);
  try {
    if (file.size > cap) throw tooBig();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(cap + 1 - total, 1024 * 1024));
      const { bytesRead } = await ioStep('cannot read', path, () => file.handle.read(chunk, 0, chunk.length, total));
      if (bytesRead === 0) return Buffer.concat(chunks, total);
      total += bytesRead;
      chunks.push(chunk.subarray(0, bytesRead));
      if (total > cap) throw tooBig();
    }
  } finally {
    await file.handle.close().catch(() => undefined);
  }
}

/** True when `path` is a real directory or absent; a symlink or other file there is refused (UNSAFE). */
export async function checkRealDir(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (st.isSymbolicLink()) throw new OcipackError('UNSAFE', `${path} is a symbolic link, not a directory; refusing to use it`);
    if (!st.isDirectory()) throw new OcipackError('UNSAFE', `${path} is not a directory`);
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw ioError('cannot stat', path, err);
  }
}

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

/** Chunks are gathered into writes of about this size (a network stream delivers 16–64 KiB pieces). */
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Streams `source` into the file in ~1 MiB writes, the next batch gathered while the previous write is
 * on the thread pool: one round trip per MiB instead of one per network chunk (issue 16 §6).
 */
async function copyInto(handle: FileHandle, source: WriteSource, signal: AbortSignal | undefined): Promise<void> {
  if (typeof source === 'string' || source instanceof Uint8Array) {
    await ioStep('cannot write', 'temp file', () => handle.writeFile(source));
    return;
  }
  let batch: Buffer[] = [];
  let size = 0;
  let writing: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    const data = batch.length === 1 ? batch[0]! : Buffer.concat(batch, size);
    batch = [];
    size = 0;
    await writing;
    // writeFile on a handle writes the whole buffer at the current position, looping on short writes.
    writing = ioStep('cannot write', 'temp file', () => handle.writeFile(data));
    writing.catch(() => undefined); // observed by the next await; never an unhandled rejection meanwhile
  };
  try {
    for await (const chunk of source) {
      if (signal?.aborted) throw new OcipackError('CANCELLED', 'write cancelled', { cause: signal.reason });
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      batch.push(buf);
      size += buf.length;
      if (size >= WRITE_BATCH_BYTES) await flush();
    }
    if (size > 0) await flush();
  } finally {
    await writing.catch(() => undefined);
  }
  await writing;
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

/**
 * What is at `dir`: nothing, a non-directory, a directory holding `marker`, an empty one (or one holding
 * only names `ignorable` accepts, e.g. what another writer creating the same layout made), or another.
 */
export async function dirState(dir: string, marker: string, ignorable: (name: string) => boolean = () => false): Promise<'missing' | 'file' | 'marked' | 'empty' | 'other'> {
  try {
    if (!(await stat(dir)).isDirectory()) return 'file';
    const names = await readdir(dir);
    if (names.includes(marker)) return 'marked';
    return names.every(ignorable) ? 'empty' : 'other';
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
  const context: ErrorContext = code === 'ENOSPC' ? { path, next: 'disk-full' } : { path };
  return new OcipackError('IO', `${what} ${path}: ${code}`, { cause: err, context });
}

async function ioStep<T>(what: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw ioError(what, path, err);
  }
}
