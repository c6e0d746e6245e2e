/**
 * The one manifest parser (image-spec manifest.md, image-index.md): bytes in, a checked Manifest
 * out, or one BAD_MANIFEST error naming where the bytes came from (exit 1: bad remote data).
 */
import { OcipackError } from '../core/errors.js';
import { isIndex, type Descriptor, type Manifest } from './descriptor.js';
import { isDigest } from './digest.js';

/** True for an object with the three fields every descriptor must have, of the right types. */
export function isDescriptor(d: unknown): d is Descriptor {
  const x = d as Partial<Descriptor> | null;
  return typeof x === 'object' && x !== null && typeof x.digest === 'string' && typeof x.size === 'number'
    && Number.isSafeInteger(x.size) && x.size >= 0 && typeof x.mediaType === 'string';
}

/** Parse manifest JSON; `where` names it in the error (a digest, or `repo:tag`). */
export function parseManifest(bytes: Uint8Array, where: string): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new OcipackError('BAD_MANIFEST', `manifest ${where} is not valid JSON`);
  }
  const o = m as { manifests?: unknown; config?: unknown; layers?: unknown } | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new OcipackError('BAD_MANIFEST', `manifest ${where} is neither an image manifest nor an index`);
  }
  if (Array.isArray(o.manifests)) {
    if (!o.manifests.every(isDescriptor)) throw malformed(where);
    checkDigests(o.manifests, where);
    return m as Manifest;
  }
  if (typeof o.config !== 'object' || !Array.isArray(o.layers)) {
    throw new OcipackError('BAD_MANIFEST', `manifest ${where} is neither an image manifest nor an index`);
  }
  if (!isDescriptor(o.config) || !o.layers.every(isDescriptor)) throw malformed(where);
  checkDigests([o.config, ...o.layers], where);
  return m as Manifest;
}

/** A malformed digest inside a manifest is bad remote data (BAD_MANIFEST, exit 1), never a usage error. */
function checkDigests(ds: readonly Descriptor[], where: string): void {
  const bad = ds.find((d) => !isDigest(d.digest));
  if (bad) throw new OcipackError('BAD_MANIFEST', `manifest ${where} has a malformed digest ${JSON.stringify(bad.digest.slice(0, 80))}`);
}

function malformed(where: string): OcipackError {
  return new OcipackError('BAD_MANIFEST', `manifest ${where} has malformed descriptors`);
}

/** What a manifest points at: an index's manifests, or an image's config and layers (`subject` is not followed). */
export function successors(m: Manifest): Descriptor[] {
  return isIndex(m) ? m.manifests : [m.config, ...m.layers];
}
