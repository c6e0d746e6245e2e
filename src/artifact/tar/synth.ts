/**
 * Raw layers as a tar stream: `--layer-operation copy` and oras-style titled files become entries of
 * a tar made on the fly, so they go through the very extraction path of a tar layer (names checked
 * like tar paths, staging, atomic move, merge or --clean) instead of a second writer of their own.
 */
import { Readable } from 'node:stream';
import { OcipackError } from '../../core/errors.js';
import { encodeHeader, endOfArchive, padding } from './header.js';

/** One file of the synthetic archive: its path, its exact size and its (verified) content. */
export interface SynthFile {
  name: string;
  size: number;
  open: () => Promise<Readable> | Readable;
}

/** A tar stream holding `files` in order (mode 0644); a body that is not exactly `size` bytes fails it. */
export function filesAsTar(files: readonly SynthFile[]): Readable {
  return Readable.from(generate(files), { objectMode: false });
}

async function* generate(files: readonly SynthFile[]): AsyncGenerator<Buffer> {
  for (const f of files) {
    yield encodeHeader({ path: f.name, type: 'file', mode: 0o644, size: f.size });
    let seen = 0;
    for await (const chunk of await f.open()) {
      const buf = chunk as Buffer;
      seen += buf.length;
      if (seen > f.size) throw sizeMismatch(f, seen);
      yield buf;
    }
    if (seen !== f.size) throw sizeMismatch(f, seen);
    yield padding(f.size);
  }
  yield endOfArchive();
}

function sizeMismatch(f: SynthFile, seen: number): OcipackError {
  return new OcipackError('VERIFY', `${f.name}: expected ${f.size} bytes, got ${seen}${seen > f.size ? ' or more' : ''}`);
}
