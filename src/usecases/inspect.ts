/** inspect: what a manifest says — digest, media types, config, layers or child manifests, annotations (SPEC §3). */
import { emitter } from '../core/events.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import { isIndex, type Descriptor, type Platform } from '../oci/descriptor.js';
import { parseTargetRef, referenceIn } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import { parseManifest } from '../oci/manifest.js';
import { chartInfo, type ChartInfo } from '../artifact/helm/info.js';
import { readBlob } from '../content/read.js';

export type { ChartInfo } from '../artifact/helm/info.js';

export interface InspectOptions extends RunOptions, RegistryOptions, TargetCaps {
  /** `oci://host/repo[:tag|@digest]`, or `<dir>[:tag|@digest]` with `ociLayout`. */
  reference: string;
}

export interface DescriptorSummary {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface InspectResult {
  /** The reference as resolved: `host/repo:tag`, `host/repo@digest`, or `<dir>:tag`. */
  reference: string;
  digest: string;
  mediaType: string;
  /** Bytes of the manifest. */
  size: number;
  /**
   * The manifest's `artifactType`, else (image manifests) its config media type, as the referrers
   * API reports it (distribution-spec "Listing Referrers").
   */
  artifactType: string;
  /** Image manifests only. */
  config?: DescriptorSummary;
  layers?: DescriptorSummary[];
  /** Indexes only. */
  manifests?: DescriptorSummary[];
  subject?: DescriptorSummary;
  annotations: Record<string, string>;
  /** Helm charts: name, version, appVersion (from the config) and the provenance layer, if any. */
  chart?: ChartInfo;
  /** The manifest bytes exactly as stored or served (`--raw`); they hash to `digest`. */
  raw: Buffer;
}

/** Fetch a manifest once (verified when asked for by digest) and summarise it without following it. */
export async function inspect(opts: InspectOptions): Promise<InspectResult> {
  const emit = emitter(opts.onEvent);
  const t = parseTargetRef(opts.reference, opts.ociLayout);
  const conn = connect(opts, opts);
  try {
    const target = await conn.open(t);
    emit({ type: 'step', message: `inspecting ${t.display}` });
    const { descriptor, bytes } = await target.fetchManifest(referenceIn(t));
    const m = parseManifest(bytes, descriptor.digest);
    const out: InspectResult = {
      reference: t.display,
      digest: descriptor.digest,
      mediaType: descriptor.mediaType,
      size: bytes.length,
      artifactType: '',
      annotations: stringMap(m.annotations),
      raw: bytes,
    };
    if (isIndex(m)) {
      out.artifactType = str(m.artifactType);
      out.manifests = m.manifests.map(summary);
    } else {
      out.config = summary(m.config);
      out.layers = m.layers.map(summary);
      out.artifactType = str(m.artifactType) || out.config.mediaType;
      const chart = await chartInfo(m, (d, max) => readBlob(target, d, max));
      if (chart) out.chart = chart;
    }
    if (m.subject !== undefined) out.subject = summary(m.subject);
    return out;
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}

/** A descriptor from untrusted JSON, reduced to well-typed fields. */
function summary(d: Descriptor): DescriptorSummary {
  const s: DescriptorSummary = { mediaType: str(d?.mediaType), digest: str(d?.digest), size: typeof d?.size === 'number' ? d.size : 0 };
  if (typeof d?.artifactType === 'string') s.artifactType = d.artifactType;
  if (typeof d?.platform === 'object' && d.platform !== null) s.platform = d.platform;
  const a = stringMap(d?.annotations);
  if (Object.keys(a).length > 0) s.annotations = a;
  return s;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v !== 'object' || v === null) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}
