/**
 * Attaching a referrer (a manifest with a `subject`) to a store, as distribution-spec v1.1 "Pushing
 * Manifests with Subject" asks of a client: push the manifest by digest; when the store lists referrers
 * itself (the referrers API answered), that is all; otherwise add a descriptor for it to the
 * referrers-tag-schema index `<alg>-<hex>`, keeping every entry already there (no duplicates), with the
 * manifest's artifactType and annotations. The index update is conditional (`If-Match` on the ETag
 * read, `If-None-Match: *` for a new tag) and retried on 412; after writing, the index is read back
 * and the update repeated if a concurrent writer replaced it without our entry (a registry that ignores
 * `If-Match`, such as distribution, narrows that window instead of closing it).
 */
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import type { OnEvent } from '../core/events.js';
import type { Descriptor, ImageIndex } from '../oci/descriptor.js';
import { digestOf, referrersTag } from '../oci/digest.js';
import { MT } from '../oci/mediatypes.js';
import { fetchManifestIfExists } from './read.js';
import { isConditionalStore, isReferrerIndexer, type FetchedManifest, type Target } from './target.js';

/** How a referrer became findable: the store's own referrers API, or the tag-schema index we updated. */
export type AttachMode = 'referrers-api' | 'tag-schema';

export interface AttachResult {
  mode: AttachMode;
  /** The tag-schema index tag, for `tag-schema`. */
  tag?: string;
  /** Index writes it took (1 without contention). */
  attempts?: number;
}

/** The descriptor a referrers listing carries for a manifest (artifactType, else config media type; its annotations). */
export function referrerListing(desc: Descriptor, manifest: { artifactType?: string; config?: { mediaType: string }; annotations?: Record<string, string> }): Descriptor {
  const out: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  const type = manifest.artifactType ?? manifest.config?.mediaType;
  if (type !== undefined) out.artifactType = type;
  if (manifest.annotations !== undefined && Object.keys(manifest.annotations).length > 0) out.annotations = manifest.annotations;
  return out;
}

interface Current {
  entries: Descriptor[];
  etag: string | undefined;
}

/** The index under the tag now; a tag answered with the subject itself (GitLab) counts as empty, with a warning. */
async function readIndex(target: Target, tag: string, subject: string, onEvent?: OnEvent): Promise<Current> {
  let fetched: FetchedManifest | undefined;
  let etag: string | undefined;
  if (isConditionalStore(target)) {
    const v = await target.fetchManifestVersion(tag);
    fetched = v?.manifest;
    etag = v?.etag;
  } else {
    fetched = await fetchManifestIfExists(target, tag);
  }
  if (!fetched) return { entries: [], etag: undefined };
  if (fetched.descriptor.digest === subject) {
    onEvent?.({ type: 'warning', message: `${target.name}:${tag} answers the subject ${subject} itself, not a referrers index; starting a new index` });
    return { entries: [], etag };
  }
  let doc: Partial<ImageIndex> | undefined;
  try {
    doc = JSON.parse(fetched.bytes.toString('utf8')) as Partial<ImageIndex>;
  } catch {
    doc = undefined;
  }
  if (!doc || !Array.isArray(doc.manifests) || (doc.mediaType !== undefined && doc.mediaType !== MT.ociIndex)) {
    throw new OcipackError('REGISTRY', `${target.name}:${tag} is not an OCI image index; refusing to overwrite it as the referrers index of ${subject}`);
  }
  const entries = doc.manifests.filter((d) => {
    if (d?.digest !== subject) return true;
    onEvent?.({ type: 'warning', message: `${target.name}:${tag} lists the subject ${subject} as its own referrer; entry dropped` });
    return false;
  });
  return { entries, etag };
}

/** Write the index, conditionally when we hold a version token; a new tag is written plainly (some registries refuse `If-None-Match`). */
async function write(target: Target, tag: string, index: ImageIndex, etag: string | undefined): Promise<boolean> {
  const bytes = Buffer.from(JSON.stringify(index));
  const desc: Descriptor = { mediaType: MT.ociIndex, digest: digestOf(bytes), size: bytes.length };
  if (isConditionalStore(target) && etag !== undefined) return target.pushManifestIf(desc, bytes, tag, etag);
  await target.pushManifest(desc, bytes, tag);
  return true;
}

/** Add `listing` to the tag-schema index of `subject`, keeping what is there; conditional, retried, read back. */
export async function addToReferrersIndex(target: Target, subject: string, listing: Descriptor, onEvent?: OnEvent): Promise<AttachResult> {
  const tag = referrersTag(subject);
  const max = DEFAULTS.referrersIndexAttempts;
  let refused: string | undefined;
  for (let attempt = 1; attempt <= max; attempt++) {
    const cur = await readIndex(target, tag, subject, onEvent);
    if (cur.entries.some((d) => d.digest === listing.digest)) return { mode: 'tag-schema', tag, attempts: attempt - 1 };
    const index: ImageIndex = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [...cur.entries, listing] };
    // a 412 while the ETag stays the same is a registry that cannot match its own ETag: write plainly then
    const etag = refused !== undefined && refused === cur.etag ? undefined : cur.etag;
    if (!(await write(target, tag, index, etag))) {
      refused = cur.etag;
      onEvent?.({ type: 'debug', message: `${target.name}:${tag} changed while we updated it (412); reading it again` });
      continue;
    }
    const back = await readIndex(target, tag, subject);
    if (back.entries.some((d) => d.digest === listing.digest)) return { mode: 'tag-schema', tag, attempts: attempt };
    onEvent?.({ type: 'debug', message: `${target.name}:${tag} was replaced by a concurrent writer without ${listing.digest}; adding it again` });
  }
  throw new OcipackError('REGISTRY', `could not add ${listing.digest} to ${target.name}:${tag} after ${max} attempts: other writers keep replacing it`);
}

/**
 * Push a referrer manifest (blobs already pushed) by digest and make it findable from `subject`:
 * nothing more where the store indexes subjects itself, else through the tag-schema index.
 */
export async function attachReferrer(target: Target, desc: Descriptor, bytes: Buffer, subject: string, onEvent?: OnEvent): Promise<AttachResult> {
  await target.pushManifest(desc, bytes);
  if (isReferrerIndexer(target) && (await target.indexesReferrers(subject))) return { mode: 'referrers-api' };
  const manifest = JSON.parse(bytes.toString('utf8')) as Parameters<typeof referrerListing>[1];
  return addToReferrersIndex(target, subject, referrerListing(desc, manifest), onEvent);
}
