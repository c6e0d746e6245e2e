/** pull: resolve once, fetch by digest, verify while streaming, extract safely into place (SPEC §3, §5). */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, Transform, type Writable } from 'node:stream';
import { emitter, type OnEvent } from '../core/events.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { CommonOptions } from '../core/options.js';
import { ANNOTATIONS, MT } from '../oci/mediatypes.js';
import type { Descriptor } from '../oci/descriptor.js';
import { chooseLayer, resolveImage } from '../content/image.js';
import { openTarget, parseRepositoryTarget, parseTargetRef, referenceIn, repositoryOf, withTag, type TargetRef } from '../connect/open.js';
import type { Target } from '../content/target.js';
import { checkLayerSize, unpackStream, vetStream, type UnpackOptions } from '../artifact/tar/unpack.js';
import { parsePlatform } from '../oci/platform.js';
import type { ChartInfo } from '../artifact/helm/info.js';
import { readBlob } from '../content/read.js';

export interface PullOptions extends CommonOptions {
  reference: string;
  /** Directory to extract into; created when missing. */
  output: string;
  /** Choose the layer by media type, or by position (0-based). */
  mediaType?: string;
  layer?: number;
  /** For an index: `os/arch[/variant]`, default linux/amd64. */
  platform?: string;
  /** The reference is a repository: pull its highest tag inside this semver range (as `list --filter-semver`). */
  semver?: string;
}

export interface PullResult {
  url: string;
  repository: string;
  tag: string;
  digest: string;
  source: string;
  revision: string;
  output: string;
  layer: Descriptor;
  /** For a Helm chart: name, version and appVersion from its config (extracted to `<output>/<name>/`). */
  chart?: ChartInfo;
}

/** Download a blob to `file`, hashing and size-checking as it streams (Target.fetchBlob verifies). */
export async function downloadBlob(
  target: Target, desc: Descriptor, file: string, onEvent?: OnEvent, signal?: AbortSignal, alsoTo?: Writable,
): Promise<void> {
  const emit = emitter(onEvent);
  emit({ type: 'blob:start', action: 'download', digest: desc.digest, total: desc.size });
  let done = 0;
  const progress = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      emit({ type: 'blob:progress', action: 'download', bytes: done, total: desc.size });
      cb(null, chunk);
    },
  });
  const stream = await target.fetchBlob(desc);
  const stages = alsoTo ? [progress, tee(alsoTo)] : [progress];
  await (pipeline as (...args: unknown[]) => Promise<void>)(stream, ...stages, createWriteStream(file, { flags: 'wx' }), signal ? { signal } : {});
  emit({ type: 'blob:done', action: 'download', digest: desc.digest, size: desc.size });
}

/** Passes chunks on and also writes them to `side` (waiting while it is full), until `side` closes. */
function tee(side: Writable): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (side.destroyed || side.writableEnded || side.write(chunk)) return cb(null, chunk);
      const go = (): void => {
        side.off('drain', go);
        side.off('close', go);
        cb(null, chunk);
      };
      side.on('drain', go);
      side.on('close', go);
    },
    flush(cb) {
      if (!side.destroyed && !side.writableEnded) side.end();
      cb();
    },
  });
}

/**
 * Downloads `layer` to `file` and vets it (every rule and cap of SPEC §5, nothing written) while it
 * streams, rather than in a second read once it is down: ~100 ms less for a 200 MiB layer (bench/).
 * Nothing is extracted before both succeeded, and the download's outcome (a digest mismatch above
 * all) wins over what vetting found.
 */
async function downloadAndVet(target: Target, layer: Descriptor, file: string, vetOpts: UnpackOptions, onEvent?: OnEvent, signal?: AbortSignal): Promise<void> {
  const side = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
  let vetError: unknown;
  const vetting = vetStream(side, vetOpts).catch((err: unknown) => {
    vetError = err;
  });
  try {
    await downloadBlob(target, layer, file, onEvent, signal, side);
  } catch (err) {
    side.destroy();
    await vetting;
    throw err;
  }
  await vetting;
  if (vetError !== undefined) throw vetError;
}

/** Pull an artifact into `output`, which is replaced only when extraction fully succeeded. */
export async function pull(opts: PullOptions): Promise<PullResult> {
  const emit = emitter(opts.onEvent);
  if (!opts.output) throw usageError('--output is required: the directory to extract into');
  // semver (and yaml, for charts) load only when needed: ~15 ms of start-up for a plain pull (bench/).
  const bySemver = opts.semver === undefined ? undefined : { ...(await import('../oci/semver.js')), ...(await import('../content/tags.js')) };
  const range = opts.semver === undefined ? undefined : bySemver?.parseSemverFilter(opts.semver, '--semver');
  let t: TargetRef = range && bySemver ? parseRepositoryTarget(opts.reference, opts.ociLayout) : parseTargetRef(opts.reference, opts.ociLayout);
  if (opts.platform !== undefined) parsePlatform(opts.platform);
  const opened = await openTarget(t, opts);
  const tmp = await mkdtemp(join(tmpdir(), 'ocipack-pull-'));
  try {
    if (range && bySemver) {
      t = withTag(t, await bySemver.highestTagIn(opened.target, range, t.display));
      emit({ type: 'step', message: `semver range "${range.text}" resolved to tag ${t.tag}` });
    }
    emit({ type: 'step', message: `pulling artifact from ${t.display}` });
    const { digest, manifest } = await resolveImage(opened.target, referenceIn(t), opts.platform);
    const layer = chooseLayer(manifest, opts);
    checkLayerSize(layer.size, opts.maxLayerBytes);
    const file = join(tmp, 'layer');
    const output = resolvePath(opts.output);
    const unpackOpts: UnpackOptions = { target: output, onWarning: (message) => emit({ type: 'warning', message }) };
    if (opts.maxLayerBytes !== undefined) unpackOpts.maxLayerBytes = opts.maxLayerBytes;
    if (opts.maxEntries !== undefined) unpackOpts.maxEntries = opts.maxEntries;
    if (opts.maxPathBytes !== undefined) unpackOpts.maxPathBytes = opts.maxPathBytes;
    if (opts.maxDepth !== undefined) unpackOpts.maxDepth = opts.maxDepth;
    if (opts.signal) unpackOpts.signal = opts.signal;
    await downloadAndVet(opened.target, layer, file, unpackOpts, opts.onEvent, opts.signal);
    await unpackStream(createReadStream(file), unpackOpts);
    const a = manifest.annotations ?? {};
    const repository = repositoryOf(t);
    const tag = t.tag ?? (t.digest ? '' : 'latest');
    const chartInfo = manifest.config?.mediaType === MT.helmConfig ? (await import('../artifact/helm/info.js')).chartInfo : async () => undefined;
    const chart = await chartInfo(manifest, (d, max) => readBlob(opened.target, d, max)).catch((err: unknown) => {
      if (err instanceof OcipackError && err.code === 'CANCELLED') throw err;
      emit({ type: 'warning', message: `cannot read the chart metadata: ${err instanceof Error ? err.message : 'error'}` });
      return undefined;
    });
    return {
      ...(chart ? { chart } : {}),
      url: t.kind === 'remote' ? `oci://${t.display}` : t.display,
      repository,
      tag,
      digest,
      source: a[ANNOTATIONS.source] ?? '',
      revision: a[ANNOTATIONS.revision] ?? '',
      output,
      layer,
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await opened.close();
  }
}
