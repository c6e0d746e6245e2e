/** The artifact format push writes (SPEC §4): Flux's config, one layer, Flux's media types and annotations. */
import { createHash } from 'node:crypto';
import { ANNOTATIONS, MT } from '../../oci/mediatypes.js';
import type { Descriptor, ImageManifest } from '../../oci/descriptor.js';
import { usageError } from '../../core/errors.js';

export interface Blob {
  descriptor: Descriptor;
  bytes: Buffer;
}

function blobOf(mediaType: string, bytes: Buffer): Blob {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  return { descriptor: { mediaType, size: bytes.length, digest }, bytes };
}

/** The image-config JSON flux writes, key order included, so digests match flux's for the same input. */
export function fluxConfig(created: string, diffId: string): Blob {
  const json =
    `{"architecture":"","created":${JSON.stringify(created)},"history":[{"created":"0001-01-01T00:00:00Z"}],` +
    `"os":"","rootfs":{"type":"layers","diff_ids":[${JSON.stringify(diffId)}]},"config":{}}`;
  return blobOf(MT.fluxConfig, Buffer.from(json));
}

/** Annotations in SPEC order: created, source, revision, then the user's (push resolved any user value for the three first: metadata.ts userMetadata). */
export function fluxAnnotations(
  created: string,
  source: string | undefined,
  revision: string | undefined,
  user: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = { [ANNOTATIONS.created]: created };
  if (source !== undefined) out[ANNOTATIONS.source] = source;
  if (revision !== undefined) out[ANNOTATIONS.revision] = revision;
  for (const [k, v] of Object.entries(user)) if (!(k in out)) out[k] = v;
  return out;
}

/** An OCI image manifest over config and layers, serialised with a stable key order. */
export function imageManifest(config: Descriptor, layers: Descriptor[], annotations?: Record<string, string>): Blob {
  const m: ImageManifest = { schemaVersion: 2, mediaType: MT.ociManifest, config: plain(config), layers: layers.map(plain) };
  if (annotations && Object.keys(annotations).length > 0) m.annotations = annotations;
  return blobOf(MT.ociManifest, Buffer.from(JSON.stringify(m)));
}

function plain(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, size: d.size, digest: d.digest };
  if (d.annotations) out.annotations = d.annotations;
  return out;
}

/** Parse `k=v` annotation flags, split on the first `=`; the key must be non-empty. */
export function parseAnnotations(pairs: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw usageError(`invalid annotation "${p}": expected key=value`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

/** The diff_ids of a config blob, or [] when it has none (foreign configs). */
export function diffIdsOf(configBytes: Buffer): string[] {
  try {
    const c = JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: unknown } };
    const ids = c.rootfs?.diff_ids;
    return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** True when two annotation maps hold the same keys and values, in any order (push's "unchanged" test, SPEC §4). */
export function sameAnnotations(a: Record<string, string>, b: Record<string, string>): boolean {
  const sorted = (x: Record<string, string>) => JSON.stringify(Object.entries(x).sort(([k1], [k2]) => (k1 < k2 ? -1 : 1)));
  return sorted(a) === sorted(b);
}
