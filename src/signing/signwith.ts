/**
 * One way to sign a pushed or resolved manifest, shared by sign, push --sign-key and push --chart
 * --sign-key: the signature format chosen by name, and one result shape for both layouts.
 */
import { usageError } from '../core/errors.js';
import type { OnEvent } from '../core/events.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Target } from '../content/target.js';
import { bundleReferrer, signBundle, writeBundleReferrer } from './bundlesign.js';
import { keylessBundle, type KeylessSigner, type TlogEntry } from './keylesssign.js';
import { cosignStatement } from './payload.js';
import { signDigest } from './classic.js';
import type { Signer } from './signer.js';

/** `bundle`: cosign 3's Sigstore bundle referrer (default). `legacy`: cosign 2's `sha256-<hex>.sig` tag. */
export type SignatureFormatName = 'bundle' | 'legacy';
export const SIGNATURE_FORMATS: readonly SignatureFormatName[] = ['bundle', 'legacy'];

/** The `--signature-format` value, `bundle` when absent; anything else is a usage error (exit 2). */
export function parseSignatureFormat(v: string | undefined): SignatureFormatName {
  if (v === undefined || v === '') return 'bundle';
  if ((SIGNATURE_FORMATS as readonly string[]).includes(v)) return v as SignatureFormatName;
  throw usageError(`\`signatureFormat\` must be bundle or legacy, not "${v}"`, { option: 'signatureFormat', next: 'signature-format' });
}

/** What a signature wrote (or, dry run, would write), whichever the layout. */
export interface SignOutcome {
  /** The signed manifest digest. */
  digest: string;
  signatureFormat: SignatureFormatName;
  /** Digest of what now holds the signature: the referrer manifest (bundle) or the `.sig` image (legacy). */
  signatureDigest: string;
  /** Legacy: `sha256-<hex>.sig`. Bundle on a registry without the referrers API: the `sha256-<hex>` index tag. */
  signatureTag?: string;
  /** Bundle: `referrers-api` or `tag-schema`. */
  attachedVia?: string;
  /** Legacy: signatures in the `.sig` image, ours included. */
  signatures?: number;
  /** True when the same key had already signed the same statement or payload, so nothing was written. */
  alreadySigned: boolean;
  keyFingerprint: string;
  dryRun: boolean;
  /** With `dryRun`: the documents that would be written. */
  wouldWrite?: unknown;
  /** Keyless: the referrer manifest digest, the certificate's identity and issuer, the Rekor entry. */
  referrer?: string;
  identity?: string;
  issuer?: string;
  tlog?: TlogEntry;
}

export interface SignWithOptions {
  format: SignatureFormatName;
  /** `registry/repository` for the legacy simple-signing payload. */
  dockerReference: string;
  annotations: Record<string, string>;
  dryRun: boolean;
  onEvent?: OnEvent;
}

/** Sign `subject` (a manifest in `target`) in the chosen format. */
export async function signArtifact(target: Target, subject: Descriptor, signer: Signer, o: SignWithOptions): Promise<SignOutcome> {
  if (o.format === 'legacy') {
    const r = await signDigest(target, o.dockerReference, subject.digest, signer, o.annotations, o.onEvent, o.dryRun);
    const out: SignOutcome = {
      digest: r.digest, signatureFormat: 'legacy', signatureDigest: r.signatureDigest, signatureTag: r.signatureTag,
      signatures: r.signatures, alreadySigned: r.alreadySigned, keyFingerprint: r.keyFingerprint, dryRun: o.dryRun,
    };
    if (r.wouldWrite) out.wouldWrite = r.wouldWrite;
    return out;
  }
  const bopts: Parameters<typeof signBundle>[4] = { dryRun: o.dryRun };
  if (o.onEvent) bopts.onEvent = o.onEvent;
  const r = await signBundle(target, subject, signer, o.annotations, bopts);
  const out: SignOutcome = {
    digest: r.digest, signatureFormat: 'bundle', signatureDigest: r.referrerDigest, attachedVia: r.attachedVia,
    alreadySigned: r.alreadySigned, keyFingerprint: r.keyFingerprint, dryRun: o.dryRun,
  };
  if (r.referrersTag !== undefined) out.signatureTag = r.referrersTag;
  if (r.wouldWrite) out.wouldWrite = r.wouldWrite;
  return out;
}

/**
 * Sign `subject` keylessly (Fulcio certificate, Rekor entry and/or timestamp) and attach the bundle
 * through the same writer as a key bundle. Every keyless signature is new (a fresh certificate), so
 * there is no "already signed"; nothing is written when a service fails.
 */
export async function signArtifactKeyless(
  target: Target, subject: Descriptor, k: KeylessSigner, o: { annotations: Record<string, string>; created?: string; onEvent?: OnEvent },
): Promise<SignOutcome> {
  const sig = await keylessBundle(cosignStatement(subject.digest, o.annotations), k);
  const created = o.created ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const w = await writeBundleReferrer(target, bundleReferrer(sig.bundle, subject, created), subject, o.onEvent);
  const out: SignOutcome = {
    digest: subject.digest, signatureFormat: 'bundle', signatureDigest: w.referrerDigest, attachedVia: w.attachedVia,
    alreadySigned: false, keyFingerprint: '', dryRun: false, referrer: w.referrerDigest, identity: sig.identity, issuer: sig.issuer,
  };
  if (w.referrersTag !== undefined) out.signatureTag = w.referrersTag;
  if (sig.tlog) out.tlog = sig.tlog;
  return out;
}
