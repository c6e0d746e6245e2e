/**
 * The filesystem questions the layout store asks beyond core's atomic writes (core/files.ts) and
 * untrusted reads (core/untrusted.ts): how big a blob file is, what a layout directory holds, and one
 * read-modify-write of a file at a time in this process.
 */
import { readdir, stat } from 'node:fs/promises';
import { hasErrCode, ioError, isMissing } from '../core/errno.js';

/** The entry's size when `path` is a regular file, undefined when nothing (or no file) is there. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : undefined;
  } catch (err) {
    if (isMissing(err)) return undefined;
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
    if (hasErrCode(err, 'ENOENT')) return 'missing';
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
