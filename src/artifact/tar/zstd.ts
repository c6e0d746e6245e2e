/**
 * zstd layers (`application/vnd.oci.image.layer.v1.tar+zstd`, what `skopeo copy --dest-compress-format
 * zstd` writes): decompressed by Node's own zlib where the running Node has it (22.15+, 23.8+), else by
 * fzstd (pure JavaScript, no dependencies, ~24 KiB; loaded only for a zstd layer), so Node 20 pulls
 * them too. Output is handed on in bounded chunks; the caller counts them against the layer cap.
 */
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { OcipackError } from '../../core/errors.js';

/** A zstd frame starts with these four bytes (RFC 8878 §3.1.1). */
export const ZSTD_MAGIC: readonly number[] = [0x28, 0xb5, 0x2f, 0xfd];
/** A gzip member starts with these two bytes (RFC 1952 §2.3.1). */
export const GZIP_MAGIC: readonly number[] = [0x1f, 0x8b];

/** What the first bytes of a layer say it is. */
export type LayerFormat = 'gzip' | 'zstd' | 'tar';

/** The compression the magic bytes announce; anything else is read as plain tar. */
export function sniffFormat(head: Buffer): LayerFormat {
  if (head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) return 'gzip';
  if (head.length >= 4 && ZSTD_MAGIC.every((b, i) => head[i] === b)) return 'zstd';
  return 'tar';
}

type ZlibWithZstd = typeof zlib & { createZstdDecompress?: (opts?: { chunkSize?: number }) => Transform };

/** Which decoder this Node uses for zstd: its zlib, or the fzstd library. */
export function zstdDecoder(): 'node:zlib' | 'fzstd' {
  return typeof (zlib as ZlibWithZstd).createZstdDecompress === 'function' ? 'node:zlib' : 'fzstd';
}

/** A zstd decompressing Transform; fails with one clear line when no decoder can be loaded. */
export async function createZstdDecompressor(chunkSize = 256 * 1024): Promise<Transform> {
  const native = (zlib as ZlibWithZstd).createZstdDecompress;
  if (typeof native === 'function') return native({ chunkSize });
  let lib: typeof import('fzstd');
  try {
    lib = await import('fzstd');
  } catch (err) {
    throw new OcipackError('BAD_INPUT', `zstd layers are not supported on Node ${process.versions.node}: it has no zlib zstd and the fzstd package is missing`, {
      context: { next: 'zstd-node' },
      cause: err,
    });
  }
  return fzstdTransform(lib);
}

/** fzstd's push decoder as a stream: each pushed chunk's output is passed on before the next is read. */
function fzstdTransform(lib: typeof import('fzstd')): Transform {
  let out: Transform;
  const decoder = new lib.Decompress((data) => {
    if (data.length > 0) out.push(Buffer.from(data)); // a copy: fzstd may reuse its window buffer
  });
  let seen = 0;
  out = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      try {
        decoder.push(chunk);
        cb();
      } catch (err) {
        cb(zstdError(err));
      }
    },
    flush(cb: TransformCallback) {
      try {
        if (seen === 0) throw new Error('empty input');
        decoder.push(new Uint8Array(0), true);
        cb();
      } catch (err) {
        cb(zstdError(err));
      }
    },
  });
  return out;
}

function zstdError(err: unknown): Error {
  return new Error(err instanceof Error ? err.message : String(err));
}
