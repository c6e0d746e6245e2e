/**
 * Layer compression, told by the magic bytes: gzip, or zstd (`application/vnd.oci.image.layer.v1.tar+zstd`,
 * what `skopeo copy --dest-compress-format zstd` writes), both decoded by Node's own zlib (zstd since Node
 * 22.15, 23.8). The zstd decoder's window, the memory a frame makes it keep, is bounded by
 * `DEFAULTS.zstdWindowLog` whatever the frame header claims (SPEC §5); output comes in bounded chunks
 * that the tar reader counts against the layer cap.
 */
import { Readable, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { DEFAULTS } from '../../core/defaults.js';
import { hasErrCode } from '../../core/errno.js';
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

/** The largest window a frame may ask of the decoder, in bytes. */
export const ZSTD_MAX_WINDOW_BYTES = 2 ** DEFAULTS.zstdWindowLog;

/** True when this Node's zlib decodes zstd. */
export function zstdSupported(): boolean {
  return typeof zlib.createZstdDecompress === 'function' && zlib.constants.ZSTD_d_windowLogMax !== undefined;
}

/** A zstd decompressing Transform with a bounded window; one clear line when this Node has no zstd. */
export function createZstdDecompressor(chunkSize: number): Transform {
  if (!zstdSupported()) {
    throw new OcipackError('BAD_INPUT', `zstd layers are not supported on Node ${process.versions.node}: its zlib has no zstd`, {
      context: { next: 'zstd-node' },
    });
  }
  return zlib.createZstdDecompress({ chunkSize, params: { [zlib.constants.ZSTD_d_windowLogMax]: DEFAULTS.zstdWindowLog } });
}

/**
 * The error for a failed zstd decode: a frame that wants a larger window than allowed is a cap (it is
 * not corrupt, just more than ocipack lends a decoder); anything else is `undefined`, the caller's to word.
 */
export function zstdLimitError(err: unknown): OcipackError | undefined {
  if (!hasErrCode(err, 'ZSTD_error_frameParameter_windowTooLarge')) return undefined;
  return new OcipackError('CAP', `zstd frame needs a decoding window larger than ${ZSTD_MAX_WINDOW_BYTES} bytes, the most ocipack gives a decoder`, { cause: err });
}

/**
 * The stream itself, or its gunzipped (or zstd-decompressed) content when it starts with that magic;
 * `cancelled` makes the error an abort of `signal` ends it with.
 */
export async function* decodeLayer(
  source: Readable, cancelled: () => Error, signal?: AbortSignal, onFormat?: (f: LayerFormat) => void,
): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  while (head.length < ZSTD_MAGIC.length) {
    const r = await it.next();
    if (r.done) break;
    head = Buffer.concat([head, r.value]);
  }
  let sourceError: unknown;
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } catch (err) {
      sourceError = err;
      throw err;
    }
  }
  const format = sniffFormat(head);
  onFormat?.(format);
  if (format === 'tar') {
    yield* rest();
    return;
  }
  const size = DEFAULTS.decompressChunkBytes;
  const decoder = format === 'gzip' ? zlib.createGunzip({ chunkSize: size }) : createZstdDecompressor(size);
  const compressed = Readable.from(rest());
  // A decoder busy on input already read (a bomb) stops at once, not when its next chunk is asked for.
  const onAbort = (): void => void decoder.destroy(cancelled());
  signal?.addEventListener('abort', onAbort, { once: true });
  compressed.on('error', (err) => decoder.destroy(err));
  compressed.pipe(decoder);
  try {
    for await (const chunk of decoder as AsyncIterable<Buffer>) {
      if (signal?.aborted) throw cancelled();
      yield chunk;
    }
  } catch (err) {
    if (err instanceof OcipackError || (sourceError !== undefined && err === sourceError)) throw err;
    throw zstdLimitError(err) ?? new OcipackError('BAD_INPUT', `invalid tar archive: ${format}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    compressed.destroy();
    decoder.destroy();
  }
}
