/**
 * Safe extraction of an untrusted layer (SPEC §5): entries are written by hand into a staging
 * directory beside the target, and moved into place only once the whole archive was read without
 * a single broken rule. Links, devices and FIFOs are never created; setuid/setgid/sticky bits are
 * dropped; a failure or cancellation leaves the target as it was.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { DEFAULTS } from '../../core/defaults.js';
import { OcipackError } from '../../core/errors.js';
import { readTar, type TarCaps } from './read.js';
import { quote } from './path.js';
import { StagingWriter } from './staging.js';

export { readTarEntries, type TarListEntry } from './hash.js';

export interface UnpackOptions {
  target: string;
  maxLayerBytes?: number;
  maxEntries?: number;
  maxPathBytes?: number;
  maxDepth?: number;
  onWarning?: (message: string) => void;
  /** Cumulative decompressed bytes read. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
  /** Extract under `target/subdir` (a relative path without `..`), e.g. a chart's name. */
  subdir?: string;
}

export interface UnpackResult {
  files: number;
  dirs: number;
  /** Bytes of file content written. */
  bytes: number;
  /** Entries that were not extracted (symlinks, unsupported types). */
  skipped: string[];
}

/**
 * Refuses, before any download, a layer whose stored size alone proves it cannot fit the decompressed
 * cap: gzip never shrinks data by less than its framing (5 bytes per 64 KiB stored block, plus header
 * and trailer), so a blob this large would only be downloaded to fail.
 */
export function checkLayerSize(size: number, maxLayerBytes = DEFAULTS.caps.layerBytes): void {
  if (size > maxLayerBytes + Math.ceil(maxLayerBytes / 8192) + 1024) {
    throw new OcipackError('CAP', `layer of ${size} bytes cannot fit the ${maxLayerBytes}-byte cap on decompressed layers`, {
      hint: 'raise it with --max-layer-size',
    });
  }
}

/**
 * Extracts a verified tar or tar+gzip file into `opts.target` (SPEC §5). The file is read twice: a
 * first pass checks every rule and cap without writing anything, so a hostile layer (a bomb, 150 000
 * files, a bad name at the very end) fails in the time it takes to decompress it, before the disk is
 * touched; the second pass extracts (checking everything again).
 */
export async function unpackFile(archive: string, opts: UnpackOptions): Promise<UnpackResult> {
  await vetFile(archive, opts);
  return unpackStream(createReadStream(archive), opts);
}

/** Reads a tar or tar+gzip file with every extraction rule and cap, writing nothing and warning about nothing. */
export async function vetFile(archive: string, opts: Omit<UnpackOptions, 'onWarning' | 'onProgress'>): Promise<void> {
  await vetStream(createReadStream(archive), opts);
}

/** vetFile for a stream (pull vets a layer while it downloads); the stream is consumed and closed. */
export async function vetStream(source: Readable, opts: Omit<UnpackOptions, 'onWarning' | 'onProgress'>): Promise<void> {
  const dry = new StagingWriter('', undefined, true);
  const { onProgress: _ignored, ...c } = caps(opts);
  await readTar(source, (item) => dry.visit(item), c, (name, reason) => dry.skip(name, reason));
}

/** Extracts a tar or tar+gzip stream into `opts.target`; the stream is consumed and closed. */
export async function unpackStream(source: Readable, opts: UnpackOptions): Promise<UnpackResult> {
  const dest = destination(opts);
  const existing = await existingDir(dest);
  const home = existing ? await fsp.realpath(dest) : dest;
  await fsp.mkdir(path.dirname(home), { recursive: true }).catch((err: unknown) => {
    throw ioError(`cannot create "${path.dirname(home)}"`, err);
  });
  const staging = await makeStaging(home);
  const writer = new StagingWriter(staging, opts.onWarning);
  try {
    await readTar(source, (item) => writer.visit(item), caps(opts), (name, reason) => writer.skip(name, reason));
    writer.close();
    if (opts.signal?.aborted) throw new OcipackError('CANCELLED', 'extraction cancelled');
    if (existing) await mergeInto(staging, home);
    else await fsp.rename(staging, home).catch((err: unknown) => {
      throw ioError(`cannot move the extracted files to "${dest}"`, err);
    });
    return writer.result();
  } finally {
    writer.close();
    await fsp.rm(staging, { recursive: true, force: true });
  }
}

