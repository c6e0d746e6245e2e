/**
 * The classic cosign signature image (cosign pkg/oci/static, pkg/oci/mutate, go-containerregistry
 * mutate.Append): tag `sha256-<hex>.sig` holding an OCI manifest whose config is an image config
 * (`created` and every history entry at Go's zero time, one diff_id per layer, equal to the layer
 * digest) and one `application/vnd.dev.cosign.simplesigning.v1+json` layer per signature with the
 * base64 signature in the `dev.cosignproject.cosign/signature` annotation. New signatures are
 * appended to an existing manifest, never replace it. JSON is written in Go's field order.
 */
import type { Descriptor, ImageManifest } from '../oci/descriptor.js';
import { digestOf, parseDigest } from '../oci/digest.js';
import { ANNOTATIONS, MT } from '../oci/mediatypes.js';
import { goJson } from './payload.js';

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
/** cosign refuses signature images with more layers than this (pkg/oci/mutate maxLayers). */
export const MAX_SIGNATURE_LAYERS = 1000;

/** The classic signature tag for a digest: `sha256:<hex>` → `sha256-<hex>.sig`. */
export function signatureTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}.sig`;
}

/** One signature to add: the payload bytes (the layer blob) and the layer annotations. */
export interface SignatureLayer {
  payload: Buffer;
  /** Base64 signature; becomes `dev.cosignproject.cosign/signature`. */
  signature: string;
  /** Extra layer annotations (certificate, chain, bundle), as cosign's static options add them. */
  annotations?: Record<string, string>;
}

export interface SignatureImage {
  manifest: Buffer;
  manifestDescriptor: Descriptor;
  config: Buffer;
  configDescriptor: Descriptor;
  /** The new layer (its blob is `SignatureLayer.payload`). */
  layer: Descriptor;
}

function sorted(m: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

/** A descriptor in go-containerregistry's field order: mediaType, size, digest, data, urls, annotations, platform, artifactType. */
export function goDescriptor(d: Descriptor): Record<string, unknown> {
  const o: Record<string, unknown> = { mediaType: d.mediaType, size: d.size, digest: d.digest };
  if (d.data !== undefined) o.data = d.data;
  if (d.urls !== undefined && d.urls.length > 0) o.urls = d.urls;
  if (d.annotations !== undefined && Object.keys(d.annotations).length > 0) o.annotations = sorted(d.annotations);
  if (d.platform !== undefined) o.platform = d.platform;
  if (d.artifactType !== undefined && d.artifactType !== '') o.artifactType = d.artifactType;
  return o;
}

interface ConfigShape {
  rootfs?: { diff_ids?: unknown };
  history?: unknown;
  architecture?: unknown;
  os?: unknown;
  created?: unknown;
  config?: unknown;
}

/** The config after appending one layer: Go's ConfigFile field order, existing diff_ids and history kept. */
function nextConfig(existing: Buffer | undefined, diffId: string): Buffer {
  let prev: ConfigShape = {};
  if (existing) {
    try {
      prev = JSON.parse(existing.toString('utf8')) as ConfigShape;
    } catch {
      prev = {};
    }
  }
  const diffIds = Array.isArray(prev.rootfs?.diff_ids) ? (prev.rootfs.diff_ids as unknown[]).filter((x) => typeof x === 'string') : [];
  const history = Array.isArray(prev.history) ? (prev.history as unknown[]) : [];
  const config = {
    architecture: typeof prev.architecture === 'string' ? prev.architecture : '',
    created: typeof prev.created === 'string' ? prev.created : GO_ZERO_TIME,
    history: [...history, { created: GO_ZERO_TIME }],
    os: typeof prev.os === 'string' ? prev.os : '',
    rootfs: { type: 'layers', diff_ids: [...diffIds, diffId] },
    config: typeof prev.config === 'object' && prev.config !== null ? prev.config : {},
  };
  return Buffer.from(goJson(config), 'utf8');
}

/**
 * The signature image with `add` appended: to `existing` (the current `.sig` manifest and its config
 * bytes) when there is one, else to an empty OCI image, exactly as cosign would write it.
 */
export function appendSignature(add: SignatureLayer, existing?: { manifest: ImageManifest; config: Buffer }): SignatureImage {
  const layer: Descriptor = {
    mediaType: MT.cosignSimpleSigning,
    size: add.payload.length,
    digest: digestOf(add.payload),
    annotations: { ...(add.annotations ?? {}), [ANNOTATIONS.cosignSignature]: add.signature },
  };
  const config = nextConfig(existing?.config, layer.digest);
  const configDescriptor: Descriptor = {
    mediaType: existing?.manifest.config.mediaType ?? MT.ociConfig,
    size: config.length,
    digest: digestOf(config),
  };
  const m: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: existing?.manifest.mediaType ?? MT.ociManifest,
    config: goDescriptor(configDescriptor),
    layers: [...(existing?.manifest.layers ?? []), layer].map(goDescriptor),
  };
  const ann = existing?.manifest.annotations;
  if (ann && Object.keys(ann).length > 0) m.annotations = sorted(ann);
  const manifest = Buffer.from(goJson(m), 'utf8');
  return {
    manifest,
    manifestDescriptor: { mediaType: m.mediaType as string, size: manifest.length, digest: digestOf(manifest) },
    config,
    configDescriptor,
    layer,
  };
}
