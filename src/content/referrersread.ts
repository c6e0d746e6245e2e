/**
 * Reading what refers to a digest in a store: the store's own listing when it has one (a registry's
 * referrers API with its fallback), else the referrers tag schema's index `<alg>-<hex>` (a layout, or
 * any Target), always through the one referrers-index reader (oci/referrers.ts) and its one outcome.
 */
import type { OnEvent } from '../core/events.js';
import type { Descriptor } from '../oci/descriptor.js';
import { referrersTag } from '../oci/digest.js';
import { readReferrersIndex } from '../oci/referrers.js';
import { fetchManifestIfExists } from './read.js';
import { isReferrerLister, type Target } from './target.js';

export interface ReferrersQuery {
  /** Only referrers of this artifactType. */
  artifactType?: string;
  /** Receives the reader's warnings (an entry naming the subject, the tag answering the subject). */
  onEvent?: OnEvent;
}

/** The referrers of `subject` listed in the tag-schema index of `target` ([] when there is no such tag). */
export async function tagSchemaReferrers(target: Target, subject: string, q: ReferrersQuery = {}): Promise<Descriptor[]> {
  const tag = referrersTag(subject);
  const fetched = await fetchManifestIfExists(target, tag);
  if (!fetched) return [];
  const opts = q.artifactType === undefined ? { subject, where: `${target.name}:${tag}` } : { subject, where: `${target.name}:${tag}`, artifactType: q.artifactType };
  const read = readReferrersIndex(fetched.bytes, opts);
  for (const message of read.notes) q.onEvent?.({ type: 'warning', message });
  return read.manifests;
}

/** The referrers of `subject`: the store's own listing (ReferrerLister), else its tag-schema index. */
export function listReferrers(target: Target, subject: string, q: ReferrersQuery = {}): Promise<Descriptor[]> {
  if (isReferrerLister(target)) return target.referrers(subject, q.artifactType);
  return tagSchemaReferrers(target, subject, q);
}
