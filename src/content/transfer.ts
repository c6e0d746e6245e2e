/**
 * One artifact from one opened Target to another: the root manifest with everything it references (the
 * one graph writer, content/copy.ts), then, when asked, its referrers and those of every child manifest.
 * `copy`, `promote` and `mirror` all move artifacts through here; each use-case parses and opens its own
 * sides and decides on tags.
 */
import { OcipackError } from '../core/errors.js';
import { emitter, type OnEvent } from '../core/events.js';
import { isIndex, type Descriptor } from '../oci/descriptor.js';
import { isIndexType } from '../oci/mediatypes.js';
import { parseManifest } from '../oci/manifest.js';
import { copyGraph, type CopyOptions as GraphOptions, type CopyResult } from './copy.js';
import { pushManifestTagged } from './multitag.js';
import { tryResolve } from './read.js';
import { copyReferrers } from './referrers.js';
import { isMounter, type Target } from './target.js';

export interface TransferOptions {
  /** Tag the root at the destination once everything under it is there. */
  tag?: string;
  /** Several tags for the root (wins over `tag`), written together once everything under it is there. */
  tags?: readonly string[];
  /** Also copy signatures, attestations and other referrers of the root and its child manifests. */
  includeReferrers?: boolean;
  concurrency?: number;
  onEvent?: OnEvent;
  signal?: AbortSignal;
  /** Count what would be written; write nothing. */
  dryRun?: boolean;
  /** Try a cross-repository mount before transferring a blob (see `mountFrom`). */
  mount?: (d: Descriptor) => Promise<boolean>;
  /** Leave a manifest the destination already holds (under its tag) as it is: a rerun writes nothing (mirror). */
  keepPresent?: boolean;
}

export interface TransferResult extends CopyResult {
  /** Referrer manifests copied (with `includeReferrers`). */
  referrers: number;
}

/**
 * Copy `root` (and, if asked, its referrers) from `src` to `dst`. The tags are written last: after the graph is
 * complete, and with `includeReferrers` after the referrers too (the root goes by digest first), so a tag never
 * names an artifact whose signatures and attestations have not arrived yet.
 */
export async function transferArtifact(src: Target, dst: Target, root: Descriptor, opts: TransferOptions = {}): Promise<TransferResult> {
  const graphOpts = graphOptionsOf(opts);
  const tags = opts.tags ?? (opts.tag === undefined ? [] : [opts.tag]);
  const late = opts.includeReferrers === true && tags.length > 0;
  const r = await copyGraph(src, dst, root, late ? graphOpts : { ...graphOpts, tags });
  const out: TransferResult = { copied: r.copied, skipped: r.skipped, bytes: r.bytes, referrers: 0 };
  if (opts.includeReferrers) {
    const roots = [root.digest, ...(await childManifests(src, root))];
    const refs = await copyReferrers({ target: src }, { target: dst }, roots, graphOpts);
    out.referrers = refs.count;
    out.copied += refs.result.copied;
    out.skipped += refs.result.skipped;
    out.bytes += refs.result.bytes;
  }
  if (late) await writeTags(src, dst, root, tags, opts);
  return out;
}

/** Points `tags` at `root`, which `dst` holds already; with `keepPresent`, tags that name it already are left alone. */
async function writeTags(src: Target, dst: Target, root: Descriptor, tags: readonly string[], opts: TransferOptions): Promise<void> {
  const emit = emitter(opts.onEvent);
  const now = opts.keepPresent ? await Promise.all(tags.map((t) => tryResolve(dst, t))) : [];
  const missing = opts.keepPresent ? tags.filter((_t, i) => now[i]?.digest !== root.digest) : tags;
  if (missing.length === 0) return;
  if (!opts.dryRun) {
    const fetched = await src.fetchManifest(root.digest);
    await pushManifestTagged(dst, { ...root, mediaType: fetched.descriptor.mediaType }, fetched.bytes, missing);
  }
  for (const tag of missing) emit({ type: 'manifest:pushed', digest: root.digest, tag });
}

function graphOptionsOf(opts: TransferOptions): GraphOptions {
  const o: GraphOptions = { action: 'copy' };
  if (opts.concurrency !== undefined) o.concurrency = opts.concurrency;
  if (opts.onEvent) o.onEvent = opts.onEvent;
  if (opts.signal) o.signal = opts.signal;
  if (opts.dryRun) o.dryRun = true;
  if (opts.mount) o.mount = opts.mount;
  if (opts.keepPresent) o.keepPresent = true;
  return o;
}

/**
 * A cross-repository mount from repository `from` of the destination's own registry (distribution-spec
 * "Mounting a blob from another repository"); a refused or failed mount means "transfer it". Undefined when
 * the destination cannot mount.
 */
export function mountFrom(dst: Target, from: string, debug: (message: string) => void): ((d: Descriptor) => Promise<boolean>) | undefined {
  if (!isMounter(dst)) return undefined;
  return async (d) => {
    try {
      const mounted = await dst.mountBlob(d, from);
      if (mounted) debug(`mounted ${d.digest} from ${from}`);
      return mounted;
    } catch (err) {
      if (err instanceof OcipackError && err.code === 'CANCELLED') throw err;
      debug(`mount of ${d.digest} from ${from} failed (${err instanceof Error ? err.message : 'error'}); copying it`);
      return false;
    }
  };
}

/** Digests of the manifests an index lists (recursively), whose referrers are copied too. */
export async function childManifests(target: Target, root: Descriptor, depth = 0): Promise<string[]> {
  if (!isIndexType(root.mediaType) || depth > 4) return [];
  const fetched = await target.fetchManifest(root.digest);
  const m = parseManifest(fetched.bytes, { where: root.digest, mediaType: root.mediaType });
  if (!isIndex(m)) return [];
  const out: string[] = [];
  for (const child of m.manifests) {
    out.push(child.digest);
    out.push(...(await childManifests(target, child, depth + 1)));
  }
  return out;
}

/** A destination with nothing in it and no way to write (a dry run into a layout directory not made yet). */
export function emptyTarget(name: string): Target {
  const missing = (what: string) => Promise.reject(new OcipackError('NOT_FOUND', `${what} not found in ${name}`));
  const readOnly = () => Promise.reject(new OcipackError('USAGE', 'a dry run writes nothing'));
  return {
    name,
    resolve: (ref) => missing(ref),
    fetchManifest: (ref) => missing(ref),
    fetchBlob: (d) => missing(d.digest),
    exists: async () => false,
    pushBlob: readOnly,
    pushManifest: readOnly,
    listTags: async () => [],
  };
}
