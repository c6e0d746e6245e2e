/** The local side of `diff <ref> --path`: the tree exactly as push would pack it (its walk), each file hashed. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { fsError } from '../../core/errno.js';
import { OcipackError } from '../../core/errors.js';
import type { WalkEntry } from '../tar/pack.js';
import type { SideEntry } from './tree.js';

/** A walked entry as a side of the comparison, given its content's sha256. */
export function localEntry(e: WalkEntry, sha256: string): SideEntry {
  return e.type === 'file' ? { type: 'file', sha256, exec: (e.mode & 0o100) !== 0, absPath: e.absPath, size: e.size } : { type: 'dir' };
}

/** Files up to this size are read whole: a stream per small file costs more than the hashing. */
const READ_WHOLE_BYTES = 1024 * 1024;

/** The hex sha256 of a walked entry's content ('' for a directory). */
export async function hashEntry(e: WalkEntry, signal: AbortSignal | undefined): Promise<string> {
  if (e.type !== 'file') return '';
  const hash = createHash('sha256');
  try {
    if (e.size <= READ_WHOLE_BYTES) hash.update(await readFile(e.absPath, signal ? { signal } : {}));
    else await pipeline(createReadStream(e.absPath), hash, signal ? { signal } : {});
  } catch (err) {
    if (signal?.aborted) throw new OcipackError('CANCELLED', 'diff cancelled', { cause: err });
    throw fsError(`cannot read "${e.path}"`, err);
  }
  return hash.digest('hex');
}
