/**
 * Parallel, deterministic gzip (RFC 1952 around one RFC 1951 deflate stream), pigz's method: the
 * input is cut into fixed-size chunks; each chunk is deflated on its own (on libuv's thread pool)
 * with the previous 32 KiB of input as its dictionary and ends with a sync flush (an empty stored
 * block, RFC 1951 §3.2.4) so the pieces join byte-aligned; only the last chunk sets BFINAL.
 * The chunk size is a format constant, never derived from the core count or from timing, so the
 * same bytes in give the same bytes out on every machine with the same zlib.
 */
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { availableParallelism } from 'node:os';
import { OcipackError } from '../../core/errors.js';

/** Uncompressed bytes per independently deflated chunk. Changing it changes every layer digest. */
export const GZIP_CHUNK_BYTES = 1024 * 1024;
/** Deflate's window: each chunk may refer this far back into the previous one. */
const WINDOW_BYTES = 32 * 1024;
/** Output buffer per deflate round trip. */
const OUT_CHUNK_BYTES = 64 * 1024;
/** Gzip header byte 9 ("OS"): 255 = unknown, as Go's compress/gzip writes, on every platform. */
const OS_UNKNOWN = 255;

export interface ParallelGzipOptions {
  /** zlib level 1..9 (default 6). */
  level?: number;
  /** Chunk size; only tests change it (default GZIP_CHUNK_BYTES). */
  chunkBytes?: number;
  /** Chunks compressed at once; affects speed and memory, never the output (default: cores + 1). */
  concurrency?: number;
  /**
   * Called with each written buffer of exactly `chunkBytes` once it has been compressed and is no
   * longer read, so the writer can fill it again (fewer allocations, lower peak memory).
   */
  recycle?: (buf: Buffer) => void;
}

/** The fixed 10-byte gzip header: no name, MTIME 0, OS unknown; XFL as zlib sets it for `level`. */
export function gzipHeader(level: number): Buffer {
  const xfl = level === 9 ? 2 : level === 1 ? 4 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, OS_UNKNOWN]);
}

/** A Transform that gzips what is written to it, compressing chunks in parallel, output in order. */
export function createParallelGzip(opts: ParallelGzipOptions = {}): Transform {
  return new ParallelGzip(opts);
}

interface Pending {
  done: Promise<Buffer>;
  /** The caller's buffer, handed back through `recycle` once compressed. */
  owned?: Buffer;
}

class ParallelGzip extends Transform {
  private readonly level: number;
  private readonly chunkBytes: number;
  private readonly maxInFlight: number;
  private readonly recycle: ((buf: Buffer) => void) | undefined;
  private parts: Buffer[] = [];
  private buffered = 0;
  private dictionary: Buffer = Buffer.alloc(0);
  private crc = 0;
  private total = 0;
  private readonly queue: Pending[] = [];
  private headerSent = false;

  constructor(opts: ParallelGzipOptions) {
    super();
    this.level = opts.level ?? 6;
    if (!Number.isInteger(this.level) || this.level < 1 || this.level > 9) {
      throw new OcipackError('USAGE', `gzip level must be 1..9, got ${this.level}`);
    }
    this.chunkBytes = opts.chunkBytes ?? GZIP_CHUNK_BYTES;
    if (!Number.isInteger(this.chunkBytes) || this.chunkBytes < 1) {
      throw new OcipackError('USAGE', `gzip chunk size must be a positive integer, got ${this.chunkBytes}`);
    }
    this.maxInFlight = Math.max(1, opts.concurrency ?? availableParallelism() + 1);
    this.recycle = opts.recycle;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.accept(chunk).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    this.finish().then(() => cb(), cb);
  }

  private async accept(chunk: Buffer): Promise<void> {
    if (this.buffered === 0 && chunk.length === this.chunkBytes) return this.dispatch(chunk, false, chunk);
    let data = chunk;
    while (this.buffered + data.length >= this.chunkBytes) {
      const take = this.chunkBytes - this.buffered;
      this.parts.push(data.subarray(0, take));
      this.buffered += take;
      data = data.subarray(take);
      await this.dispatch(this.takeBuffered(), false);
    }
    if (data.length > 0) {
      this.parts.push(data);
      this.buffered += data.length;
    }
  }

  private async finish(): Promise<void> {
    await this.dispatch(this.takeBuffered(), true);
    while (this.queue.length > 0) await this.drainOne();
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.total % 2 ** 32, 4);
    this.push(trailer);
  }

  private takeBuffered(): Buffer {
    const buf = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.buffered);
    this.parts = [];
    this.buffered = 0;
    return buf;
  }

  /** Queue one chunk for compression; waits for the oldest chunk first when enough are in flight. */
  private async dispatch(input: Buffer, last: boolean, owned?: Buffer): Promise<void> {
    while (this.queue.length >= this.maxInFlight) await this.drainOne();
    this.crc = zlib.crc32(input, this.crc);
    this.total += input.length;
    const pending: Pending = { done: deflateChunk(input, this.dictionary, this.level, last) };
    if (owned) pending.owned = owned;
    this.queue.push(pending);
    this.dictionary = nextDictionary(this.dictionary, input);
  }

  private async drainOne(): Promise<void> {
    const head = this.queue.shift();
    if (!head) return;
    const out = await head.done;
    if (head.owned) this.recycle?.(head.owned);
    if (!this.headerSent) {
      this.push(gzipHeader(this.level));
      this.headerSent = true;
    }
    if (out.length > 0) this.push(out);
  }
}

/** The last 32 KiB of input seen so far (the previous chunk may be shorter than a window). */
function nextDictionary(previous: Buffer, input: Buffer): Buffer {
  if (input.length >= WINDOW_BYTES) return Buffer.from(input.subarray(input.length - WINDOW_BYTES));
  const joined = Buffer.concat([previous, input]);
  return joined.subarray(Math.max(0, joined.length - WINDOW_BYTES));
}

/** Raw-deflate one chunk on the thread pool: sync flush in the middle, finish at the end. */
function deflateChunk(input: Buffer, dictionary: Buffer, level: number, last: boolean): Promise<Buffer> {
  const options: zlib.ZlibOptions = {
    level,
    finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
    // 64 KiB of output per thread-pool round trip: deflate spends milliseconds on it, so the trips
    // cost nothing, and small uniform buffers are recycled by malloc instead of raising peak memory.
    chunkSize: OUT_CHUNK_BYTES,
  };
  if (dictionary.length > 0) options.dictionary = dictionary;
  const p = new Promise<Buffer>((resolve, reject) => {
    zlib.deflateRaw(input, options, (err, out) => (err ? reject(new OcipackError('IO', `deflate failed: ${err.message}`, { cause: err })) : resolve(out)));
  });
  // A failure is reported when the chunk's turn comes; keep it from counting as unhandled meanwhile.
  p.catch(() => undefined);
  return p;
}
