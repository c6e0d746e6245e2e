/**
 * promote: a gated, signature-preserving promotion (issue 27), `staging` → `production`. The source tag is
 * resolved ONCE; that digest is verified (integrity of every blob, and with keys or a keyless identity its
 * signatures or attestations: the same rules as `verify`); only then is the destination opened, and the
 * manifest, its blobs and all its referrers (signatures, attestations, SBOMs; the destination's tag-schema
 * index kept where it has no referrers API) are copied by that digest; the destination tag is written LAST,
 * so a promotion that fails or is interrupted midway leaves the destination tag where it was. A source tag
 * moved meanwhile changes nothing: nothing after the resolve reads the tag. Not verified: nothing is written
 * at the destination and PromotionRefusedError (code VERIFY, exit 3) carries the audit record.
 */
import { emitter } from '../core/events.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import type { Descriptor } from '../oci/descriptor.js';
import { parseAnnotations } from '../artifact/flux/manifest.js';
import { layoutTagSuffix, referenceIn, repositoryOf, type TargetRef } from '../connect/open.js';
import { connect, type Connection } from '../connect/connect.js';
import { mountSource, parseSides, sameStore, sideCreds, type SidesInput } from '../connect/sides.js';
import { isNotFound, tryResolve } from '../content/read.js';
import { pushManifestTagged } from '../content/multitag.js';
import type { Target } from '../content/target.js';
import { emptyTarget, mountFrom, transferArtifact, type TransferOptions } from '../content/transfer.js';
import { preparePolicy, verifyArtifact, type ArtifactVerdict, type TrustOptions } from '../signing/verifyartifact.js';
import type { VerifyPolicy } from '../signing/policy.js';

export interface PromoteOptions extends RunOptions, RegistryOptions, TargetCaps, TrustOptions, SidesInput {
  /** `oci://host/repo[:tag|@digest]`, or `<dir>[:tag|@digest]` with `fromOciLayout`. */
  source: string;
  /** `oci://host/repo[:tag]`, or `<dir>[:tag]` with `toOciLayout`; without a tag the source's tag is used. */
  destination: string;
  fromOciLayout?: boolean;
  toOciLayout?: boolean;
  /** `-a key=value`: required annotations in the signed payload (needs `key` or the keyless options). */
  annotations?: string[] | Record<string, string>;
  /** Parallel blob transfers (default DEFAULTS.concurrency). */
  concurrency?: number;
  /** Verify, read the source and check the destination; say what would be copied and tagged; write nothing. */
  dryRun?: boolean;
}

/** What the gate checked, and what it found (`verify`'s verdict; attestation predicates left out). */
export interface PromoteVerification extends ArtifactVerdict {
  /** What was required: integrity only (no key or identity given), a signature, or an attestation. */
  policy: 'integrity' | 'signature' | 'attestation';
}

/** The audit record of one promotion (`promote -o json`). */
export interface PromoteResult {
  source: string;
  /** `registry/repository:tag`, or `<dir>:tag`. */
  destination: string;
  /** The destination repository (`registry/repository`) or layout directory. */
  repository: string;
  /** `oci://registry/repository:tag`, or `<dir>:tag`. */
  url: string;
  /** The digest resolved once, verified, copied and tagged: the same on both sides. */
  digest: string;
  mediaType: string;
  verified: PromoteVerification;
  /** Written at the destination: `blobs` counts layers, configs and manifests (referrers' included); `skipped` what it had or mounted. */
  copied: { blobs: number; referrers: number; skipped: number; bytes: number };
  /** The destination tag; `previous` is what it named before; `written` false in a dry run or when it already named `digest`. */
  tagged: { tag: string; tags: string[]; previous?: string; written: boolean };
  /** With `dryRun`: the counts say what would have been written; nothing was. */
  dryRun?: boolean;
}

/** Verification failed: nothing was written at the destination. `result` is the audit record. */
export class PromotionRefusedError extends OcipackError {
  readonly result: PromoteResult;
  constructor(result: PromoteResult) {
    super('VERIFY', `not promoted: ${result.source} (${result.digest}) did not verify: ${why(result.verified)}; nothing was written to ${result.destination}`);
    this.name = 'PromotionRefusedError';
    this.result = result;
  }
}

interface PromotePlan {
  src: TargetRef;
  dst: TargetRef;
  tag: string;
  /** Every destination tag (`:production,prod-2026-12`; the first is `tag`). */
  tags: string[];
  /** `registry/repository:tag` or `<dir>:tag`, for messages and the record. */
  destination: string;
}

/** Parse both references and check the options before any I/O; bad input is a usage error (exit 2). */
export function preparePromote(opts: PromoteOptions): PromotePlan {
  const { src, dst, tags } = parseSides(opts, 'promote');
  if (dst.digest !== undefined) throw usageError(`promote writes a tag: give the destination "${dst.display}" a tag, not a digest`);
  const tag = dst.tag ?? src.tag;
  if (tag === undefined) throw usageError(`promote writes a tag: the destination "${dst.display}" needs one (the source names none)`);
  return { src, dst, tag, tags: tags.length > 0 ? tags : [tag], destination: repositoryOf(dst) + (dst.kind === 'layout' ? layoutTagSuffix(tag) : `:${tag}`) };
}

