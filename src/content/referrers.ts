/**
 * Referrers between Targets: signatures, attestations and SBOMs that point at a manifest. Found
 * through the referrers API or its tag schema (distribution-spec v1.1 "Listing Referrers" and
 * "Referrers Tag Schema": an index tagged `sha256-<hex>`), plus cosign's classic tags
 * `sha256-<hex>.sig|.att|.sbom`; copied whole, and listed in the destination's tag-schema index
 * when the destination cannot list them otherwise (a layout, or a registry without the API).
 */
import { OcipackError } from '../core/errors.js';
import type { OnEvent } from '../core/events.js';
import type { Descriptor, ImageIndex } from '../oci/descriptor.js';
import { referrersTag } from '../oci/digest.js';
import { copyGraph, type CopyResult } from './copy.js';
import { isReferrerLister, type Target } from './target.js';
import { fetchManifestIfExists, tryResolve } from './read.js';
import { addToReferrersIndex } from './attach.js';

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
}

/** Referrers of `digest`: the registry's API (or its tag-schema fallback), or a layout's tag-schema index. */
export async function listReferrers(side: Side, digest: string): Promise<Descriptor[]> {
  if (isReferrerLister(side.target)) return side.target.referrers(digest);
  return (await tagIndex(side.target, referrersTag(digest)))?.manifests ?? [];
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
  const copyOne = async (desc: Descriptor, tag?: string) => {
    if (++count > MAX_REFERRERS) throw new OcipackError('CAP', `more than ${MAX_REFERRERS} referrers; refusing to copy further`);
    const o: Parameters<typeof copyGraph>[3] = { ...opts };
    if (tag !== undefined) o.tag = tag;
    const r = await copyGraph(src.target, dst.target, desc, o);
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
    const refs = await trueReferrers(src.target, digest, await listReferrers(src, digest), opts.onEvent);
    for (const r of refs) await copyOne(r);
    if (refs.length > 0 && !opts.dryRun) await ensureListed(dst, digest, refs, opts.onEvent);
  }
  return { count, result: total };
}

/**
 * The listed referrers that really refer to `digest`: an entry naming the subject itself (GitLab answers
 * the subject for the fallback tag) or a manifest whose `subject` is another digest is skipped with a warning.
 */
async function trueReferrers(target: Target, digest: string, listed: Descriptor[], onEvent?: OnEvent): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  for (const d of listed) {
    if (d.digest === digest) {
      onEvent?.({ type: 'warning', message: `the referrers of ${digest} list ${digest} itself; that entry is ignored` });
      continue;
    }
    let subject: string | undefined;
    try {
      subject = (JSON.parse((await target.fetchManifest(d.digest)).bytes.toString('utf8')) as { subject?: { digest?: string } }).subject?.digest;
    } catch (err) {
      if (err instanceof SyntaxError) subject = undefined;
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
  const have = new Set((await listReferrers(dst, digest)).map((d) => d.digest));
  for (const r of refs) if (!have.has(r.digest)) await addToReferrersIndex(dst.target, digest, listing(r), onEvent);
}

/** The descriptor fields a referrers listing carries. */
function listing(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.artifactType !== undefined) out.artifactType = d.artifactType;
  if (d.annotations !== undefined) out.annotations = d.annotations;
  return out;
}

async function tagIndex(target: Target, tag: string): Promise<ImageIndex | undefined> {
  const fetched = await fetchManifestIfExists(target, tag);
  if (!fetched) return undefined;
  try {
    const index = JSON.parse(fetched.bytes.toString('utf8')) as Partial<ImageIndex>;
    return Array.isArray(index.manifests) ? (index as ImageIndex) : undefined;
  } catch {
    return undefined;
  }
}

