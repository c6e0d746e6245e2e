/**
 * Sigstore stand-ins for offline keyless tests, all generated per run: a test CA (openssl) in place of
 * Fulcio issuing short-lived leaf certificates with a SAN and the OIDC issuer extension; a test
 * transparency log in place of Rekor that signs real SETs and checkpoints over a one-leaf Merkle tree
 * (RFC 6962 hashing), so @sigstore/verify checks everything it would check for the public instance;
 * a trusted_root.json naming them; and sigstore bundles v0.1–v0.3 (DSSE over an in-toto statement), with
 * the certificates placed as a test asks (a chain in any order, a stray certificate beside it).
 */
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './cli.js';

const exec = promisify(execFile);
const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64');
const sha256 = (b: Buffer | string): Buffer => createHash('sha256').update(b).digest();

export interface TestCa {
  dir: string;
  certPem: string;
  certDer: Buffer;
  keyFile: string;
  certFile: string;
}

/** A self-signed EC P-256 root CA. */
export async function makeCa(name = 'ocipack-test-fulcio'): Promise<TestCa> {
  const dir = await tempDir('ocipack-ca-');
  const keyFile = join(dir, 'ca.key');
  const certFile = join(dir, 'ca.pem');
  await exec('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
  await exec('openssl', ['req', '-x509', '-new', '-key', keyFile, '-out', certFile, '-days', '30', '-subj', `/O=ocipack-test/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=hash']);
  const certPem = await readFile(certFile, 'utf8');
  return { dir, certPem, certDer: pemToDer(certPem), keyFile, certFile };
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

export interface Leaf {
  key: KeyObject;
  certPem: string;
  certDer: Buffer;
}

/** A code-signing leaf from `ca` for `san` (`URI:…` or `email:…`), with the issuer in OID .1.8 (or the legacy .1.1). */
export async function makeLeaf(ca: TestCa, opts: { san: string; issuer: string; legacyIssuer?: boolean; extensions?: FulcioExtensions }): Promise<Leaf> {
  const dir = await tempDir('ocipack-leaf-');
  const keyFile = join(dir, 'leaf.key');
  await exec('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
  await exec('openssl', ['req', '-new', '-key', keyFile, '-subj', '/O=sigstore.dev', '-out', join(dir, 'leaf.csr')]);
  const issuerExt = opts.legacyIssuer
    ? `1.3.6.1.4.1.57264.1.1=DER:${Buffer.from(opts.issuer).toString('hex')}`
    : `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${opts.issuer}`;
  await writeFile(join(dir, 'ext.cnf'), [
    'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning', `subjectAltName=critical,${opts.san}`,
    issuerExt, ...extensionLines(opts.extensions ?? {}), 'authorityKeyIdentifier=keyid', 'subjectKeyIdentifier=hash', '',
  ].join('\n'));
  await exec('openssl', ['x509', '-req', '-in', join(dir, 'leaf.csr'), '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', String(Date.now()),
    '-days', '1', '-extfile', join(dir, 'ext.cnf'), '-out', join(dir, 'leaf.pem')]);
  const certPem = await readFile(join(dir, 'leaf.pem'), 'utf8');
  return { key: createPrivateKey(await readFile(keyFile)), certPem, certDer: pemToDer(certPem) };
}

/**
 * Fulcio's other extensions, as Fulcio writes them: `raw` for the deprecated GitHub OIDs .1.2–.1.6 (the
 * string itself is the extension value), `utf8` for the v2 OIDs (.1.9 onward: a DER UTF8String).
 */
export type FulcioExtensions = Record<string, { raw: string } | { utf8: string }>;

function extensionLines(exts: FulcioExtensions): string[] {
  return Object.entries(exts).map(([oid, v]) => ('raw' in v ? `${oid}=DER:${Buffer.from(v.raw).toString('hex')}` : `${oid}=ASN1:UTF8String:${v.utf8}`));
}

/** Sorted-key, whitespace-free JSON (RFC 8785 for the simple values used here), as Rekor signs SETs. */
function canonical(v: Record<string, string | number>): string {
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(v[k])}`).join(',')}}`;
}

/** A transparency log that signs what it is given: SETs and one-leaf checkpoints. */
export class TestLog {
  readonly name = 'rekor.ocipack.test';
  private readonly key: KeyObject;
  readonly publicKey: KeyObject;
  readonly logId: Buffer;
  constructor() {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.logId = sha256(this.publicKey.export({ type: 'spki', format: 'der' }));
  }

  /** A `dsse` 0.0.1 entry for a DSSE signature, integrated at `integratedTime` (seconds). */
  dsseEntry(opts: { payload: Buffer; signature: Buffer; certPem: string; integratedTime: number; envelope: Buffer }): Record<string, unknown> {
    const body = Buffer.from(JSON.stringify({
      apiVersion: '0.0.1', kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(opts.envelope).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(opts.payload).toString('hex') },
        signatures: [{ signature: b64(opts.signature), verifier: b64(opts.certPem) }],
      },
    }));
    const set = this.set(body, opts.integratedTime);
    const root = createHash('sha256').update(Buffer.from([0])).update(body).digest();
    const note = `${this.name} - 1\n1\n${b64(root)}\n`;
    const noteSig = Buffer.concat([this.logId.subarray(0, 4), sign('sha256', Buffer.from(note), this.key)]);
    return {
      logIndex: '0',
      logId: { keyId: b64(this.logId) },
      kindVersion: { kind: 'dsse', version: '0.0.1' },
      integratedTime: String(opts.integratedTime),
      inclusionPromise: { signedEntryTimestamp: b64(set) },
      inclusionProof: { logIndex: '0', rootHash: b64(root), treeSize: '1', hashes: [], checkpoint: { envelope: `${note}\n\u2014 ${this.name} ${b64(noteSig)}\n` } },
      canonicalizedBody: b64(body),
    };
  }

  /** A signed entry timestamp: the log's signature over the canonical {body, integratedTime, logID, logIndex 0}. */
  set(body: Buffer, integratedTime: number): Buffer {
    return sign('sha256', Buffer.from(canonical({ body: b64(body), integratedTime, logID: this.logId.toString('hex'), logIndex: 0 })), this.key);
  }

  /**
   * cosign's classic keyless layer for `payload`: signature by the leaf, and the certificate and
   * `RekorBundle` (hashedrekord 0.0.1 entry with its SET) annotations, as cosign 2 writes them.
   */
  classicKeyless(payload: Buffer, leaf: Leaf, opts: { chainPem?: string; integratedTime?: number } = {}): { signature: string; annotations: Record<string, string> } {
    const signature = sign('sha256', payload, leaf.key);
    const body = Buffer.from(JSON.stringify({
      apiVersion: '0.0.1', kind: 'hashedrekord',
      spec: { data: { hash: { algorithm: 'sha256', value: sha256(payload).toString('hex') } }, signature: { content: b64(signature), publicKey: { content: b64(leaf.certPem) } } },
    }));
    const integratedTime = opts.integratedTime ?? Math.floor(Date.now() / 1000);
    const rekorBundle = { SignedEntryTimestamp: b64(this.set(body, integratedTime)), Payload: { body: b64(body), integratedTime, logIndex: 0, logID: this.logId.toString('hex') } };
    return {
      signature: b64(signature),
      annotations: {
        'dev.sigstore.cosign/bundle': JSON.stringify(rekorBundle),
        'dev.sigstore.cosign/certificate': leaf.certPem,
        'dev.sigstore.cosign/chain': opts.chainPem ?? '',
      },
    };
  }

  /** This log as a trusted_root.json `tlogs` entry. */
  trustEntry(): Record<string, unknown> {
    return {
      baseUrl: `https://${this.name}`,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(this.publicKey.export({ type: 'spki', format: 'der' })), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2020-01-01T00:00:00Z' } },
      logId: { keyId: b64(this.logId) },
    };
  }
}

