/**
 * Keyless verification of sigstore bundles, offline, against a `trusted_root.json`
 * (protobuf-specs TrustedRoot) with @sigstore/verify. The library checks the certificate chain to a
 * trusted CA at a verified time (a transparency-log SET or an RFC 3161 timestamp: at least one is
 * required, since without a time the chain is not checked at all), the log entries and SCTs the root
 * calls for, and the signature. We compare the verified leaf's SAN, OIDC issuer and GitHub workflow
 * extensions (taken from the Signer it returns, never from the bundle's certificate list) ourselves (identity.ts: exact, or anchored regular expressions): the library's policy treats
 * strings as unanchored regular expressions. The subject digest is
 * checked by the caller (policy.ts). @sigstore/* are loaded only when keyless flags are used.
 */
import { createHash } from 'node:crypto';
import { OcipackError } from '../core/errors.js';
import type { ParsedBundle } from './bundle.js';
import { compileRules, matchIdentity, type IdentityRules } from './identity.js';

export interface KeylessPolicy {
  /** SAN and issuer (OID 1.3.6.1.4.1.57264.1.8, or legacy .1.1), exact or by anchored regexp, and GitHub workflow claims. */
  rules: IdentityRules;
  /** The trusted_root.json bytes. */
  trustedRoot: Buffer;
  /** Name of the trusted root file, for messages. */
  trustedRootName?: string;
}

export type KeylessResult = { ok: true; identity: string; issuer: string; matched: string[] } | { ok: false; reason: string };

export interface KeylessVerifier {
  verify(bundle: ParsedBundle): Promise<KeylessResult>;
  /** A classic `.sig` layer signed keyless: certificate, chain, Rekor bundle and RFC 3161 annotations. */
  verifyClassic(payload: Buffer, signature: Buffer, annotations: Record<string, string>): Promise<KeylessResult>;
}

/** cosign's classic layer annotations for keyless signatures (pkg/oci/static). */
export const CLASSIC_ANNOTATIONS = {
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  rfc3161: 'dev.sigstore.cosign/rfc3161timestamp',
} as const;

function pemCertificates(pem: string | undefined): string[] {
  const out: string[] = [];
  for (const m of (pem ?? '').matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)) out.push(m[1]!.replace(/\s+/g, ''));
  return out;
}

/**
 * The v0.1 sigstore bundle equivalent to a classic keyless layer: a message signature over the payload,
 * the certificate chain, the Rekor entry from cosign's `RekorBundle` annotation (SET, body, time,
 * index, log ID) and any RFC 3161 timestamp. @sigstore/verify then checks it like any bundle.
 */
export function classicToBundle(payload: Buffer, signature: Buffer, annotations: Record<string, string>): Record<string, unknown> | string {
  const certs = [...pemCertificates(annotations[CLASSIC_ANNOTATIONS.certificate]), ...pemCertificates(annotations[CLASSIC_ANNOTATIONS.chain])];
  if (certs.length === 0) return 'the layer has no certificate annotation';
  const vm: Record<string, unknown> = { x509CertificateChain: { certificates: certs.map((rawBytes) => ({ rawBytes })) }, tlogEntries: [] };
  try {
    const rb = annotations[CLASSIC_ANNOTATIONS.bundle];
    if (rb) {
      const { SignedEntryTimestamp: set, Payload: p } = JSON.parse(rb) as { SignedEntryTimestamp: string; Payload: { body: string; integratedTime: number; logIndex: number; logID: string } };
      const body = JSON.parse(Buffer.from(p.body, 'base64').toString('utf8')) as { kind?: string; apiVersion?: string };
      vm.tlogEntries = [{
        logIndex: String(p.logIndex), logId: { keyId: Buffer.from(p.logID, 'hex').toString('base64') },
        kindVersion: { kind: body.kind, version: body.apiVersion }, integratedTime: String(p.integratedTime),
        inclusionPromise: { signedEntryTimestamp: set }, canonicalizedBody: p.body,
      }];
    }
    const ts = annotations[CLASSIC_ANNOTATIONS.rfc3161];
    if (ts) vm.timestampVerificationData = { rfc3161Timestamps: [{ signedTimestamp: (JSON.parse(ts) as { SignedRFC3161Timestamp: string }).SignedRFC3161Timestamp }] };
  } catch {
    return 'the Rekor bundle or timestamp annotation is malformed';
  }
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: vm,
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
      signature: signature.toString('base64'),
    },
  };
}