function caps(opts: UnpackOptions): TarCaps & { signal?: AbortSignal; onProgress?: (n: number) => void } {
  const c: TarCaps & { signal?: AbortSignal; onProgress?: (n: number) => void } = {};
  if (opts.maxLayerBytes !== undefined) c.maxLayerBytes = opts.maxLayerBytes;
  if (opts.maxEntries !== undefined) c.maxEntries = opts.maxEntries;
  if (opts.maxPathBytes !== undefined) c.maxPathBytes = opts.maxPathBytes;
  if (opts.maxDepth !== undefined) c.maxDepth = opts.maxDepth;
  if (opts.signal !== undefined) c.signal = opts.signal;
  if (opts.onProgress !== undefined) c.onProgress = opts.onProgress;
  return c;
}

function destination(opts: UnpackOptions): string {
  const target = path.resolve(opts.target);
  if (opts.subdir === undefined || opts.subdir === '') return target;
  const segs = opts.subdir.split(/[/\\]/).filter((s) => s !== '' && s !== '.');
  if (segs.length === 0 || segs.includes('..') || path.isAbsolute(opts.subdir) || opts.subdir.includes('\0')) {
    throw new OcipackError('BAD_INPUT', `invalid sub-directory ${quote(opts.subdir)}`);
  }
  return path.join(target, ...segs);
}

/** True when `dest` is an existing directory (or a symlink to one); an existing non-directory is an error. */
async function existingDir(dest: string): Promise<boolean> {
  let st: Stats;
  try {
    st = await fsp.stat(dest);
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return false;
    throw ioError(`cannot read "${dest}"`, err);
  }
  if (!st.isDirectory()) throw new OcipackError('USAGE', `output "${dest}" exists and is not a directory`);
  return true;
}

/** `<dest>.ocipack-staging-<random>` beside `dest`, so the final move is a rename on one filesystem. */
async function makeStaging(dest: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const dir = `${dest}.ocipack-staging-${randomBytes(6).toString('hex')}`;
    try {
      await fsp.mkdir(dir, { mode: 0o755 });
      return dir;
    } catch (err) {
      if (codeOf(err) !== 'EEXIST' || attempt > 5) throw ioError(`cannot create a staging directory beside "${dest}"`, err);
    }
  }
}

/**
 * Moves the staged tree into an existing directory: new names are renamed in, directories are merged,
 * anything else in the way (file, symlink) is replaced, as flux overwrites its output directory.
 */
async function mergeInto(src: string, dst: string): Promise<void> {
  for (const ent of await fsp.readdir(src, { withFileTypes: true })) {
    const from = path.join(src, ent.name);
    const to = path.join(dst, ent.name);
    const there = await fsp.lstat(to).catch((err: unknown) => {
      if (codeOf(err) === 'ENOENT') return undefined;
      throw ioError(`cannot read "${to}"`, err);
    });
    try {
      if (there?.isDirectory() && ent.isDirectory()) {
        await mergeInto(from, to);
        continue;
      }
      if (there) await fsp.rm(to, { recursive: true, force: true });
      await fsp.rename(from, to);
    } catch (err) {
      if (err instanceof OcipackError) throw err;
      throw ioError(`cannot move "${ent.name}" into "${dst}"`, err);
    }
  }
}

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error';
}

function ioError(message: string, err: unknown): OcipackError {
  return new OcipackError('IO', `${message}: ${codeOf(err)}`, { cause: err });
}
