/**
 * Sigstore bundles (protobuf-specs sigstore_bundle.proto, JSON form; media types v0.1–v0.3) and the
 * DSSE envelopes inside them (DSSE protocol v1: the signature covers PAE(payloadType, payload)).
 * Parsing only: what is signed, by what material. Verification lives in policy.ts and keyless.ts.
 */
import { OcipackError } from '../core/errors.js';

export const BUNDLE_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.bundle.v0.3+json',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
] as const;

export interface DsseEnvelope {
  payloadType: string;
  payload: Buffer;
  signatures: { keyid?: string; sig: Buffer }[];
}

export type BundleContent =
  | { kind: 'dsse'; envelope: DsseEnvelope }
  | { kind: 'message'; digestAlgorithm: string; digest: Buffer; signature: Buffer };

export type BundleMaterial =
  | { kind: 'publicKey'; hint: string }
  | { kind: 'certificate'; chain: Buffer[] };

export interface ParsedBundle {
  mediaType: string;
  content: BundleContent;
  material: BundleMaterial;
  tlogEntries: number;
  /** The JSON document as parsed, for @sigstore/bundle. */
  json: Record<string, unknown>;
}

/** DSSE's pre-authentication encoding: `DSSEv1 <len> <type> <len> <body>` (lengths in bytes, decimal). */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function b64(v: unknown, what: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/\-_]*={0,2}$/.test(v)) throw bad(`${what} is not base64`);
  return Buffer.from(v, v.includes('-') || v.includes('_') ? 'base64url' : 'base64');
}

function bad(why: string): OcipackError {
  return new OcipackError('VERIFY', `invalid sigstore bundle: ${why}`);
}

/** A DSSE envelope from its JSON form (payload and signatures base64). */
export function parseEnvelope(v: unknown): DsseEnvelope {
  const e = obj(v);
  if (!e || typeof e.payloadType !== 'string') throw bad('dsseEnvelope has no payloadType');
  const sigs = Array.isArray(e.signatures) ? e.signatures : [];
  if (sigs.length === 0) throw bad('dsseEnvelope has no signatures');
  return {
    payloadType: e.payloadType,
    payload: b64(e.payload, 'dsseEnvelope.payload'),
    signatures: sigs.map((s, i) => {
      const o = obj(s);
      const out: { keyid?: string; sig: Buffer } = { sig: b64(o?.sig, `dsseEnvelope.signatures[${i}].sig`) };
      if (typeof o?.keyid === 'string' && o.keyid !== '') out.keyid = o.keyid;
      return out;
    }),
  };
}

function parseContent(doc: Record<string, unknown>): BundleContent {
  if (doc.dsseEnvelope !== undefined) return { kind: 'dsse', envelope: parseEnvelope(doc.dsseEnvelope) };
  const ms = obj(doc.messageSignature);
  if (ms) {
    const md = obj(ms.messageDigest);
    return {
      kind: 'message',
      digestAlgorithm: typeof md?.algorithm === 'string' ? md.algorithm : '',
      digest: b64(md?.digest ?? '', 'messageSignature.messageDigest.digest'),
      signature: b64(ms.signature, 'messageSignature.signature'),
    };
  }
  throw bad('neither dsseEnvelope nor messageSignature');
}

function parseMaterial(vm: Record<string, unknown>): BundleMaterial {
  const pk = obj(vm.publicKey);
  if (pk) return { kind: 'publicKey', hint: typeof pk.hint === 'string' ? pk.hint : '' };
  // the order protobuf-specs' Bundle.fromJSON picks the oneof in (publicKey, chain, certificate), so this
  // names the material @sigstore/verify checks; claims are read only from what it verified (keyless.ts)
  const chain = obj(vm.x509CertificateChain);
  const certs = Array.isArray(chain?.certificates) ? chain.certificates : [];
  if (certs.length > 0) return { kind: 'certificate', chain: certs.map((c, i) => b64(obj(c)?.rawBytes, `x509CertificateChain.certificates[${i}].rawBytes`)) };
  const cert = obj(vm.certificate);
  if (cert) return { kind: 'certificate', chain: [b64(cert.rawBytes, 'certificate.rawBytes')] };
  throw bad('verificationMaterial has no publicKey, certificate or x509CertificateChain');
}

/** Parse a bundle's JSON bytes; anything malformed is VERIFY (a signature that cannot count). */
export function parseBundle(bytes: Uint8Array): ParsedBundle {
  let doc: Record<string, unknown> | undefined;
  try {
    doc = obj(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch {
    doc = undefined;
  }
  if (!doc) throw bad('not a JSON object');
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : '';
  if (!(BUNDLE_MEDIA_TYPES as readonly string[]).includes(mediaType)) throw bad(`unknown mediaType "${mediaType}"`);
  const vm = obj(doc.verificationMaterial);
  if (!vm) throw bad('no verificationMaterial');
  const tlog = Array.isArray(vm.tlogEntries) ? vm.tlogEntries.length : 0;
  return { mediaType, content: parseContent(doc), material: parseMaterial(vm), tlogEntries: tlog, json: doc };
}
