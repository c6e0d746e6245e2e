/**
 * Pack: directory (or file, or stdin) → deterministic tar → deterministic gzip, computing the layer
 * digest and the diff_id in one streaming pass (SPEC §4). Nothing is held in memory whole.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, createWriteStream, promises as fsp, readSync } from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULTS } from '../../core/defaults.js';
import { fsError, tempError } from '../../core/errno.js';
import { OcipackError } from '../../core/errors.js';
import { createParallelGzip, GZIP_CHUNK_BYTES } from './gzip.js';
import { encodeHeader, endOfArchive, padding } from './header.js';
import { cancelCheck, openEntry, type WalkEntry, type WalkOptions } from './walk.js';
import { checkNotEmpty, checkStdinNotEmpty, gatherEntries, parseSources, type StdinFile } from './sources.js';
import { makeTempDir } from '../../core/tempdir.js';

export type { WalkEntry } from './walk.js';

/** A look at the packed files (PackOptions.inspect). */
export interface Inspector {
  file(entry: WalkEntry, content?: Buffer): void;
  done(): void;
}

export interface PackOptions {
  /**
   * Directory or file to pack, or `-` for one file read from `stdin`; several give one layer, each as
   * `<src>[=<target>]` (sources.ts).
   */
  path: string | string[];
  ignorePaths?: string[];
  addIgnorePaths?: string[];
  resolveSymlinks?: boolean;
  /** A warning; `file` is the local path it is about, for a CI annotation. */
  onWarning?: (message: string, file?: string) => void;
  /** Cumulative bytes of file content read so far, the content size of the whole tree and its number of files (known once walked). */
  onProgress?: (bytesIn: number, totalIn: number, files: number) => void;
  /**
   * Makes the look at the files (guard.ts), one per pack: `file` is told each file as it is packed, with
   * its bytes when pack holds the whole file; `done` may refuse the tree by throwing, before packing resolves.
   */
  inspect?: () => Inspector;
  signal?: AbortSignal;
  /** Name of the single entry when packing stdin (default DEFAULTS.stdinName, `stdin.yaml`). */
  stdinName?: string;
  /** Pack a tree with no file at all (else a usage error naming the ignore rules that emptied it). */
  allowEmpty?: boolean;
  /** The stream `-` reads; required when `path` is `-`. */
  stdin?: Readable;
  /** Where stdin is buffered (default: the OS temp directory). */
  tmpDir?: string;
}

export interface PackResult {
  /** The .tar.gz written. */
  file: string;
  /** sha256 digest and size of the gzip stream: the layer descriptor. */
  digest: string;
  size: number;
  /** sha256 digest and size of the uncompressed tar: the config's `diff_ids[0]`. */
  diffId: string;
  tarSize: number;
  /** Number of tar entries (files and directories). */
  entries: number;
}


/** What would be packed, in archive order (used by diff). */
export async function listEntries(opts: PackOptions): Promise<WalkEntry[]> {
  const specs = parseSources(opts.path);
  if (specs.some((s) => s.path === '-')) throw new OcipackError('USAGE', 'cannot list the entries of stdin');
  const { entries } = await gatherEntries(specs, walkOptions(opts));
  const look = opts.inspect?.();
  if (look) {
    for (const e of entries) look.file(e);
    look.done();
  }
  return entries;
}

/** Packs into `outFile` (a temp path the caller picks and renames); removes it on failure. */
export function packToFile(opts: PackOptions, outFile: string): Promise<PackResult> {
  return intoTempFile(outFile, (out) => packToStream(opts, out));
}

/** Packs an entry list the caller made (a Helm chart's `<name>/…` files) into `outFile`, like packToFile. */
export function packEntriesToFile(entries: WalkEntry[], outFile: string, opts: Omit<PackOptions, 'path'> = {}): Promise<PackResult> {
  return intoTempFile(outFile, (out) => writeArchive(entries, out, { ...opts, path: '' }));
}

/** Runs `write` into a new file in temporary space; a failed write of the file (a full disk) is named as temporary space's. */
async function intoTempFile(outFile: string, write: (out: Writable) => Promise<Omit<PackResult, 'file'>>): Promise<PackResult> {
  const out = createWriteStream(outFile);
  let failed: unknown;
  out.once('error', (err) => { failed = err; });
  try {
    return { file: outFile, ...(await write(out)) };
  } catch (err) {
    out.destroy();
    await fsp.rm(outFile, { force: true });
    // a cancelled pack destroys the file stream too: that is the cancellation, not a failed write
    const cancelled = err instanceof OcipackError && err.code === 'CANCELLED';
    throw failed === undefined || cancelled ? err : tempError(`cannot write the packed layer ${outFile}`, failed, outFile);
  }
}

