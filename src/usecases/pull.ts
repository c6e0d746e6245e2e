/** pull: resolve once, fetch by digest, verify while streaming, extract safely into place (SPEC §3, §5). */
import { createWriteStream, existsSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setImmediate as loopTurn } from 'node:timers/promises';
import { pipeline as streamPipeline, Transform, type Readable } from 'node:stream';
import { DEFAULTS } from '../core/defaults.js';
import { emitter, type OnEvent } from '../core/events.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { ReadCaps, RegistryOptions, RunOptions } from '../core/options.js';
import { ANNOTATIONS, MT } from '../oci/mediatypes.js';
import type { Descriptor } from '../oci/descriptor.js';
import { resolveImage } from '../content/image.js';
import { chooseLayers, type IndexedLayer, type LayerOperation, type LayerSelector } from '../oci/layers.js';
import { applyLayers, type Applied, type Receive } from '../artifact/layers.js';
import { parseRepositoryTarget, parseTargetRef, referenceIn, repositoryOf, withTag, type TargetRef } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import type { BlobSource } from '../content/target.js';
import { checkLayerSize, extractInto, stageOptions, type UnpackOptions } from '../artifact/tar/unpack.js';
import { openStage } from '../artifact/tar/extract-dir.js';
import type { PlaceReport } from '../artifact/tar/place.js';
import { parsePlatform } from '../oci/platform.js';
import type { ChartInfo } from '../artifact/helm/info.js';
import { readBlob } from '../content/read.js';

export interface PullOptions extends RunOptions, RegistryOptions, ReadCaps {
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
  /** Make the output exactly the artifact: files it does not hold are removed (default: merge, as flux does). */
  clean?: boolean;
  /** Let the artifact replace a directory of the output with a file, or a file with a directory (refused otherwise). */
  overwriteDirs?: boolean;
  /** Flux's `layerSelector.operation`: unpack a tar layer, or write the layer as one file (default: by the layer). */
  layerOperation?: LayerOperation;
  /** Apply every layer of a container image in order, with OCI whiteouts, into one tree (`crane export`). */
  allLayers?: boolean;
}

export interface PullResult {
  url: string;
  repository: string;
  tag: string;
  digest: string;
  source: string;
  revision: string;
  output: string;
  /** The (first) layer taken, with its position in the manifest. */
  layer: IndexedLayer;
  /** Every layer applied (several with --all-layers or oras-style titled files). */
  layers: IndexedLayer[];
  operation: LayerOperation;
  /** For `copy`: the files written, relative to `output`. */
  files?: string[];
  /** For a Helm chart: name, version and appVersion from its config (extracted to `<output>/<name>/`). */
  chart?: ChartInfo;
  /** Files of the artifact written where the output had nothing. */
  filesAdded: number;
  /** Files of the artifact that replaced a file of the output. */
  filesReplaced: number;
  /** Files the output had that were left as they were (a merge). */
  filesKept: number;
  /** Files the output had that are gone (`clean`, or under a directory replaced by a file). */
  filesRemoved: number;
}

/** Download a blob to `file`, hashing and size-checking as it streams (Target.fetchBlob verifies). */
export async function downloadBlob(target: BlobSource, desc: Descriptor, file: string, onEvent?: OnEvent, signal?: AbortSignal): Promise<void> {
  const sink: LayerSink = (layer) => pipeline(layer, createWriteStream(file, { flags: 'wx' }));
  await receiveLayer(target, desc, '', sink, onEvent, signal);
}

/**
 * What a pull does with the layer: reads the verifying stream (it errors at its end when size or
 * digest disagree) to its end and writes the result into `stagingDir`, an empty directory beside the
 * target that reaches the target only after the stream ended clean. Extraction is one such sink; a
 * sink that stores the blob as a file is another.
 */
export type LayerSink = (layer: Readable, stagingDir: string) => Promise<unknown>;

/** The tar(.gz) sink: entries extracted into staging one by one, every rule and cap of SPEC §5 checked on the stream. */
export function extractSink(opts: Omit<UnpackOptions, 'target'>): LayerSink {
  return (layer, stagingDir) => extractInto(layer, stagingDir, opts);
}