/** A trusted_root.json naming the CAs and logs given (no CT logs, no TSAs). */
export function trustedRoot(cas: TestCa[], logs: TestLog[]): Buffer {
  return Buffer.from(JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: logs.map((l) => l.trustEntry()),
    certificateAuthorities: cas.map((ca) => ({
      subject: { organization: 'ocipack-test', commonName: 'test-fulcio' },
      uri: 'https://fulcio.ocipack.test',
      certChain: { certificates: [{ rawBytes: b64(ca.certDer) }] },
      validFor: { start: '2020-01-01T00:00:00Z' },
    })),
    ctlogs: [],
    timestampAuthorities: [],
  }, null, 2));
}

/** DSSE pre-authentication encoding. */
export function pae(type: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);
}

/** The in-toto statement cosign signs in the new bundle format, for an image digest. */
export function statementFor(digest: string, annotations?: Record<string, string>): Buffer {
  const [alg, hex] = digest.split(':') as [string, string];
  const subject: Record<string, unknown> = { digest: { [alg]: hex } };
  if (annotations) subject.annotations = annotations;
  return Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [subject], predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {} }));
}

export type BundleVersion = '0.1' | '0.2' | '0.3';

const BUNDLE_MEDIA_TYPE: Record<BundleVersion, string> = {
  '0.1': 'application/vnd.dev.sigstore.bundle+json;version=0.1',
  '0.2': 'application/vnd.dev.sigstore.bundle+json;version=0.2',
  '0.3': 'application/vnd.dev.sigstore.bundle.v0.3+json',
};