/** Verify `source`, then copy it with all its referrers to `destination` and tag it there last. */
export async function promote(opts: PromoteOptions): Promise<PromoteResult> {
  const emit = emitter(opts.onEvent);
  const plan = preparePromote(opts);
  const policy = await preparePolicy(opts, Array.isArray(opts.annotations) ? parseAnnotations(opts.annotations) : { ...(opts.annotations ?? {}) });
  const conn = connect(opts, opts, { hostCreds: sideCreds(opts, plan.src, plan.dst) });
  try {
    const src = await conn.open(plan.src);
    emit({ type: 'step', message: `verifying ${plan.src.display}` });
    const root = await src.resolve(referenceIn(plan.src));
    emit({ type: 'info', message: `resolved to ${root.digest}` });
    const verified = gate(policy, await verifyArtifact(src, root, policy, opts));
    const out = auditRecord(plan, root, verified, opts.dryRun ?? false);
    if (!verified.verified) throw new PromotionRefusedError(out);
    const dst = sameStore(plan.src, plan.dst) && opts.dryRun ? src : await openDestination(conn, plan.dst, opts.dryRun ?? false);
    // what each destination tag names now (the first one's is the record's `previous`), asked once per tag
    const now = await Promise.all(plan.tags.map((t) => tryResolve(dst, t)));
    const previous = now[0];
    if (previous) out.tagged.previous = previous.digest;
    const named = now.map((d) => d?.digest === root.digest);
    emit({ type: 'step', message: `promoting ${root.digest} to ${plan.destination}` });
    if (!sameStore(plan.src, plan.dst)) out.copied = await copyAll(src, dst, root, plan, opts, conn.signal);
    if (opts.dryRun || named.every(Boolean)) return out;
    // the tag last: everything it will name, referrers included, is in place
    const m = await src.fetchManifest(root.digest);
    await pushManifestTagged(dst, m.descriptor, m.bytes, plan.tags);
    out.tagged.written = true;
    return out;
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}

/** The record before anything is copied: nothing written, nothing tagged. */
function auditRecord(plan: PromotePlan, root: Descriptor, verified: PromoteVerification, dryRun: boolean): PromoteResult {
  const out: PromoteResult = {
    source: plan.src.display, destination: plan.destination, repository: repositoryOf(plan.dst),
    url: plan.dst.kind === 'remote' ? `oci://${plan.destination}` : plan.destination, digest: root.digest, mediaType: root.mediaType,
    verified, copied: { blobs: 0, referrers: 0, skipped: 0, bytes: 0 }, tagged: { tag: plan.tag, tags: plan.tags, written: false },
  };
  if (dryRun) out.dryRun = true;
  return out;
}

/** The destination, opened only after the gate; a dry run into a layout not made yet sees an empty one. */
async function openDestination(conn: Connection, dst: TargetRef, dryRun: boolean): Promise<Target> {
  return conn.open(dst, { push: true, create: !dryRun }).catch((err: unknown) => {
    if (dryRun && dst.kind === 'layout' && isNotFound(err)) return emptyTarget(dst.display);
    throw err;
  });
}

/** The manifest, its blobs and all its referrers, by digest, untagged (the tag comes after). */
async function copyAll(src: Target, dst: Target, root: Descriptor, plan: PromotePlan, opts: PromoteOptions, signal: AbortSignal): Promise<PromoteResult['copied']> {
  const t: TransferOptions = { includeReferrers: true, signal };
  if (opts.concurrency !== undefined) t.concurrency = opts.concurrency;
  if (opts.onEvent) t.onEvent = opts.onEvent;
  if (opts.dryRun) t.dryRun = true;
  const from = mountSource(plan.src, plan.dst);
  const mount = from === undefined ? undefined : mountFrom(dst, from, (message) => opts.onEvent?.({ type: 'debug', message }));
  if (mount) t.mount = mount;
  const r = await transferArtifact(src, dst, root, t);
  return { blobs: r.copied, referrers: r.referrers, skipped: r.skipped, bytes: r.bytes };
}

/** The verdict as the audit record keeps it: what was required, and attestations without their predicates. */
function gate(policy: VerifyPolicy | undefined, v: ArtifactVerdict): PromoteVerification {
  const kind = policy === undefined ? 'integrity' : policy.predicateType === undefined ? 'signature' : 'attestation';
  const out: PromoteVerification = { policy: kind, ...v };
  if (v.attestations) out.attestations = v.attestations.map(({ predicate: _predicate, ...a }) => a);
  return out;
}

/** Why the gate refused, in one line. */
function why(v: PromoteVerification): string {
  if (!v.integrity.ok) return `integrity: ${v.integrity.problems.length} problem(s), first: ${v.integrity.problems[0] ?? 'unknown'}`;
  const found = v.attestations ?? v.signatures;
  const what = v.policy === 'attestation' ? 'attestation' : 'signature';
  return found.length === 0 ? `no ${what} found` : `none of ${found.length} ${what}(s) verified`;
}
