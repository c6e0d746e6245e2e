/**
 * An INDEPENDENT check of a cosign-3 key-signed bundle attachment, written from the published specs
 * only (sigstore protobuf-specs Bundle v0.3 JSON, DSSE v1 PAE, in-toto Statement v1, cosign
 * specs/BUNDLE_SPEC.md, distribution-spec v1.1 referrers tag schema) with node:crypto and plain
 * reads: it imports nothing from src/. Each failed rule throws with the rule's name.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** How to read the store: a manifest by tag or digest, a blob by digest (undefined when absent). */
export interface RawReader {
  manifest(ref: string): Promise<Buffer | undefined>;
  blob(digest: string): Promise<Buffer>;
}

/** A registry reached with fetch (no auth). */
export function registryReader(base: string, repo: string): RawReader {
  return {
    async manifest(ref) {
      const accept = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json';
      const r = await fetch(`${base}/v2/${repo}/manifests/${ref}`, { headers: { accept } });
      if (r.status === 404) return undefined;
      if (r.status !== 200) throw new Error(`GET manifest ${ref}: ${r.status}`);
      return Buffer.from(await r.arrayBuffer());
    },
    async blob(digest) {
      const r = await fetch(`${base}/v2/${repo}/blobs/${digest}`);
      if (r.status !== 200) throw new Error(`GET blob ${digest}: ${r.status}`);
      return Buffer.from(await r.arrayBuffer());
    },
  };
}

/** An OCI image-layout directory (image-spec image-layout.md: index.json, blobs/<alg>/<hex>). */
export function layoutReader(dir: string, readFile: (p: string) => Promise<Buffer>): RawReader {
  const blob = (d: string): Promise<Buffer> => readFile(`${dir}/blobs/${d.replace(':', '/')}`);
  return {
    async manifest(ref) {
      if (ref.startsWith('sha256:')) return blob(ref).catch(() => undefined);
      const index = JSON.parse((await readFile(`${dir}/index.json`)).toString()) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
      const e = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
      return e ? blob(e.digest) : undefined;
    },
    blob,
  };
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function rule(ok: unknown, name: string): asserts ok {
  if (!ok) throw new Error(`independent check failed: ${name}`);
}

/** The DSSE v1 pre-authentication encoding (secure-systems-lab/dsse protocol.md). */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

/** Verify an ECDSA/RSA/Ed25519 signature the way sigstore's default algorithms do for that key. */
function keyVerifies(pub: KeyObject, data: Buffer, sig: Buffer): boolean {
  if (pub.asymmetricKeyType === 'ed25519') return verify(null, data, pub, sig);
  const curve = pub.asymmetricKeyDetails?.namedCurve;
  const hash = curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
  return verify(hash, data, pub, sig);
}

export interface IndependentResult {
  referrer: string;
  statement: Record<string, unknown>;
  annotations: Record<string, string>;
}

/**
 * Find the bundle referrers of `subjectDigest` through the referrers tag schema, and return the ones
 * that pass every rule for `publicKeyPem`; throws when none does.
 */
export async function independentlyVerify(reader: RawReader, subjectDigest: string, publicKeyPem: string): Promise<IndependentResult[]> {
  const pub = createPublicKey(publicKeyPem);
  const hint = createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('base64');
  const indexBytes = await reader.manifest(subjectDigest.replace(':', '-'));
  rule(indexBytes, 'the referrers tag schema index exists');
  const index = JSON.parse(indexBytes.toString()) as { mediaType: string; manifests: { digest: string; artifactType?: string; annotations?: Record<string, string> }[] };
  rule(index.mediaType === 'application/vnd.oci.image.index.v1+json', 'the tag schema holds an OCI index');
  const out: IndependentResult[] = [];
  for (const entry of index.manifests.filter((m) => m.artifactType === BUNDLE_V03)) {
    const mbytes = await reader.manifest(entry.digest);
    rule(mbytes && sha256(mbytes) === entry.digest, 'the referrer manifest hashes to its listing');
    const m = JSON.parse(mbytes.toString()) as { artifactType?: string; config: { mediaType: string; digest: string; size: number }; layers: { mediaType: string; digest: string; size: number }[]; subject?: { digest: string }; annotations?: Record<string, string> };
    rule(m.artifactType === BUNDLE_V03, 'manifest artifactType is the bundle media type');
    rule(m.config.mediaType === 'application/vnd.oci.empty.v1+json' && m.config.size === 2, 'config is the empty descriptor');
    rule(m.subject?.digest === subjectDigest, 'manifest subject is the signed digest');
    rule(m.layers.length === 1 && m.layers[0]!.mediaType === BUNDLE_V03, 'one bundle layer');
    rule(m.annotations?.['dev.sigstore.bundle.content'] === 'dsse-envelope', 'annotation dev.sigstore.bundle.content');
    rule(m.annotations?.['dev.sigstore.bundle.predicateType'] === 'https://sigstore.dev/cosign/sign/v1', 'annotation dev.sigstore.bundle.predicateType');
    rule(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(m.annotations?.['org.opencontainers.image.created'] ?? ''), 'annotation org.opencontainers.image.created (RFC 3339)');
    rule(JSON.stringify(entry.annotations) === JSON.stringify(m.annotations), 'the index listing carries the manifest annotations');
    const bundleBytes = await reader.blob(m.layers[0]!.digest);
    rule(sha256(bundleBytes) === m.layers[0]!.digest, 'bundle blob hashes to its descriptor');
    const b = JSON.parse(bundleBytes.toString()) as { mediaType: string; verificationMaterial: { publicKey?: { hint: string }; tlogEntries?: unknown[] }; dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: string }[] } };
    rule(b.mediaType === BUNDLE_V03, 'bundle mediaType v0.3');
    if (b.verificationMaterial.publicKey?.hint !== hint) continue; // another key's bundle
    rule((b.verificationMaterial.tlogEntries ?? []).length === 0, 'no transparency log entry offline');
    const env = b.dsseEnvelope;
    rule(env && env.payloadType === 'application/vnd.in-toto+json', 'DSSE envelope of an in-toto payload');
    const payload = Buffer.from(env.payload, 'base64');
    rule(env.signatures.some((s) => keyVerifies(pub, pae(env.payloadType, payload), Buffer.from(s.sig, 'base64'))), 'DSSE signature verifies with the public key');
    const st = JSON.parse(payload.toString()) as { _type: string; predicateType: string; subject: { digest: Record<string, string>; annotations?: Record<string, string> }[] };
    rule(st._type === 'https://in-toto.io/Statement/v1', 'in-toto Statement v1');
    rule(st.predicateType === 'https://sigstore.dev/cosign/sign/v1', 'cosign sign predicate');
    const [alg, hex] = subjectDigest.split(':') as [string, string];
    rule(st.subject.some((s) => s.digest[alg] === hex), 'statement subject names the digest');
    out.push({ referrer: entry.digest, statement: st as unknown as Record<string, unknown>, annotations: m.annotations ?? {} });
  }
  rule(out.length > 0, `a bundle signed by the key with hint ${hint}`);
  return out;
}
