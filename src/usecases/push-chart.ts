/**
 * push --chart: store a Helm chart the way `helm push` (Helm 3.8+) does, to `<reference>/<chart
 * name>:<version>` with '+' written as '_' — Helm's config, media types, layer order and annotations
 * (see src/artifact/helm/oci.ts). A directory is packaged first, as `helm package` would.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { emitter } from '../core/events.js';
import { usageError } from '../core/errors.js';
import type { Env, RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import type { Descriptor } from '../oci/descriptor.js';
import { MT } from '../oci/mediatypes.js';
import { parseRepository } from '../oci/reference.js';
import { createdTime } from '../artifact/flux/metadata.js';
import type { ChartMetadata } from '../artifact/helm/chart.js';
import { packageChartDir, readChartArchive, readChartDir } from '../artifact/helm/pack.js';
import { chartAnnotations, chartConfig, chartTag, helmManifest } from '../artifact/helm/oci.js';
import { dockerReferenceOf, parseTargetRef, repositoryOf, type TargetRef } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import { graphOptions } from '../content/copy.js';
import { StagedArtifact, writeArtifact } from '../content/staged-artifact.js';
import { makeTempDir } from '../core/tempdir.js';

export interface PushChartOptions extends RunOptions, RegistryOptions, TargetCaps {
  /** `oci://host/path` (the chart goes to `path/<name>`), or a layout `<dir>` with `ociLayout`. */
  reference: string;
  /** A chart directory (packaged as `helm package` does) or a packaged `.tgz`. */
  chart: string;
  /** Created annotation 1970-01-01T00:00:00Z, so the same chart gives the same digest. */
  reproducible?: boolean;
  /** `--sign-key`: after a successful push, sign the chart manifest (as `sign` does). */
  signKey?: string;
  /** Password for `signKey`; `COSIGN_PASSWORD` in `env` otherwise. */
  signPassword?: import('../signing/signer.js').PasswordSource;
  /** `--signature-format` for `signKey`: `bundle` (default) or `legacy`. */
  signatureFormat?: import('../signing/signwith.js').SignatureFormatName;
}

export interface PushChartResult {
  url: string;
  repository: string;
  tag: string;
  digest: string;
  chart: { name: string; version: string; appVersion?: string };
  /** True when a `<chart>.tgz.prov` file was pushed as the provenance layer. */
  provenance: boolean;
  /** With `signKey`: the signature written. */
  signature?: import('../signing/signwith.js').SignOutcome;
}

interface ChartSource {
  kind: 'dir' | 'archive';
  meta: ChartMetadata;
  provenance?: Buffer;
  mtime?: Date;
}

/** Everything that needs no network: the chart's metadata and the exact destination (exit 2 on bad input). */
export async function prepareChartPush(opts: PushChartOptions): Promise<{ src: ChartSource; t: TargetRef; tag: string }> {
  if (!opts.chart) throw usageError('`chart` needs a chart directory or a packaged chart (.tgz)', { option: 'chart' });
  const base = opts.reference.replace(/\/+$/, '');
  if (opts.ociLayout) {
    const l = parseTargetRef(base, true);
    if (l.tag !== undefined || l.digest !== undefined) throw usageError(`\`chart\` tags the chart with its version; give the layout directory without :tag or @digest`);
  } else {
    try {
      parseRepository(base);
    } catch (err) {
      if (/without tag or digest/.test((err as Error).message)) {
        throw usageError(`\`chart\` pushes to <reference>/<chart name>:<version>; give "${opts.reference}" without a tag or digest`);
      }
      throw err;
    }
  }
  const src = await readSource(opts.chart);
  const tag = chartTag(src.meta.version);
  const t = opts.ociLayout ? parseTargetRef(`${base}:${tag}`, true) : parseTargetRef(`${base}/${src.meta.name}:${tag}`);
  return { src, t, tag };
}

async function readSource(chart: string): Promise<ChartSource> {
  let isDir: boolean;
  try {
    isDir = (await stat(chart)).isDirectory();
  } catch {
    throw usageError(`\`chart\` "${chart}" does not exist`, { option: 'chart', path: chart });
  }
  if (isDir) return { kind: 'dir', meta: await readChartDir(chart) };
  const a = await readChartArchive(chart);
  const src: ChartSource = { kind: 'archive', meta: a.meta, mtime: a.mtime };
  if (a.provenance) src.provenance = a.provenance;
  return src;
}

