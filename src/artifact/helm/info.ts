/** What inspect and pull say about a Helm chart artifact: name, version, appVersion, provenance layer. */
import { chartSummary, type ChartSummary } from './chart.js';
import type { Descriptor, ImageManifest } from '../../oci/descriptor.js';
import { MT } from '../../oci/mediatypes.js';

/** Reads a whole small blob, verified, refusing more than `max` bytes (content/read.ts readBlob over a Target). */
export type BlobReader = (desc: Descriptor, max: number) => Promise<Buffer>;

/** Chart metadata larger than this is not read for a summary. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export interface ChartInfo extends ChartSummary {
  /** The provenance layer (`helm package --sign`), when the artifact carries one. */
  provenance?: { digest: string; size: number };
}

/** True when the manifest is a Helm chart (`helm push` config media type). */
export function isChartManifest(m: Partial<ImageManifest>): boolean {
  return m.config?.mediaType === MT.helmConfig;
}

/** Reads the chart metadata from a Helm manifest's config blob (verified); undefined for other artifacts. */
export async function chartInfo(m: ImageManifest, read: BlobReader): Promise<ChartInfo | undefined> {
  if (!isChartManifest(m) || typeof m.config.size !== 'number' || m.config.size > MAX_CONFIG_BYTES) return undefined;
  const summary = chartSummary(await read(m.config, MAX_CONFIG_BYTES));
  if (!summary) return undefined;
  const info: ChartInfo = { ...summary };
  const prov = (Array.isArray(m.layers) ? m.layers : []).find((l) => l?.mediaType === MT.helmProvenance);
  if (prov) info.provenance = { digest: prov.digest, size: prov.size };
  return info;
}