/** Packs into `out` (which is ended when done) and returns digests and sizes. */
export async function packToStream(opts: PackOptions, out: Writable): Promise<Omit<PackResult, 'file'>> {
  return withEntries(opts, (entries) => writeArchive(entries, out, opts));
}

function walkOptions(opts: PackOptions): Omit<WalkOptions, 'path'> {
  const w: Omit<WalkOptions, 'path'> = {};
  if (opts.ignorePaths !== undefined) w.ignorePaths = opts.ignorePaths;
  if (opts.addIgnorePaths !== undefined) w.addIgnorePaths = opts.addIgnorePaths;
  if (opts.resolveSymlinks !== undefined) w.resolveSymlinks = opts.resolveSymlinks;
  if (opts.onWarning !== undefined) w.onWarning = opts.onWarning;
  if (opts.signal !== undefined) w.signal = opts.signal;
  return w;
}

/**
 * Walks every source (sources.ts) and refuses an empty tree unless allowed; stdin is first buffered
 * into a temp file, byte for byte, so its size is known before the header.
 */
async function withEntries<T>(opts: PackOptions, fn: (entries: WalkEntry[]) => Promise<T>): Promise<T> {
  const specs = parseSources(opts.path);
  const gather = async (stdin?: StdinFile): Promise<T> => {
    const { entries, ignored } = await gatherEntries(specs, walkOptions(opts), stdin);
    if (!opts.allowEmpty) {
      checkStdinNotEmpty(stdin);
      checkNotEmpty(entries, specs, ignored);
    }
    return fn(entries);
  };
  if (!specs.some((s) => s.path === '-')) return gather();
  const name = opts.stdinName ?? DEFAULTS.stdinName;
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new OcipackError('USAGE', `invalid name for stdin: "${name}"`);
  }
  if (!opts.stdin) throw new OcipackError('USAGE', 'no stdin stream to pack');
  const dir = await makeTempDir('stdin', opts.tmpDir);
  try {
    const file = path.join(dir, 'stdin');
    await runPipeline([opts.stdin, createWriteStream(file, { mode: 0o600 })], opts.signal);
    const { size } = await fsp.stat(file);
    return await gather({ file, size, name });
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

async function writeArchive(entries: WalkEntry[], out: Writable, opts: PackOptions) {
  const tar = new Counter();
  const gz = new Counter();
  const chunks = new ChunkFiller(tar);
  // One chunk read ahead at most (an object stream would buffer 16 of them).
  const source = Readable.from(tarStream(entries, chunks, opts), { objectMode: true, highWaterMark: 1 });
  // Chunked deflate on the thread pool (gzip.ts): deterministic, and about twice as fast on two cores.
  const gzip = createParallelGzip({ level: DEFAULTS.gzipLevel, recycle: (buf) => chunks.recycle(buf) });
  await runPipeline([source, gzip, hashing(gz), out], opts.signal);
  return { digest: gz.digest(), size: gz.size, diffId: tar.digest(), tarSize: tar.size, entries: entries.length };
}

class Counter {
  readonly hash: Hash = createHash('sha256');
  size = 0;
  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.size += chunk.length;
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/**
 * The tar bytes in chunks of GZIP_CHUNK_BYTES, hashed as they are produced. File contents are read
 * straight into the chunk (no intermediate buffers), which keeps the garbage, and so the peak
 * memory, low: each chunk is handed to the gzip stream as is.
 */
async function* tarStream(entries: WalkEntry[], chunk: ChunkFiller, opts: PackOptions): AsyncGenerator<Buffer> {
  const progress: Progress = { bytes: 0, told: 0, total: entries.reduce((n, e) => n + e.size, 0), files: entries.filter((e) => e.type === 'file').length };
  opts.onProgress?.(0, progress.total, progress.files);
  const look = opts.inspect?.();
  const checkCancelled = cancelCheck(opts.signal);
  for (const entry of entries) {
    checkCancelled();
    const header = encodeHeader(entry);
    if (!chunk.put(header)) yield* chunk.add(header);
    if (entry.type === 'file') {
      const whole = yield* readExactly(entry, chunk, progress, opts);
      look?.file(entry, whole);
      const pad = padding(entry.size);
      if (!chunk.put(pad)) yield* chunk.add(pad);
    }
  }
  if (progress.bytes > progress.told) tellProgress(progress, opts);
  look?.done();
  yield* chunk.add(endOfArchive());
  if (chunk.used > 0) yield chunk.take();
}

/** One chunk being filled; `take()` hands it over (hashed) and starts the next, reusing compressed ones. */
class ChunkFiller {
  buf: Buffer = Buffer.allocUnsafe(GZIP_CHUNK_BYTES);
  used = 0;
  private readonly free: Buffer[] = [];
  constructor(private readonly counter: Counter) {}

  /** A chunk the gzip stream has finished with. */
  recycle(buf: Buffer): void {
    if (buf.length === GZIP_CHUNK_BYTES && this.free.length < 8) this.free.push(buf);
  }

  /** Copies `bytes` in when they fit without filling the chunk (no generator for the common small write). */
  put(bytes: Buffer): boolean {
    if (this.used + bytes.length >= this.buf.length) return false;
    this.used += bytes.copy(this.buf, this.used);
    return true;
  }

  /** Copies `bytes` in, yielding every chunk that fills up. */
  *add(bytes: Buffer): Generator<Buffer> {
    let off = 0;
    while (off < bytes.length) {
      const n = bytes.copy(this.buf, this.used, off);
      this.used += n;
      off += n;
      if (this.used === this.buf.length) yield this.take();
    }
  }

  take(): Buffer {
    const chunk = this.used === this.buf.length ? this.buf : this.buf.subarray(0, this.used);
    this.counter.update(chunk);
    this.buf = this.free.pop() ?? Buffer.allocUnsafe(GZIP_CHUNK_BYTES);
    this.used = 0;
    return chunk;
  }
}

/** File bytes read so far (`told`: as of the last progress event), of `total`, in `files` files. */
interface Progress {
  bytes: number;
  told: number;
  total: number;
  files: number;
}

/**
 * Tells the progress; called once a chunk's worth of file bytes more was read, and at the end, not per
 * file: an event per small file cost more than reading it (1.6 ms of a 300-file pack, CPU profile).
 */
function tellProgress(progress: Progress, opts: PackOptions): void {
  progress.told = progress.bytes;
  opts.onProgress?.(progress.bytes, progress.total, progress.files);
}

/**
 * Reads exactly the size the header announced into the chunks; a file that changed size meanwhile is
 * an error. Synchronous on purpose: the archive is written in order anyway, and thread-pool reads
 * would queue behind the deflate jobs (gzip.ts), which made a tree of many small files several
 * times slower. A file that fits the chunk is read with one call asking for one byte more than its
 * size: the short read is the end-of-file check (open, read, close: 3 calls a small file, as tar).
 * Returns the file's bytes when they all landed in the current chunk (not handed over yet), for the guard.
 */
function* readExactly(entry: WalkEntry, chunk: ChunkFiller, progress: Progress, opts: PackOptions): Generator<Buffer, Buffer | undefined> {
  const fd = openEntry(entry);
  const start = chunk.used;
  let whole = true;
  try {
    let left = entry.size;
    let atEof = false;
    while (left > 0) {
      const room = chunk.buf.length - chunk.used;
      const probe = left < room; // room for one byte more: the same read tells whether the file ends here
      const bytesRead = readInto(fd, chunk.buf, chunk.used, probe ? left + 1 : Math.min(left, room), entry);
      if (bytesRead === 0 || bytesRead > left) throw changed(entry);
      if (probe && bytesRead === left) atEof = true;
      chunk.used += bytesRead;
      left -= bytesRead;
      progress.bytes += bytesRead;
      if (progress.bytes - progress.told >= GZIP_CHUNK_BYTES) tellProgress(progress, opts);
      if (chunk.used === chunk.buf.length) {
        whole = false;
        yield chunk.take();
      }
    }
    if (!atEof && readInto(fd, Buffer.allocUnsafe(1), 0, 1, entry) !== 0) throw changed(entry);
  } finally {
    closeSync(fd);
  }
  return whole ? chunk.buf.subarray(start, start + entry.size) : undefined;
}

function readInto(fd: number, buf: Buffer, offset: number, length: number, entry: WalkEntry): number {
  try {
    return readSync(fd, buf, offset, length, null);
  } catch (err) {
    throw fsError(`cannot read "${entry.path}"`, err);
  }
}

function changed(entry: WalkEntry): OcipackError {
  return new OcipackError('IO', `"${entry.path}" changed size while it was being packed`);
}

/** Hashes the compressed bytes on their way out (the gzip header is already fixed by gzip.ts). */
function hashing(gz: Counter): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      gz.update(chunk);
      cb(null, chunk);
    },
  });
}

async function runPipeline(streams: Array<NodeJS.ReadableStream | NodeJS.WritableStream | AsyncIterable<Buffer>>, signal?: AbortSignal): Promise<void> {
  try {
    await (pipeline as (...args: unknown[]) => Promise<void>)(...streams, signal ? { signal } : {});
  } catch (err) {
    if (err instanceof OcipackError) throw err;
    if (signal?.aborted || (err instanceof Error && err.name === 'AbortError')) {
      throw new OcipackError('CANCELLED', 'packing cancelled', { cause: err });
    }
    throw fsError('packing failed', err);
  }
}
