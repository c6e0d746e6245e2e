/** build: write the exact layer bytes push would upload, without a registry (SPEC §3, §4; flux build artifact). */
import { createReadStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve as resolvePath, isAbsolute } from 'node:path';
import { emitter } from '../core/events.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { RunOptions } from '../core/options.js';
import { armDeadline } from '../connect/deadline.js';
import { packToFile } from '../artifact/tar/pack.js';
import { errCode } from '../core/errno.js';
import { writeFileAtomic } from '../core/files.js';
import { checkSources, packOptionsFor } from '../artifact/tar/tree.js';
import { parseSources } from '../artifact/tar/sources.js';
import { makeTempDir } from '../core/tempdir.js';

export interface BuildOptions extends RunOptions {
  /** Directory or file to pack; `-` reads one file from `stdin`; several (`<src>[=<target>]`) make one layer. */
  path: string | string[];
  /** Build even when no file is left after the ignore rules. */
  allowEmpty?: boolean;
  /** Where the .tgz goes; replaced atomically. */
  output: string;
  ignorePaths?: string[];
  addIgnorePaths?: string[];
  resolveSymlinks?: boolean;
  stdin?: NodeJS.ReadableStream;
  stdinName?: string;
}

export interface BuildResult {
  /** Absolute path of the written file. */
  output: string;
  /** The layer descriptor push would write: sha256 and size of the gzip stream. */
  digest: string;
  size: number;
  /** sha256 of the uncompressed tar (the config's `diff_ids[0]`). */
  diffId: string;
  entries: number;
}

/** Check flags and paths before any work, so bad input is exit 2 and nothing is written. */
export async function prepareBuild(opts: BuildOptions): Promise<{ output: string }> {
  if (!opts.path || opts.path.length === 0) throw usageError('`path` is required: the directory or file to pack', { option: 'path' });
  if (!opts.output) throw usageError('`output` is required: the .tgz file to write', { option: 'output' });
  await checkSources(opts.path);
  const output = resolvePath(opts.output);
  const parent = await stat(dirname(output)).catch(() => undefined);
  if (!parent?.isDirectory()) throw usageError(`cannot write ${opts.output}: directory ${dirname(opts.output)} does not exist`);
  const existing = await stat(output).catch(() => undefined);
  if (existing?.isDirectory()) throw usageError(`\`output\` ${opts.output} is a directory; give a file name such as artifact.tgz`, { option: 'output', path: opts.output });
  // The file is renamed into place: a device, FIFO or socket there would be replaced, not written to.
  if (existing && !existing.isFile() && !existing.isDirectory()) {
    throw usageError(`\`output\` ${opts.output} is not a regular file; give a file name such as artifact.tgz`, { option: 'output', path: opts.output });
  }
  return { output };
}

/** Pack into the OS temp dir (never the source tree), then move the file into place atomically. */
export async function build(opts: BuildOptions): Promise<BuildResult> {
  const emit = emitter(opts.onEvent);
  const { output } = await prepareBuild(opts);
  for (const src of parseSources(opts.path)) {
    if (src.path !== '-' && isInside(output, resolvePath(src.path))) {
      emit({ type: 'warning', message: `${opts.output} is inside the packed path ${src.path}; pushing or building that path again will include it` });
    }
  }
  const tmp = await makeTempDir('build');
  // No registry, but the run's deadline all the same.
  const run = armDeadline(opts);
  try {
    emit({ type: 'step', message: `building artifact from ${[opts.path].flat().join(', ')}` });
    emit({ type: 'blob:start', action: 'pack' });
    const packed = await packToFile(packOptionsFor({ ...opts, signal: run.signal }, emit), join(tmp, 'layer.tar.gz'));
    emit({ type: 'blob:done', action: 'pack', digest: packed.digest, size: packed.size });
    await moveIntoPlace(packed.file, output, run.signal);
    return { output, digest: packed.digest, size: packed.size, diffId: packed.diffId, entries: packed.entries };
  } catch (err) {
    throw run.failure(err);
  } finally {
    run.dispose();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A rename when temp and output share a filesystem; otherwise a copy to a temp name beside the output, then rename. */
async function moveIntoPlace(file: string, output: string, signal: AbortSignal | undefined): Promise<void> {
  try {
    await rename(file, output);
    return;
  } catch (err) {
    if (errCode(err) !== 'EXDEV') throw new OcipackError('IO', `cannot write ${output}: ${errCode(err) ?? 'error'}`, { cause: err });
  }
  await writeFileAtomic(output, createReadStream(file), signal ? { signal } : {});
}

function isInside(file: string, dir: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
