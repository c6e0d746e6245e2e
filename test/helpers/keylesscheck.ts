/**
 * An INDEPENDENT check of keyless bundle referrers (signatures and attestations), with @sigstore/verify
 * against a trusted root and plain reads of the store: it imports nothing from src/. It finds the
 * referrers of a digest through the referrers tag schema, keeps those whose predicate-type annotation
 * is the one asked for, and requires of each: the bundle v0.3 verifies (certificate chain, SCT, Rekor
 * entry or timestamp, DSSE signature), the certificate names exactly the identity and issuer, and the
 * in-toto Statement v1 names the digest with that predicate type. Each failed rule throws with its name.
 */
import { createHash } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import type { RawReader } from './bundlecheck.js';

const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const COSIGN_SIGN = 'https://sigstore.dev/cosign/sign/v1';

function rule(ok: unknown, name: string): asserts ok {
  if (!ok) throw new Error(`independent keyless check failed: ${name}`);
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface KeylessFound {
  referrer: string;
  identity: string;
  issuer: string;
  statement: { _type: string; predicateType: string; subject: { digest: Record<string, string> }[]; predicate: unknown };
  bundle: Record<string, unknown>;
}

/**
 * Every bundle referrer of `digest` with `predicateType` that passes all rules for `identity` and
 * `issuer` under `trustedRoot`; throws when none does.
 */
export async function keylessVerify(reader: RawReader, digest: string, trustedRoot: Buffer, want: { identity: string; issuer: string; predicateType?: string }): Promise<KeylessFound[]> {
  const predicateType = want.predicateType ?? COSIGN_SIGN;
  const root = JSON.parse(trustedRoot.toString()) as { tlogs?: unknown[]; ctlogs?: unknown[] };
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(root)), {
    tlogThreshold: 0, ctlogThreshold: (root.ctlogs?.length ?? 0) > 0 ? 1 : 0, timestampThreshold: 1,
  });
  const indexBytes = await reader.manifest(digest.replace(':', '-'));
  rule(indexBytes, 'the referrers tag schema index exists');
  const index = JSON.parse(indexBytes.toString()) as { manifests: { digest: string; artifactType?: string; annotations?: Record<string, string> }[] };
  const out: KeylessFound[] = [];
  for (const entry of index.manifests) {
    if (entry.artifactType !== BUNDLE_V03 || entry.annotations?.['dev.sigstore.bundle.predicateType'] !== predicateType) continue;
    const mbytes = await reader.manifest(entry.digest);
    rule(mbytes && sha256(mbytes) === entry.digest, 'the referrer manifest hashes to its listing');
    const m = JSON.parse(mbytes.toString()) as { subject?: { digest: string }; layers: { mediaType: string; digest: string }[]; annotations?: Record<string, string> };
    rule(m.subject?.digest === digest, 'manifest subject is the digest');
    rule(m.layers.length === 1 && m.layers[0]!.mediaType === BUNDLE_V03, 'one bundle layer');
    rule(m.annotations?.['dev.sigstore.bundle.content'] === 'dsse-envelope', 'annotation dev.sigstore.bundle.content');
    const bytes = await reader.blob(m.layers[0]!.digest);
    rule(sha256(bytes) === m.layers[0]!.digest, 'bundle blob hashes to its descriptor');
    const json = JSON.parse(bytes.toString()) as Record<string, unknown> & { mediaType: string; verificationMaterial: { certificate?: unknown }; dsseEnvelope: { payload: string; payloadType: string } };
    rule(json.mediaType === BUNDLE_V03, 'bundle mediaType v0.3');
    rule(json.verificationMaterial.certificate, 'verification material is one certificate (cosign 3)');
    const signer = verifier.verify(toSignedEntity(bundleFromJSON(json)));
    const identity = signer.identity?.subjectAlternativeName ?? '';
    const issuer = signer.identity?.extensions?.issuer ?? '';
    rule(identity === want.identity, `certificate identity ${identity} is ${want.identity}`);
    rule(issuer === want.issuer, `certificate issuer ${issuer} is ${want.issuer}`);
    rule(json.dsseEnvelope.payloadType === 'application/vnd.in-toto+json', 'DSSE payload type in-toto');
    const statement = JSON.parse(Buffer.from(json.dsseEnvelope.payload, 'base64').toString()) as KeylessFound['statement'];
    rule(statement._type === 'https://in-toto.io/Statement/v1', 'in-toto Statement v1');
    rule(statement.predicateType === predicateType, `predicate type ${predicateType}`);
    const [alg, hex] = digest.split(':') as [string, string];
    rule(statement.subject.some((s) => s.digest[alg] === hex), 'statement subject names the digest');
    out.push({ referrer: entry.digest, identity, issuer, statement, bundle: json });
  }
  rule(out.length > 0, `a keyless bundle with predicate type ${predicateType}`);
  return out;
}