/** helm push: chart layer (+ provenance), config from Chart.yaml, manifest tagged with the version. */
export async function pushChart(opts: PushChartOptions): Promise<PushChartResult> {
  const emit = emitter(opts.onEvent);
  const env = opts.env ?? {};
  const { src, t, tag } = await prepareChartPush(opts);
  const created = chartCreated(src, opts.reproducible ?? false, env);
  const repository = repositoryOf(t);
  // decrypt the signing key before any network call: a wrong password pushes nothing
  const signing = opts.signKey === undefined ? undefined : await chartSigner(opts, env);
  const tmp = await makeTempDir('chart');
  const conn = connect(opts, opts);
  try {
    const target = await conn.open(t, { push: true, create: true });
    emit({ type: 'step', message: `pushing chart ${src.meta.name} ${src.meta.version} to ${repository}:${tag}` });
    const file = src.kind === 'dir' ? join(tmp, `${src.meta.name}-${src.meta.version}.tgz`) : opts.chart;
    const layer = src.kind === 'dir' ? await packageDir({ ...opts, signal: conn.signal }, file, emit) : await describeFile(file, MT.helmChart);
    const config = chartConfig(src.meta);
    const layers: Descriptor[] = [layer];
    let prov: Descriptor | undefined;
    if (src.provenance) {
      prov = { mediaType: MT.helmProvenance, digest: sha256(src.provenance), size: src.provenance.length };
      layers.push(prov);
    }
    const manifest = helmManifest(config.descriptor, layers, chartAnnotations(src.meta, created));
    // Chart, provenance and config together; the manifest after all of them (the graph writer's order).
    const staged = new StagedArtifact()
      .addBlob(layer, () => createReadStream(file))
      .addBlob(config.descriptor, config.bytes)
      .addManifest(manifest.descriptor, manifest.bytes);
    if (prov && src.provenance) staged.addBlob(prov, src.provenance);
    await writeArtifact(staged, target, manifest.descriptor, graphOptions({ ...opts, signal: conn.signal }, tag));
    const chart: PushChartResult['chart'] = { name: src.meta.name, version: src.meta.version };
    if (src.meta.appVersion) chart.appVersion = src.meta.appVersion;
    const url = t.kind === 'remote' ? `oci://${repository}:${tag}` : `${repository}:${tag}`;
    const out: PushChartResult = { url, repository, tag, digest: manifest.descriptor.digest, chart, provenance: prov !== undefined };
    if (signing) {
      const o: Parameters<typeof signing.signArtifact>[3] = { format: signing.format, dockerReference: dockerReferenceOf(t), annotations: {}, dryRun: false };
      if (opts.onEvent) o.onEvent = opts.onEvent;
      out.signature = await signing.signArtifact(target, manifest.descriptor, signing.signer, o);
    }
    return out;
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

async function chartSigner(opts: PushChartOptions, env: Env) {
  const [{ loadSigner }, { signArtifact, parseSignatureFormat }] = await Promise.all([import('../signing/signer.js'), import('../signing/signwith.js')]);
  const format = parseSignatureFormat(opts.signatureFormat);
  return { format, signArtifact, signer: await loadSigner(opts.signKey!, opts.signPassword, env) };
}

/**
 * The created annotation: helm push writes the archive's modification time; a directory has no
 * archive yet, so it gets the push time. `--reproducible` and SOURCE_DATE_EPOCH win, as for push.
 */
function chartCreated(src: ChartSource, reproducible: boolean, env: Env): string {
  if (reproducible || (env.SOURCE_DATE_EPOCH ?? '') !== '' || !src.mtime) return createdTime(reproducible, env);
  return createdTime(false, {}, src.mtime);
}

async function packageDir(opts: PushChartOptions, file: string, emit: ReturnType<typeof emitter>): Promise<Descriptor> {
  emit({ type: 'blob:start', action: 'pack' });
  const packOpts: Parameters<typeof packageChartDir>[2] = {
    onWarning: (message) => emit({ type: 'warning', message }),
    onProgress: (bytes, total) => emit({ type: 'blob:progress', action: 'pack', bytes, total }),
  };
  if (opts.signal) packOpts.signal = opts.signal;
  const { packed } = await packageChartDir(opts.chart, file, packOpts);
  emit({ type: 'blob:done', action: 'pack', digest: packed.digest, size: packed.size });
  return { mediaType: MT.helmChart, digest: packed.digest, size: packed.size };
}

async function describeFile(file: string, mediaType: string): Promise<Descriptor> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { mediaType, digest: `sha256:${hash.digest('hex')}`, size };
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
