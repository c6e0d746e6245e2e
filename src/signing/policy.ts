/**
 * When a signature counts: its cryptography verifies with a trusted key (or, keyless, a certificate
 * that chains to the trusted root and names exactly the expected identity and issuer) AND what it
 * signs names the digest being verified (simple-signing `critical.image.docker-manifest-digest` with
 * cosign's `critical.type`, or the in-toto subject with cosign's sign predicate), with every required
 * annotation. Each refusal carries a one-line reason.
 */
import type { KeyObject } from 'node:crypto';
import { OcipackError } from '../core/errors.js';
import { pae, parseBundle, type ParsedBundle } from './bundle.js';
import { verifySignature, type KeyDescription } from './crypto.js';
import type { Candidate, SignatureFormat } from './discover.js';
import { checkSimpleSigning, checkStatement, INTOTO_PAYLOAD_TYPE, type ClaimCheck } from './payload.js';
import { CLASSIC_ANNOTATIONS, type KeylessVerifier } from './keyless.js';

export interface TrustedKey {
  /** Where it came from, for output (the file name). */
  name: string;
  key: KeyObject;
  description: KeyDescription;
}

export interface VerifyPolicy {
  keys: TrustedKey[];
  keyless?: KeylessVerifier;
  /** `-a key=value`: must appear in the signed payload. */
  annotations: Record<string, string>;
  /** Attestations (`--attestation-type`): the in-toto predicate type required instead of cosign's sign predicate. */
  predicateType?: string;
}

/** One signature's verdict, as `verify -o json` prints it. */
export interface SignatureVerdict {
  format: SignatureFormat;
  source: string;
  /** Digest of the payload or bundle blob. */
  layer: string;
  verified: boolean;
  /** The key file that verified it. */
  key?: string;
  keyFingerprint?: string;
  /** Keyless: the certificate's SAN and OIDC issuer. */
  identity?: string;
  issuer?: string;
  /** The rules that accepted it, by option name: `key <file>`, or each keyless option that matched (with the certificate OID for workflow claims). */
  matched?: string[];
  /** simple-signing `critical.identity.docker-reference`, informative only. */
  dockerReference?: string;
  /** Why it does not count. */
  reason?: string;
}

type Signer = { key?: TrustedKey; identity?: string; issuer?: string; matched?: string[] };

function verdict(c: Candidate, verified: boolean, extra: Partial<SignatureVerdict>): SignatureVerdict {
  return { format: c.format, source: c.source, layer: c.layer.digest, verified, ...extra };
}

function signerFields(s: Signer): Partial<SignatureVerdict> {
  const out: Partial<SignatureVerdict> = {};
  if (s.key) {
    out.key = s.key.name;
    out.keyFingerprint = s.key.description.fingerprint;
    out.matched = [`key ${s.key.name}`];
  }
  if (s.matched !== undefined) out.matched = s.matched;
  if (s.identity !== undefined) out.identity = s.identity;
  if (s.issuer !== undefined) out.issuer = s.issuer;
  return out;
}

function withClaims(c: Candidate, signer: Signer, claims: ClaimCheck): SignatureVerdict {
  if (!claims.ok) return verdict(c, false, { ...signerFields(signer), reason: claims.reason });
  const extra: Partial<SignatureVerdict> = signerFields(signer);
  if (claims.dockerReference !== undefined) extra.dockerReference = claims.dockerReference;
  return verdict(c, true, extra);
}

function byKey(keys: TrustedKey[], data: Uint8Array, sig: Uint8Array): TrustedKey | undefined {
  return keys.find((k) => verifySignature(k.key, data, sig));
}

async function checkSimple(c: Extract<Candidate, { kind: 'simple' }>, digest: string, policy: VerifyPolicy): Promise<SignatureVerdict> {
  if (policy.predicateType !== undefined) return verdict(c, false, { reason: 'a simple-signing signature, not an attestation' });
  if (!c.signature) return verdict(c, false, { reason: 'the layer has no dev.cosignproject.cosign/signature annotation' });
  const key = byKey(policy.keys, c.payload, c.signature);
  if (key) return withClaims(c, { key }, checkSimpleSigning(c.payload, digest, policy.annotations));
  if (policy.keyless && c.annotations[CLASSIC_ANNOTATIONS.certificate] !== undefined) {
    const r = await policy.keyless.verifyClassic(c.payload, c.signature, c.annotations);
    if (!r.ok) return verdict(c, false, { reason: r.reason });
    return withClaims(c, { identity: r.identity, issuer: r.issuer, matched: r.matched }, checkSimpleSigning(c.payload, digest, policy.annotations));
  }
  if (policy.keys.length === 0) return verdict(c, false, { reason: 'the signature is not keyless (no certificate); verify it with `key`' });
  return verdict(c, false, { reason: 'the signature does not verify with any given key' });
}

function checkKeyedBundle(c: Candidate, b: ParsedBundle, digest: string, policy: VerifyPolicy): SignatureVerdict {
  if (b.content.kind !== 'dsse') return verdict(c, false, { reason: 'the bundle holds a message signature, not a DSSE envelope over an in-toto statement' });
  const env = b.content.envelope;
  if (env.payloadType !== INTOTO_PAYLOAD_TYPE) return verdict(c, false, { reason: `DSSE payload type is ${env.payloadType}, not ${INTOTO_PAYLOAD_TYPE}` });
  const signed = pae(env.payloadType, env.payload);
  for (const s of env.signatures) {
    const key = byKey(policy.keys, signed, s.sig);
    if (key) return withClaims(c, { key }, checkStatement(env.payload, digest, policy.annotations, policy.predicateType));
  }
  return verdict(c, false, { reason: 'the bundle signature does not verify with any given key' });
}

async function checkBundle(c: Extract<Candidate, { kind: 'bundle' }>, digest: string, policy: VerifyPolicy): Promise<SignatureVerdict> {
  let b: ParsedBundle;
  try {
    b = parseBundle(c.bundle);
  } catch (err) {
    if (err instanceof OcipackError) return verdict(c, false, { reason: err.message });
    throw err;
  }
  if (b.material.kind === 'publicKey' || !policy.keyless) {
    if (policy.keys.length === 0) return verdict(c, false, { reason: 'the bundle is signed with a key; verify it with `key`' });
    return checkKeyedBundle(c, b, digest, policy);
  }
  const r = await policy.keyless.verify(b);
  if (!r.ok) return verdict(c, false, { reason: r.reason });
  const signer: Signer = { identity: r.identity, issuer: r.issuer, matched: r.matched };
  if (b.content.kind !== 'dsse') return verdict(c, false, { ...signerFields(signer), reason: 'the bundle holds a message signature, not an in-toto statement' });
  return withClaims(c, signer, checkStatement(b.content.envelope.payload, digest, policy.annotations, policy.predicateType));
}

/** The verdict for one candidate under `policy`, for the image `digest`. */
export async function judge(c: Candidate, digest: string, policy: VerifyPolicy): Promise<SignatureVerdict> {
  switch (c.kind) {
    case 'unreadable':
      return verdict(c, false, { reason: c.reason });
    case 'simple':
      return checkSimple(c, digest, policy);
    case 'bundle':
      return checkBundle(c, digest, policy);
  }
}