/**
 * A bundle (v0.3 unless `version` says otherwise): DSSE over `payload`, signed by a key (hint) or a leaf
 * certificate logged in `log`. The verification material is the leaf as `certificate` by default;
 * `chain` puts exactly these certificates (DER, in this order) in `x509CertificateChain` instead, and
 * `certificate` sets that field too (both fields at once is how a bundle may carry a stray certificate).
 */
export function dsseBundle(opts: {
  payload: Buffer; key: KeyObject; payloadType?: string;
  leaf?: Leaf; log?: TestLog; integratedTime?: number;
  version?: BundleVersion; chain?: Buffer[]; certificate?: Buffer;
}): Buffer {
  const payloadType = opts.payloadType ?? 'application/vnd.in-toto+json';
  const signature = sign(opts.key.asymmetricKeyType === 'ed25519' ? null : 'sha256', pae(payloadType, opts.payload), opts.key);
  const envelope = { payload: b64(opts.payload), payloadType, signatures: [{ sig: b64(signature) }] };
  const material: Record<string, unknown> = {};
  if (opts.leaf) {
    if (opts.chain) material.x509CertificateChain = { certificates: opts.chain.map((der) => ({ rawBytes: b64(der) })) };
    if (opts.certificate || !opts.chain) material.certificate = { rawBytes: b64(opts.certificate ?? opts.leaf.certDer) };
    material.tlogEntries = opts.log ? [opts.log.dsseEntry({
      payload: opts.payload, signature, certPem: opts.leaf.certPem, integratedTime: opts.integratedTime ?? Math.floor(Date.now() / 1000),
      envelope: Buffer.from(JSON.stringify(envelope)),
    })] : [];
  } else {
    const spki = createPublicKey(opts.key).export({ type: 'spki', format: 'der' });
    material.publicKey = { hint: b64(sha256(spki)) };
    material.tlogEntries = [];
  }
  return Buffer.from(JSON.stringify({ mediaType: BUNDLE_MEDIA_TYPE[opts.version ?? '0.3'], verificationMaterial: material, dsseEnvelope: envelope }));
}
