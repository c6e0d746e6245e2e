/**
 * Attestations as cosign 3 `attest` writes them with the new bundle format (cosign attest.go,
 * pkg/oci/remote WriteAttestationNewBundleFormat): an in-toto Statement v1 whose subject is the
 * manifest (name: the repository, digest: the manifest digest) and whose predicate is the user's
 * document, in a DSSE envelope signed with a key (public-key hint) or keylessly (Fulcio certificate,
 * Rekor entry), in a Sigstore bundle v0.3 attached as a referrer whose `dev.sigstore.bundle.predicateType`
 * annotation carries the predicate type. The same writer as signatures (bundlesign.ts).
 */
import { emitter, type OnEvent } from '../core/events.js';
import { usageError } from '../core/errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { parseDigest } from '../oci/digest.js';
import type { Target } from '../content/target.js';
import { bundleReferrer, keyBundle, writeBundleReferrer, type WrittenReferrer } from './bundlesign.js';
import { keylessBundle, type KeylessSigner, type TlogEntry } from './keylesssign.js';
import type { Signer } from './signer.js';

/** cosign's short predicate type names (cosign pkg/cosign/attestation, options/predicate.go). */
export const PREDICATE_TYPES: Record<string, string> = {
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  custom: 'https://cosign.sigstore.dev/attestation/v1',
};

/** A short name or an absolute URI; anything else is a usage error (exit 2). */
export function predicateTypeFor(type: string | undefined): string {
  const t = type ?? '';
  const known = PREDICATE_TYPES[t];
  if (known) return known;
  let u: URL | undefined;
  try {
    u = new URL(t);
  } catch {
    u = undefined;
  }
  if (u) return t;
  throw usageError(`\`type\` must be slsaprovenance1, slsaprovenance, spdxjson, cyclonedx, vuln or a predicate type URI, not "${t}"`, { option: 'type' });
}

/** The in-toto Statement v1 over the manifest `digest` in `name` (registry/repository). */
export function attestationStatement(name: string, digest: string, predicateType: string, predicate: unknown): Buffer {
  const { algorithm, hex } = parseDigest(digest);
  const doc = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name, digest: { [algorithm]: hex } }], predicateType, predicate };
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

/** Who signs: a decrypted key, or keyless services and a token. */
export type AttestSigner = { kind: 'key'; signer: Signer } | { kind: 'keyless'; keyless: KeylessSigner };

/** What an attestation wrote. */
export interface AttestOutcome extends WrittenReferrer {
  digest: string;
  predicateType: string;
  /** Key: its fingerprint. Keyless: the certificate's identity and issuer, and the Rekor entry. */
  keyFingerprint?: string;
  identity?: string;
  issuer?: string;
  tlog?: TlogEntry;
}

/** Sign the statement and attach it as a bundle referrer of `subject`. Nothing is written when signing fails. */
export async function attestArtifact(
  target: Target, subject: Descriptor, statement: Buffer, predicateType: string, who: AttestSigner,
  o: { created?: string; onEvent?: OnEvent } = {},
): Promise<AttestOutcome> {
  const emit = emitter(o.onEvent);
  const created = o.created ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const out: Omit<AttestOutcome, keyof WrittenReferrer> = { digest: subject.digest, predicateType };
  let bundle: Buffer;
  if (who.kind === 'key') {
    bundle = keyBundle(who.signer, statement);
    out.keyFingerprint = who.signer.description.fingerprint;
  } else {
    const sig = await keylessBundle(statement, who.keyless);
    bundle = sig.bundle;
    out.identity = sig.identity;
    out.issuer = sig.issuer;
    if (sig.tlog) out.tlog = sig.tlog;
  }
  const written = await writeBundleReferrer(target, bundleReferrer(bundle, subject, created, predicateType), subject, emit);
  return { ...out, ...written };
}
