/**
 * Lists a layer's entries with a sha256 of every file body, without extracting anything (for
 * `diff`). Names are checked and caps apply exactly as for extraction (SPEC §5); links, devices and
 * FIFOs are reported as 'other' instead of refused.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { readTar, type ReadTarOptions, type TarItem, type TarSink } from './read.js';

export interface TarListEntry {
  /** Normalised posix path, no trailing slash. */
  path: string;
  type: 'file' | 'dir' | 'other';
  /** Permission bits as stored in the archive. */
  mode: number;
  /** Hex sha256 of the body, for files. */
  sha256?: string;
  size: number;
  /** The body itself, for files `keepBody` asks for (diff --unified, --kubernetes). */
  body?: Buffer;
}

/** Reads a tar or tar+gzip stream and reports every entry (files with their sha256, the bodies `keepBody` asks for kept) in archive order. */
export async function readTarEntries(
  stream: Readable,
  onEntry: (e: TarListEntry) => void,
  caps: Omit<ReadTarOptions, 'allowSpecial'> = {},
  keepBody: number | ((path: string, size: number) => boolean) = 0,
): Promise<void> {
  const keep = typeof keepBody === 'number' ? (_path: string, size: number) => size <= keepBody : keepBody;
  const visit = (item: TarItem): TarSink | undefined => {
    if (item.path === '') return undefined;
    const base = { path: item.path, mode: item.mode & 0o777 };
    if (item.kind === 'file') {
      const kept: Buffer[] | undefined = keep(item.path, item.size) ? [] : undefined;
      const sink = hashingSink(item, (sha256) => onEntry({ ...base, type: 'file', sha256, size: item.size, ...(kept ? { body: Buffer.concat(kept) } : {}) }));
      return kept ? { ...sink, write: (chunk) => { kept.push(Buffer.from(chunk)); return sink.write(chunk); } } : sink;
    }
    onEntry({ ...base, type: item.kind === 'dir' ? 'dir' : 'other', size: 0 });
    return undefined;
  };
  await readTar(stream, visit, { ...caps, allowSpecial: true }, (name) => onEntry({ path: name, type: 'other', mode: 0, size: 0 }));
}

/** A sink that hashes a body and hands the hex digest over at the end. */
export function hashingSink(_item: TarItem, done: (sha256: string) => void): TarSink {
  const hash = createHash('sha256');
  return {
    write: (chunk) => {
      hash.update(chunk);
    },
    end: () => done(hash.digest('hex')),
  };
}