/**
 * Streams `desc` from `target` through `sink` into `stagingDir` in one pass, with progress events.
 * Resolves only when the stream was read to its end, which is when its digest and size were checked;
 * a failure of the sink (a bad entry, a cap) stops the download, and cancellation stops both.
 */
export async function receiveLayer(
  target: BlobSource, desc: Descriptor, stagingDir: string, sink: LayerSink, onEvent?: OnEvent, signal?: AbortSignal,
): Promise<void> {
  const emit = emitter(onEvent);
  if (signal?.aborted) throw cancelled();
  emit({ type: 'blob:start', action: 'download', digest: desc.digest, total: desc.size });
  let done = 0;
  let complete = false;
  const progress = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      emit({ type: 'blob:progress', action: 'download', digest: desc.digest, bytes: done, total: desc.size });
      cb(null, chunk);
    },
    flush(cb) {
      complete = true; // the verifier upstream ends only after size and digest matched
      cb();
    },
  });
  const source = await target.fetchBlob(desc);
  const verified = streamPipeline(source, progress, () => undefined);
  const onAbort = (): void => void verified.destroy(cancelled());
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await sink(verified, stagingDir);
    if (!complete && !verified.destroyed) for await (const _ of verified); // a sink that stopped early: verify the rest
    if (!complete) throw new OcipackError('VERIFY', `layer ${desc.digest} was not read to its end`);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!verified.destroyed) verified.destroy();
  }
  emit({ type: 'blob:done', action: 'download', digest: desc.digest, size: desc.size });
}

/** The layer flags as chooseLayers takes them; a bad --layer-operation is a usage error. */
function selectorOf(opts: PullOptions): LayerSelector {
  const sel: LayerSelector = {};
  if (opts.mediaType !== undefined) sel.mediaType = opts.mediaType;
  if (opts.layer !== undefined) sel.layer = opts.layer;
  if (opts.allLayers) sel.allLayers = true;
  if (opts.layerOperation !== undefined) {
    if (opts.layerOperation !== 'extract' && opts.layerOperation !== 'copy') {
      throw usageError(`\`layerOperation\` must be extract or copy, not ${JSON.stringify(opts.layerOperation)}`, { option: 'layerOperation' });
    }
    sel.operation = opts.layerOperation;
  }
  return sel;
}

function cancelled(): OcipackError {
  return new OcipackError('CANCELLED', 'pull cancelled');
}

