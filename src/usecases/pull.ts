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
import { ANNOTATIONS, EXTRACTABLE_LAYER_TYPES, MT } from '../oci/mediatypes.js';
import { isIndex, type Descriptor, type ImageManifest, type Manifest } from '../oci/descriptor.js';
import { openTarget, parseTargetRef, referenceIn, repositoryOf, type TargetRef } from '../connect/open.js';
import type { Target } from '../content/target.js';
import { checkLayerSize, unpackStream, vetStream, type UnpackOptions } from '../artifact/tar/unpack.js';
import { selectPlatform, parsePlatform } from '../oci/platform.js';
import type { ChartInfo } from './chart-info.js';

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

/** Resolve a reference to one image manifest, following an index to the requested platform. */
export async function resolveImage(
  target: Target,
  reference: string,
  platform: string | undefined,
  maxDepth = 4,
): Promise<{ digest: string; manifest: ImageManifest; rootDigest: string }> {
  const root = await target.resolve(reference);
  let digest = root.digest;
  const wanted = parsePlatform(platform);
  for (let depth = 0; depth < maxDepth; depth++) {
    const fetched = await target.fetchManifest(digest);
    const m = parseManifest(fetched.bytes, digest);
    if (!isIndex(m)) return { digest, manifest: m, rootDigest: root.digest };
    digest = selectPlatform(m, wanted).digest;
  }
  throw new OcipackError('BAD_INPUT', `index nesting deeper than ${maxDepth} at ${reference}`);
}

/** Parse manifest JSON, with a one-line error naming the digest when it is not a manifest. */
export function parseManifest(bytes: Buffer, digest: string): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new OcipackError('REGISTRY', `manifest ${digest} is not valid JSON`);
  }
  const o = m as Partial<ImageManifest> & { manifests?: unknown };
  if (typeof o !== 'object' || o === null || (!Array.isArray(o.manifests) && (typeof o.config !== 'object' || !Array.isArray(o.layers)))) {
    throw new OcipackError('REGISTRY', `manifest ${digest} is neither an image manifest nor an index`);
  }
  return m as Manifest;
}

/** The layer pull extracts: `--layer`, `--media-type`, or the first tar+gzip layer of a known type. */
export function chooseLayer(m: ImageManifest, opts: { mediaType?: string; layer?: number }): Descriptor {
  if (opts.layer !== undefined) {
    const l = m.layers[opts.layer];
    if (!l) throw usageError(`--layer ${opts.layer} is out of range: the manifest has ${m.layers.length} layer(s)`);
    return l;
  }
  if (opts.mediaType !== undefined) {
    const l = m.layers.find((x) => x.mediaType === opts.mediaType);
    if (!l) throw new OcipackError('NOT_FOUND', `no layer with media type ${opts.mediaType}; layers are: ${m.layers.map((x) => x.mediaType).join(', ')}`);
    return l;
  }
  const known: readonly string[] = EXTRACTABLE_LAYER_TYPES;
  const l = m.layers.find((x) => known.includes(x.mediaType));
  if (!l) {
    throw new OcipackError('NOT_FOUND', `no tar+gzip layer of a known media type (${m.layers.map((x) => x.mediaType).join(', ') || 'no layers'})`, {
      hint: 'choose one with --media-type <type> or --layer <n>',
    });
  }
  return l;
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
  const bySemver = opts.semver === undefined ? undefined : { ...(await import('../oci/semver.js')), ...(await import('./list.js')) };
  const range = opts.semver === undefined ? undefined : bySemver?.parseSemverFilter(opts.semver, '--semver');
  let t: TargetRef = range && bySemver ? bySemver.parseRepositoryTarget(opts.reference, opts.ociLayout) : parseTargetRef(opts.reference, opts.ociLayout);
  if (opts.platform !== undefined) parsePlatform(opts.platform);
  const opened = await openTarget(t, opts);
  const tmp = await mkdtemp(join(tmpdir(), 'ocipack-pull-'));
  try {
    if (range && bySemver) {
      t = bySemver.withTag(t, await bySemver.highestTagIn(opened.target, range, t.display));
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
    const chartInfo = manifest.config?.mediaType === MT.helmConfig ? (await import('./chart-info.js')).chartInfo : async () => undefined;
    const chart = await chartInfo(opened.target, manifest).catch((err: unknown) => {
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
