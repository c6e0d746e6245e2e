/**
 * Reading files of untrusted input (an OCI layout's blobs, index.json, oci-layout): opened with
 * O_NOFOLLOW|O_NONBLOCK and checked with fstat, so no read ever follows a final symlink out of the
 * directory or hangs on a FIFO or device.
 */
import { constants, fstatSync, openSync, closeSync } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { DEFAULTS } from './defaults.js';
import { hasErrCode, ioError, ioStep, isMissing } from './errno.js';
import { OcipackError } from './errors.js';

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
 * Opens a file of untrusted input with O_NOFOLLOW|O_NONBLOCK and fstat: a symlink, FIFO, device or
 * directory is refused (UNSAFE). Undefined when nothing is there. The caller closes the handle.
 */
export async function openRegular(path: string): Promise<RegularFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, UNTRUSTED_OPEN);
  } catch (err) {
    if (isMissing(err)) return undefined;
    if (hasErrCode(err, 'ELOOP')) throw notRegular(path, 'a symbolic link');
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
    if (hasErrCode(err, 'ELOOP')) throw notRegular(path, 'a symbolic link');
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
      const chunk = Buffer.alloc(Math.min(cap + 1 - total, DEFAULTS.fileChunkBytes));
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

/** Resolves when `path` is a real directory or absent; a symlink or other file there is refused (UNSAFE). */
export async function checkRealDir(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (st.isSymbolicLink()) throw new OcipackError('UNSAFE', `${path} is a symbolic link, not a directory; refusing to use it`);
    if (!st.isDirectory()) throw new OcipackError('UNSAFE', `${path} is not a directory`);
  } catch (err) {
    if (isMissing(err)) return;
    throw ioError('cannot stat', path, err);
  }
}