/** Pull an artifact into `output`, which changes only after the layer was fully extracted and verified. */
export async function pull(opts: PullOptions): Promise<PullResult> {
  const emit = emitter(opts.onEvent);
  if (!opts.output) throw usageError('`output` is required: the directory to extract into', { option: 'output' });
  const selector = selectorOf(opts);
  // semver (and yaml, for charts) load only when needed: ~15 ms of start-up for a plain pull (bench/).
  const bySemver = opts.semver === undefined ? undefined : { ...(await import('../oci/semver.js')), ...(await import('../content/tags.js')) };
  const range = opts.semver === undefined ? undefined : bySemver?.parseSemverFilter(opts.semver, '`semver`');
  let t: TargetRef = range && bySemver ? parseRepositoryTarget(opts.reference, opts.ociLayout) : parseTargetRef(opts.reference, opts.ociLayout);
  if (opts.platform !== undefined) parsePlatform(opts.platform);
  const conn = connect(opts, opts);
  try {
    const target = await conn.open(t);
    if (range && bySemver) {
      t = withTag(t, await bySemver.highestTagIn(target, range, t.display));
      emit({ type: 'step', message: `semver range "${range.text}" resolved to tag ${t.tag}` });
    }
    emit({ type: 'step', message: `pulling artifact from ${t.display}` });
    const output = resolvePath(opts.output);
    const unpackOpts: UnpackOptions = { target: output, onWarning: (message) => emit({ type: 'warning', message }) };
    if (opts.maxLayerBytes !== undefined) unpackOpts.maxLayerBytes = opts.maxLayerBytes;
    if (opts.maxEntries !== undefined) unpackOpts.maxEntries = opts.maxEntries;
    if (opts.maxPathBytes !== undefined) unpackOpts.maxPathBytes = opts.maxPathBytes;
    if (opts.maxDepth !== undefined) unpackOpts.maxDepth = opts.maxDepth;
    unpackOpts.signal = conn.signal;
    unpackOpts.writingFor = output;
    if (opts.clean) unpackOpts.clean = true;
    if (opts.overwriteDirs) unpackOpts.overwriteDirs = true;
    let extracted = 0;
    let extractedBytes = 0;
    let toldAt = Number.NEGATIVE_INFINITY;
    let toldFiles = 0;
    // told as often as a terminal redraws and at the end, not per file (an event per small file cost more than writing it)
    const tellExtracted = (): void => {
      toldFiles = extracted;
      emit({ type: 'blob:progress', action: 'extract', bytes: extractedBytes, files: extracted });
    };
    unpackOpts.onExtracted = (files, bytes) => {
      extracted = files;
      extractedBytes = bytes;
      const now = Date.now();
      if (now - toldAt < DEFAULTS.progress.refreshMs) return;
      toldAt = now;
      tellExtracted();
    };
    // The staging directory is made while the manifest is asked for (its file-system round trips overlap the
    // network's), when that creates nothing else: the output's parent exists. Removed again if resolving fails.
    const early = existsSync(dirname(output)) ? openStage(output, stageOptions(unpackOpts)) : undefined;
    early?.catch(() => undefined);
    let resolved: Awaited<ReturnType<typeof resolveImage>>;
    let choice: ReturnType<typeof chooseLayers>;
    try {
      resolved = await resolveImage(target, referenceIn(t), opts.platform);
      choice = chooseLayers(resolved.manifest, selector);
      for (const l of choice.layers) checkLayerSize(l.size, opts.maxLayerBytes);
      // Every chosen layer is written somewhere (staging, or temporary space first with `allLayers`): the cap holds for their sum.
      if (choice.layers.length > 1) checkLayerSize(choice.layers.reduce((sum, l) => sum + l.size, 0), opts.maxLayerBytes, `${choice.layers.length} layers`);
    } catch (err) {
      await early?.then((s) => s.discard(), () => undefined);
      throw err;
    }
    const { digest, manifest } = resolved;
    for (const message of choice.warnings) emit({ type: 'warning', message });
    for (const message of choice.notes) emit({ type: 'step', message });
    const stage = await (early ?? openStage(output, stageOptions(unpackOpts)));
    let applied: Applied = { files: [], written: 0 };
    let placed: PlaceReport;
    try {
      const receive: Receive = (l, sink) => receiveLayer(target, l, stage.dir, (stream) => sink(stream), opts.onEvent, conn.signal);
      applied = await applyLayers(choice, receive, stage.dir, unpackOpts, (message, detail) => emit({ type: detail ? 'info' : 'step', message }));
      if (extracted !== toldFiles) tellExtracted();
      emit({ type: 'activity', message: `moving ${extracted} ${extracted === 1 ? 'file' : 'files'} into ${opts.output}` });
      placed = await stage.commit(applied.written);
    } finally {
      await stage.discard();
    }
    // An interrupt that arrived while the files moved (a synchronous journaled merge) is seen only now: the
    // target holds the artifact, but the run was stopped, so it ends as stopped, never as a success. The move
    // and the clean-up are synchronous: one turn of the event loop lets a signal that came meanwhile be handled.
    await loopTurn();
    if (conn.signal.aborted) {
      emit({ type: 'warning', message: `stopped after the files were moved into ${opts.output}: it holds the artifact` });
      throw conn.signal.reason;
    }
    const a = manifest.annotations ?? {};
    const repository = repositoryOf(t);
    const tag = t.tag ?? (t.digest ? '' : 'latest');
    const chartInfo = manifest.config?.mediaType === MT.helmConfig ? (await import('../artifact/helm/info.js')).chartInfo : async () => undefined;
    const chart = await chartInfo(manifest, (d, max) => readBlob(target, d, max)).catch((err: unknown) => {
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
      layer: choice.layers[0]!,
      layers: choice.layers,
      operation: choice.operation,
      ...(choice.operation === 'copy' ? { files: applied.files } : {}),
      filesAdded: placed.added,
      filesReplaced: placed.replaced,
      filesKept: placed.kept,
      filesRemoved: placed.removed,
    };
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}
