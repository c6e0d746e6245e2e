/**
 * The signature layout cosign 3 writes by default (cosign sign.go signDigestBundle, pkg/oci/remote
 * WriteAttestationNewBundleFormat; cosign specs/BUNDLE_SPEC.md): an in-toto Statement v1 over the image
 * digest with predicate type `https://sigstore.dev/cosign/sign/v1`, in a DSSE envelope, in a Sigstore
 * bundle v0.3 (protobuf-specs Bundle, protojson field order) whose verification material is the
 * public-key hint (base64 SHA-256 of the PKIX key, cosign internal/key SignerVerifierKeypair) and no
 * transparency-log entry (key signing stays offline). The bundle is the one layer of an OCI 1.1
 * artifact manifest (artifactType the bundle media type, config the empty descriptor, annotations
 * `dev.sigstore.bundle.content`, `dev.sigstore.bundle.predicateType`, `org.opencontainers.image.created`)
 * whose `subject` is the signed manifest, written through the one graph writer and attached by
 * content/attach.ts. Written here with node:crypto: @sigstore/sign 5 needs Node 22, 4.x brings an
 * HTTP stack for what is a few bytes.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { emitter, type OnEvent } from '../core/events.js';
import { OcipackError } from '../core/errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestOf, referrersTag } from '../oci/digest.js';
import { MT } from '../oci/mediatypes.js';
import { attachReferrer, type AttachMode } from '../content/attach.js';
import { graphOptions } from '../content/copy.js';
import { StagedArtifact } from '../content/staged-artifact.js';
import { isReferrerIndexer, type Target } from '../content/target.js';
import { pae, parseBundle } from './bundle.js';
import { spkiDer, signBytesDefault, verifySignature } from './crypto.js';
import { discoverSignatures } from './discover.js';
import { COSIGN_SIGN_PREDICATE_TYPE, cosignStatement, INTOTO_PAYLOAD_TYPE } from './payload.js';
import { goDescriptor } from './sigimage.js';
import type { Signer } from './signer.js';

/** The manifest annotations cosign sets on a bundle referrer. */
export const BUNDLE_ANNOTATIONS = {
  content: 'dev.sigstore.bundle.content',
  predicateType: 'dev.sigstore.bundle.predicateType',
  created: 'org.opencontainers.image.created',
} as const;

const EMPTY_CONFIG = Buffer.from('{}');

/** cosign's public-key hint: base64 of the SHA-256 of the PKIX (SubjectPublicKeyInfo) DER bytes. */
export function publicKeyHint(publicKey: KeyObject): string {
  return createHash('sha256').update(spkiDer(publicKey)).digest('base64');
}

/** The bundle v0.3 JSON cosign 3 writes for a key signature over `statement` (no tlog, no timestamp). */
export function keyBundle(signer: { key: KeyObject; publicKey: KeyObject }, statement: Buffer): Buffer {
  const sig = signBytesDefault(signer.key, pae(INTOTO_PAYLOAD_TYPE, statement));
  return Buffer.from(JSON.stringify({
    mediaType: MT.sigstoreBundle,
    verificationMaterial: { publicKey: { hint: publicKeyHint(signer.publicKey) } },
    dsseEnvelope: { payload: statement.toString('base64'), payloadType: INTOTO_PAYLOAD_TYPE, signatures: [{ sig: sig.toString('base64') }] },
  }));
}

/** The referrer manifest for a bundle, and the blobs it needs. */
export interface BundleReferrer {
  manifest: Buffer;
  manifestDescriptor: Descriptor;
  config: Buffer;
  configDescriptor: Descriptor;
  bundle: Buffer;
  layer: Descriptor;
}

/** The OCI 1.1 manifest cosign writes for a bundle (go-containerregistry field order, artifactType last). */
export function bundleReferrer(bundle: Buffer, subject: Descriptor, created: string, predicateType: string = COSIGN_SIGN_PREDICATE_TYPE): BundleReferrer {
  const configDescriptor: Descriptor = { mediaType: MT.ociEmpty, digest: digestOf(EMPTY_CONFIG), size: EMPTY_CONFIG.length };
  const layer: Descriptor = { mediaType: MT.sigstoreBundle, digest: digestOf(bundle), size: bundle.length };
  const doc = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: goDescriptor({ ...configDescriptor, artifactType: MT.sigstoreBundle }),
    layers: [goDescriptor(layer)],
    annotations: {
      [BUNDLE_ANNOTATIONS.content]: 'dsse-envelope',
      [BUNDLE_ANNOTATIONS.predicateType]: predicateType,
      [BUNDLE_ANNOTATIONS.created]: created,
    },
    subject: goDescriptor({ mediaType: subject.mediaType, digest: subject.digest, size: subject.size }),
    artifactType: MT.sigstoreBundle,
  };
  const manifest = Buffer.from(JSON.stringify(doc));
  return { manifest, manifestDescriptor: { mediaType: MT.ociManifest, digest: digestOf(manifest), size: manifest.length }, config: EMPTY_CONFIG, configDescriptor, bundle, layer };
}

