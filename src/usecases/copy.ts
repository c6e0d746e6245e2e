/**
 * copy: an artifact with everything it references — image or index, child manifests, config and
 * layers — between registries and OCI layout directories (oras cp / crane copy). The bytes are not
 * touched, so the digest is the same on both sides; blobs the destination has are skipped; on one
 * registry, blobs are mounted across repositories instead of transferred (distribution-spec
 * "Mounting a blob from another repository"); `includeReferrers` also copies signatures and other
 * referrers (src/content/referrers.ts).
 */
import { emitter } from '../core/events.js';
import { OcipackError } from '../core/errors.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import { referenceIn, repositoryOf, type TargetRef } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import { mountSource, parseSides, sideCreds } from '../connect/sides.js';
import { isNotFound, tryResolve } from '../content/read.js';
import type { Target } from '../content/target.js';
import { emptyTarget, mountFrom, transferArtifact, type TransferOptions } from '../content/transfer.js';

export interface CopyOptions extends RunOptions, RegistryOptions, TargetCaps {
  /** `oci://host/repo[:tag|@digest]`, or `<dir>[:tag|@digest]` with `fromOciLayout`. */
  source: string;
  /** `oci://host/repo[:tag]`, or `<dir>[:tag]` with `toOciLayout`; without a tag the source's tag is used; `:t1,t2,…` gives every tag listed. */
  destination: string;
  fromOciLayout?: boolean;
  toOciLayout?: boolean;
  /** Also copy what refers to the artifact: OCI referrers and cosign `.sig/.att/.sbom` tags. */
  includeReferrers?: boolean;
  /** Parallel blob transfers (default DEFAULTS.concurrency). */
  concurrency?: number;
  /** Credentials for the source registry only (`user:pass` or a token); win over `creds` there. */
  fromCreds?: string;
  /** Credentials for the destination registry only. */
  toCreds?: string;
  /** Read the source, check the destination, and count what would be written; write nothing. */
  dryRun?: boolean;
}

export interface CopyResult {
  source: string;
  destination: string;
  /** The same on both sides. */
  digest: string;
  mediaType: string;
  /** The destination tag, when the copy was tagged (the first of a list). */
  tag?: string;
  /** Every destination tag written, in the order given (`tag` first). */
  tags?: string[];
  /** Manifests and blobs written, skipped (already there, or mounted), and bytes written. */
  copied: number;
  skipped: number;
  bytes: number;
  /** Referrer manifests copied (with `includeReferrers`). */
  referrers: number;
  /** With `dryRun`: the counts say what would have been written; nothing was. */
  dryRun?: boolean;
  /** With `dryRun`: the manifest the destination tag names now (absent: a new tag, or none). */
  previous?: string;
}

/** One side of the copy, opened through the run's Connection. */
interface Opened {
  target: Target;
}

interface CopyPlan {
  src: TargetRef;
  dst: TargetRef;
  tag?: string;
  /** A destination tag list (two or more). */
  tags?: string[];
}

/** Parse both references before any I/O; a bad one is a usage error (exit 2). */
export function prepareCopy(opts: CopyOptions): CopyPlan {
  const { src, dst, tags } = parseSides(opts, 'copy');
  const plan: CopyPlan = { src, dst };
  if (tags.length > 1) plan.tags = tags;
  const tag = dst.tag ?? (dst.digest === undefined ? src.tag : undefined);
  if (tag !== undefined) plan.tag = tag;
  return plan;
}

/** Copy the artifact `source` names, and everything it references, to `destination`. */
export async function copy(opts: CopyOptions): Promise<CopyResult> {
  const emit = emitter(opts.onEvent);
  const plan = prepareCopy(opts);
  // One Connection for both sides: one deadline, one session, --creds read once, each side's own flag bound to its registry.
  const conn = connect(opts, opts, { hostCreds: sideCreds(opts, plan.src, plan.dst) });
  try {
    const src: Opened = { target: await conn.open(plan.src) };
    const dst: Opened = {
      target: await conn.open(plan.dst, { push: true, create: !opts.dryRun }).catch((err: unknown) => {
        // a dry run into a layout that does not exist yet: everything would be written
        if (opts.dryRun && plan.dst.kind === 'layout' && isNotFound(err)) return emptyTarget(plan.dst.display);
        throw err;
      }),
    };
    const to = plan.tag === undefined ? repositoryOf(plan.dst) : `${repositoryOf(plan.dst)}:${plan.tag}`;
    emit({ type: 'step', message: `copying ${plan.src.display} to ${plan.tags ? `${repositoryOf(plan.dst)}:${plan.tags.join(',')}` : to}` });
    const root = await src.target.resolve(referenceIn(plan.src));
    if (plan.dst.digest !== undefined && plan.dst.digest !== root.digest) {
      throw new OcipackError('USAGE', `destination digest ${plan.dst.digest} is not the source's digest ${root.digest}`);
    }
    const from = mountSource(plan.src, plan.dst);
    const mount = from === undefined ? undefined : mountFrom(dst.target, from, (message) => emit({ type: 'debug', message }));
    const t: TransferOptions = { signal: conn.signal };
    if (plan.tag !== undefined) t.tag = plan.tag;
    if (plan.tags) t.tags = plan.tags;
    if (opts.includeReferrers) t.includeReferrers = true;
    if (opts.concurrency !== undefined) t.concurrency = opts.concurrency;
    if (opts.onEvent) t.onEvent = opts.onEvent;
    if (opts.dryRun) t.dryRun = true;
    if (mount) t.mount = mount;
    const r = await transferArtifact(src.target, dst.target, root, t);
    const out: CopyResult = {
      source: plan.src.display, destination: to, digest: root.digest, mediaType: root.mediaType,
      copied: r.copied, skipped: r.skipped, bytes: r.bytes, referrers: r.referrers,
    };
    if (plan.tag !== undefined) out.tag = plan.tag;
    if (plan.tag !== undefined) out.tags = plan.tags ?? [plan.tag];
    if (opts.dryRun) {
      out.dryRun = true;
      const now = plan.tag === undefined ? undefined : await tryResolve(dst.target, plan.tag);
      if (now) out.previous = now.digest;
    }
    return out;
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}
