/**
 * Attaching a referrer (a manifest with a `subject`) to a store, as distribution-spec v1.1 "Pushing
 * Manifests with Subject" asks of a client: write it by digest through the one graph writer (copy.ts),
 * blobs first; when the store lists referrers itself (the referrers API answered), that is all;
 * otherwise add a descriptor for it to the referrers-tag-schema index `<alg>-<hex>`, keeping every
 * entry already there (no duplicates), with the manifest's artifactType and annotations. The index
 * update is conditional (`If-Match` on the ETag read, `If-None-Match: *` for a new tag) and retried on
 * 412; after writing, the index is read back and the update repeated if a concurrent writer replaced
 * it without our entry (a registry that ignores `If-Match`, such as distribution, narrows that window
 * instead of closing it).
 */
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import type { OnEvent } from '../core/events.js';
import type { Descriptor, ImageIndex } from '../oci/descriptor.js';
import { digestOf, referrersTag } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import { MT } from '../oci/mediatypes.js';
import { readReferrersIndex } from '../oci/referrers.js';
import { copyGraph, type CopyOptions } from './copy.js';
import { fetchManifestIfExists } from './read.js';
import { isConditionalStore, isReferrerIndexer, type FetchedManifest, type GraphSource, type Target } from './target.js';

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

/**
 * The index under the tag now, read by the one reader: a tag answered with the subject itself (GitLab)
 * counts as empty and an entry naming the subject is dropped, with warnings; one it cannot read is not overwritten.
 */
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
  let read;
  try {
    read = readReferrersIndex(fetched.bytes, { subject, where: `${target.name}:${tag}` });
  } catch (err) {
    if (!(err instanceof OcipackError)) throw err;
    throw new OcipackError(err.code, `${err.message}; refusing to overwrite it as the referrers index of ${subject}`, { cause: err, context: err.context });
  }
  for (const message of read.notes) onEvent?.({ type: 'warning', message });
  return { entries: read.kept, etag };
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
 * Write a referrer (the manifest `desc` with a `subject`, and its blobs, all held by `src`) by digest
 * through the one graph writer, and make it findable from `subject`: nothing more where the store
 * indexes subjects itself, else through the tag-schema index. `opts.tag` is ignored (a referrer is untagged).
 */
export async function attachReferrer(src: GraphSource, target: Target, desc: Descriptor, subject: string, opts: CopyOptions = {}): Promise<AttachResult> {
  const byDigest: CopyOptions = { ...opts };
  delete byDigest.tag;
  await copyGraph(src, target, desc, byDigest);
  if (isReferrerIndexer(target) && (await target.indexesReferrers(subject))) return { mode: 'referrers-api' };
  const manifest = parseManifest((await src.fetchManifest(desc.digest)).bytes, { where: desc.digest, mediaType: desc.mediaType });
  return addToReferrersIndex(target, subject, referrerListing(desc, manifest), opts.onEvent);
}