/** What a bundle signature wrote, or would write with `dryRun`. */
export interface BundleSignResult {
  digest: string;
  /** The referrer manifest's digest (an earlier one when `alreadySigned`). */
  referrerDigest: string;
  /** How it is found: the registry's referrers API, or the `sha256-<hex>` tag-schema index. */
  attachedVia: AttachMode;
  /** The tag-schema index tag (with `tag-schema`). */
  referrersTag?: string;
  alreadySigned: boolean;
  keyFingerprint: string;
  /** With `dryRun`: the documents that would be written. */
  wouldWrite?: { manifest: unknown; bundle: unknown; statement: unknown };
}

/** An earlier bundle referrer by this key over the same statement (cosign would add another; we do not). */
async function signedBefore(target: Target, digest: string, statement: Buffer, signer: Signer): Promise<string | undefined> {
  for (const c of await discoverSignatures(target, digest)) {
    if (c.kind !== 'bundle' || !c.source.startsWith('referrer ')) continue;
    let b;
    try {
      b = parseBundle(c.bundle);
    } catch (err) {
      if (err instanceof OcipackError) continue;
      throw err;
    }
    if (b.content.kind !== 'dsse' || !b.content.envelope.payload.equals(statement)) continue;
    const signed = pae(b.content.envelope.payloadType, b.content.envelope.payload);
    if (b.content.envelope.signatures.some((s) => verifySignature(signer.publicKey, signed, s.sig))) return c.source.slice('referrer '.length);
  }
  return undefined;
}

/** Sign the manifest `subject` in `target` with a key, cosign 3's way, and attach the bundle as a referrer. */
export async function signBundle(
  target: Target, subject: Descriptor, signer: Signer, annotations: Record<string, string>,
  opts: { dryRun?: boolean; created?: string; onEvent?: OnEvent } = {},
): Promise<BundleSignResult> {
  const emit = emitter(opts.onEvent);
  const statement = cosignStatement(subject.digest, annotations);
  const base = { digest: subject.digest, keyFingerprint: signer.description.fingerprint };
  const earlier = await signedBefore(target, subject.digest, statement, signer);
  const viaApi = isReferrerIndexer(target) && (await target.indexesReferrers(subject.digest));
  const via: Pick<BundleSignResult, 'attachedVia' | 'referrersTag'> = viaApi ? { attachedVia: 'referrers-api' } : { attachedVia: 'tag-schema', referrersTag: referrersTag(subject.digest) };
  if (earlier) {
    emit({ type: 'info', message: `${subject.digest} already has a bundle signature by this key over the same statement (${earlier}); nothing written` });
    return { ...base, ...via, referrerDigest: earlier, alreadySigned: true };
  }
  const created = opts.created ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const r = bundleReferrer(keyBundle(signer, statement), subject, created);
  if (opts.dryRun) {
    const wouldWrite = { manifest: JSON.parse(r.manifest.toString()), bundle: JSON.parse(r.bundle.toString()), statement: JSON.parse(statement.toString()) };
    return { ...base, ...via, referrerDigest: r.manifestDescriptor.digest, alreadySigned: false, wouldWrite };
  }
  const written = await writeBundleReferrer(target, r, subject, emit);
  const out: BundleSignResult = { ...base, referrerDigest: written.referrerDigest, attachedVia: written.attachedVia, alreadySigned: false };
  if (written.referrersTag !== undefined) out.referrersTag = written.referrersTag;
  return out;
}

/** Where a bundle referrer went. */
export interface WrittenReferrer {
  referrerDigest: string;
  attachedVia: AttachMode;
  referrersTag?: string;
}

/**
 * Write a bundle referrer through the one graph writer (blobs, then the manifest through the referrers API
 * or the tag-schema index): the one path for key and keyless bundles and for attestations.
 */
export async function writeBundleReferrer(target: Target, r: BundleReferrer, subject: Descriptor, onEvent?: OnEvent): Promise<WrittenReferrer> {
  const emit = emitter(onEvent);
  const staged = new StagedArtifact()
    .addBlob(r.configDescriptor, r.config)
    .addBlob(r.layer, r.bundle)
    .addManifest(r.manifestDescriptor, r.manifest);
  const attached = await attachReferrer(staged, target, r.manifestDescriptor, subject.digest, graphOptions({ onEvent: emit }));
  const out: WrittenReferrer = { referrerDigest: r.manifestDescriptor.digest, attachedVia: attached.mode };
  if (attached.tag !== undefined) out.referrersTag = attached.tag;
  return out;
}
