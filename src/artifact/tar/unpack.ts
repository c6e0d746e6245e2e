/**
 * Safe extraction of an untrusted layer (SPEC §5): entries are written by hand (entry-writer.ts) into
 * a staging directory beside the target (extract-dir.ts), and moved into place (place.ts) only once
 * the whole archive was read without a single broken rule. Links, devices and FIFOs are never created;
 * setuid/setgid/sticky bits are dropped; a failure or cancellation leaves the target as it was.
 */
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { DEFAULTS } from '../../core/defaults.js';
import { OcipackError } from '../../core/errors.js';
import { readTar, type ReadTarOptions } from './read.js';
import type { LayerFormat } from './zstd.js';
import { quote } from './path.js';
import { EntryWriter } from './entry-writer.js';
import { openStage, type StageOptions } from './extract-dir.js';

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
  /** Told after each file is extracted: files and content bytes written so far. */
  onExtracted?: (files: number, bytes: number) => void;
  signal?: AbortSignal;
  /** Extract under `target/subdir` (a relative path without `..`), e.g. a chart's name. */
  subdir?: string;
  /** Make the target exactly the archive (what it does not hold is removed); default is to merge. */
  clean?: boolean;
  /** Let an entry replace a directory with a file or a file with a directory (refused otherwise). */
  overwriteDirs?: boolean;
  /** Told once what the layer's magic bytes say it is (gzip, zstd or plain tar). */
  onFormat?: (format: LayerFormat) => void;
  /** The output a staging directory stands for, named when a write fails (a full disk is the output's). */
  writingFor?: string;
  /** The decompressed bytes of every layer of the command, capped together (ReadTarOptions.together). */
  together?: { bytes: number };
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
 * and trailer), so a blob this large would only be downloaded to fail. `what` names it ("layers together").
 */
export function checkLayerSize(size: number, maxLayerBytes = DEFAULTS.caps.layerBytes, what = 'layer'): void {
  if (size > maxLayerBytes + Math.ceil(maxLayerBytes / 8192) + 1024) {
    throw new OcipackError('CAP', `${what} of ${size} bytes cannot fit the ${maxLayerBytes}-byte cap on decompressed layers`, {
      context: { option: 'maxLayerBytes', next: 'raise-cap' },
    });
  }
}

/**
 * Extracts a tar or tar+gzip stream into `opts.target`; the stream is consumed and closed. Entries go
 * to a staging directory beside the target, checked one by one with every cap counted on the stream,
 * and are moved into place only when the whole stream was read without a broken rule.
 */
export async function unpackStream(source: Readable, opts: UnpackOptions): Promise<UnpackResult> {
  const stage = await openStage(destination(opts), stageOptions(opts));
  try {
    const result = await extractInto(source, stage.dir, { ...opts, writingFor: stage.target });
    await stage.commit(result.files);
    return result;
  } finally {
    await stage.discard();
  }
}

/** Options for openStage from unpack options. */
export function stageOptions(opts: UnpackOptions): StageOptions {
  const s: StageOptions = {};
  if (opts.clean !== undefined) s.clean = opts.clean;
  if (opts.overwriteDirs !== undefined) s.overwriteDirs = opts.overwriteDirs;
  if (opts.onWarning !== undefined) s.onWarning = opts.onWarning;
  if (opts.signal !== undefined) s.signal = opts.signal;
  return s;
}

/**
 * Writes every entry of a tar(.gz) stream into `dir` (an empty staging directory), refusing a broken
 * rule or cap at the entry that breaks it; the stream is consumed to its end (so a verifying stream
 * has checked its digest when this resolves) and closed. `opts.target` is not used.
 */
export async function extractInto(source: Readable, dir: string, opts: Omit<UnpackOptions, 'target'>): Promise<UnpackResult> {
  const writer = new EntryWriter(dir, opts.onWarning, opts.onExtracted, opts.writingFor);
  try {
    await readTar(source, (item) => writer.visit(item), caps(opts), (name, reason) => writer.skip(name, reason));
    writer.close();
    if (opts.signal?.aborted) throw new OcipackError('CANCELLED', 'extraction cancelled');
    return writer.result();
  } finally {
    writer.close();
  }
}

function caps(opts: Omit<UnpackOptions, 'target'>): ReadTarOptions {
  const c: ReadTarOptions = {};
  if (opts.maxLayerBytes !== undefined) c.maxLayerBytes = opts.maxLayerBytes;
  if (opts.maxEntries !== undefined) c.maxEntries = opts.maxEntries;
  if (opts.maxPathBytes !== undefined) c.maxPathBytes = opts.maxPathBytes;
  if (opts.maxDepth !== undefined) c.maxDepth = opts.maxDepth;
  if (opts.signal !== undefined) c.signal = opts.signal;
  if (opts.onProgress !== undefined) c.onProgress = opts.onProgress;
  if (opts.onFormat !== undefined) c.onFormat = opts.onFormat;
  if (opts.together !== undefined) c.together = opts.together;
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