interface RootShape {
  tlogs?: unknown[];
  ctlogs?: unknown[];
  certificateAuthorities?: unknown[];
}

/** Thresholds implied by the trusted root: require a log entry / SCT only where the root names a log. */
export function thresholdsFor(root: RootShape): { tlogThreshold: number; ctlogThreshold: number; timestampThreshold: number } {
  return {
    tlogThreshold: (root.tlogs?.length ?? 0) > 0 ? 1 : 0,
    ctlogThreshold: (root.ctlogs?.length ?? 0) > 0 ? 1 : 0,
    timestampThreshold: 1,
  };
}

function messageOf(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; cause?: { message?: unknown } };
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  const cause = typeof e?.cause?.message === 'string' ? ` (${e.cause.message})` : '';
  return `${msg}${cause}`.split('\n')[0]!;
}

/** The verified leaf's extensions by dotted OID (values: the OCTET STRING's content, as certext.ts reads them). */
export function verifiedExtensions(oids: readonly { oid?: { id: readonly number[] } | undefined; value: Uint8Array }[] | undefined): Map<string, Buffer> | undefined {
  if (!oids) return undefined;
  const out = new Map<string, Buffer>();
  for (const o of oids) if (o.oid) out.set(o.oid.id.join('.'), Buffer.from(o.value));
  return out;
}

/** Parse the trusted root now (BAD_INPUT when it is not one) and return a verifier for bundles. */
export async function keylessVerifier(policy: KeylessPolicy): Promise<KeylessVerifier> {
  const name = policy.trustedRootName ?? 'the trusted root';
  const rules = compileRules(policy.rules);
  const [{ Verifier, toSignedEntity, toTrustMaterial }, { bundleFromJSON }, { TrustedRoot }] = await Promise.all([
    import('@sigstore/verify'), import('@sigstore/bundle'), import('@sigstore/protobuf-specs'),
  ]);
  let json: RootShape;
  let verifier: InstanceType<typeof Verifier>;
  try {
    json = JSON.parse(policy.trustedRoot.toString('utf8')) as RootShape;
    if (!Array.isArray(json.certificateAuthorities) || json.certificateAuthorities.length === 0) {
      throw new Error('it lists no certificateAuthorities');
    }
    verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(json)), thresholdsFor(json));
  } catch (err) {
    throw new OcipackError('BAD_INPUT', `${name} is not a usable trusted_root.json: ${messageOf(err)}`);
  }
  // SPEC §7: every claim (SAN, issuer, workflow extensions) is read from the Signer @sigstore/verify
  // returns: the leaf whose chain, verified time and signature it checked, whatever else the bundle carries.
  const run = (json: unknown, artifact?: Buffer): KeylessResult => {
    let signer;
    try {
      signer = verifier.verify(toSignedEntity(bundleFromJSON(json), artifact));
    } catch (err) {
      return { ok: false, reason: `keyless verification failed: ${messageOf(err)}` };
    }
    const identity = signer.identity?.subjectAlternativeName ?? '';
    const issuer = signer.identity?.extensions?.issuer ?? '';
    const m = matchIdentity(rules, identity, issuer, verifiedExtensions(signer.identity?.oids));
    return m.ok ? { ok: true, identity, issuer, matched: m.matched } : { ok: false, reason: m.reason };
  };
  return {
    async verify(b: ParsedBundle): Promise<KeylessResult> {
      if (b.material.kind !== 'certificate') return { ok: false, reason: 'the bundle is signed with a key, not a certificate' };
      return run(b.json);
    },
    async verifyClassic(payload: Buffer, signature: Buffer, annotations: Record<string, string>): Promise<KeylessResult> {
      const json = classicToBundle(payload, signature, annotations);
      return typeof json === 'string' ? { ok: false, reason: json } : run(json, payload);
    },
  };
}
