/**
 * Referrers between Targets: signatures, attestations and SBOMs that point at a manifest. Found
 * through the referrers API or its tag schema (distribution-spec v1.1 "Listing Referrers" and
 * "Referrers Tag Schema": an index tagged `sha256-<hex>`), plus cosign's classic tags
 * `sha256-<hex>.sig|.att|.sbom`; copied whole, and listed in the destination's tag-schema index
 * when the destination cannot list them otherwise (a layout, or a registry without the API).
 */
import { OcipackError } from '../core/errors.js';
import type { OnEvent } from '../core/events.js';
import type { Descriptor } from '../oci/descriptor.js';
import { referrersTag } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import { copyGraph, type CopyResult } from './copy.js';
import type { Target } from './target.js';
import { tryResolve } from './read.js';
import { addToReferrersIndex } from './attach.js';
import { listReferrers, type ReferrersQuery } from './referrersread.js';

/** cosign's tag suffixes for signatures, attestations and SBOMs attached to `sha256-<hex>`. */
export const COSIGN_SUFFIXES = ['.sig', '.att', '.sbom'] as const;
/** More referrer manifests than this in one copy is treated as a loop or an attack. */
const MAX_REFERRERS = 1000;

/** One side of a referrer copy (an opened target). */
export interface Side {
  target: Target;
}

export interface ReferrerCopyOptions {
  concurrency?: number;
  onEvent?: OnEvent;
  signal?: AbortSignal;
  mount?: (desc: Descriptor) => Promise<boolean>;
  /** Count what would be copied; write nothing (not even the tag-schema index). */
  dryRun?: boolean;
  /** Leave referrers the destination already holds (under their cosign tag) as they are. */
  keepPresent?: boolean;
}

/**
 * Copies everything that refers to `roots` (and, recursively, what refers to those) from `src` to
 * `dst`; returns how many referrer manifests were copied.
 */
export async function copyReferrers(src: Side, dst: Side, roots: string[], opts: ReferrerCopyOptions = {}): Promise<{ count: number; result: CopyResult }> {
  const total: CopyResult = { copied: 0, skipped: 0, bytes: 0 };
  const queue = [...roots];
  const seen = new Set<string>();
  let count = 0;
  let visited = 0;
  const copyOne = async (desc: Descriptor, tag?: string) => {
    if (++visited > MAX_REFERRERS) throw new OcipackError('CAP', `more than ${MAX_REFERRERS} referrers; refusing to copy further`);
    const o: Parameters<typeof copyGraph>[3] = { ...opts };
    if (tag !== undefined) o.tag = tag;
    const r = await copyGraph(src.target, dst.target, desc, o);
    // a referrer left as it was (keepPresent) is not counted as copied
    if (r.copied > 0) count++;
    total.copied += r.copied;
    total.skipped += r.skipped;
    total.bytes += r.bytes;
    queue.push(desc.digest);
  };
  while (queue.length > 0) {
    const digest = queue.shift() as string;
    if (seen.has(digest)) continue;
    seen.add(digest);
    for (const suffix of COSIGN_SUFFIXES) {
      const tag = `${referrersTag(digest)}${suffix}`;
      const desc = await tryResolve(src.target, tag);
      if (desc) await copyOne(desc, tag);
    }
    const refs = await trueReferrers(src.target, digest, await listReferrers(src.target, digest, query(opts.onEvent)), opts.onEvent);
    for (const r of refs) await copyOne(r);
    if (refs.length > 0 && !opts.dryRun) await ensureListed(dst, digest, refs, opts.onEvent);
  }
  return { count, result: total };
}

/**
 * The listed referrers that really refer to `digest` (entries naming the subject itself are dropped by
 * the reader): a manifest whose `subject` is another digest, or that is no manifest, is skipped with a warning.
 */
async function trueReferrers(target: Target, digest: string, listed: Descriptor[], onEvent?: OnEvent): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  for (const d of listed) {
    let subject: string | undefined;
    try {
      subject = parseManifest((await target.fetchManifest(d.digest)).bytes, { where: d.digest, mediaType: d.mediaType }).subject?.digest;
    } catch (err) {
      if (err instanceof OcipackError && err.code === 'BAD_MANIFEST') subject = undefined;
      else throw err;
    }
    if (subject !== digest) {
      onEvent?.({ type: 'warning', message: `referrer ${d.digest} is listed among the referrers of ${digest} but its subject is ${subject ?? 'missing'}; not copied` });
      continue;
    }
    out.push(d);
  }
  return out;
}

/** Adds to the destination's tag-schema index the referrers it cannot list yet (kept entries, conditional update: attach.ts). */
async function ensureListed(dst: Side, digest: string, refs: Descriptor[], onEvent?: OnEvent): Promise<void> {
  // no warnings here: addToReferrersIndex reads the same index again and reports what it finds
  const have = new Set((await listReferrers(dst.target, digest)).map((d) => d.digest));
  for (const r of refs) if (!have.has(r.digest)) await addToReferrersIndex(dst.target, digest, listing(r), onEvent);
}

/** The descriptor fields a referrers listing carries. */
function listing(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.artifactType !== undefined) out.artifactType = d.artifactType;
  if (d.annotations !== undefined) out.annotations = d.annotations;
  return out;
}

function query(onEvent: OnEvent | undefined): ReferrersQuery {
  return onEvent ? { onEvent } : {};
}
