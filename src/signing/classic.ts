/**
 * cosign's classic signature layout: the simple-signing payload for a digest, signed and stored as a
 * layer of the `sha256-<hex>.sig` image, appended to what is already there (cosign
 * cmd/cosign/cli/sign/sign.go; an identical signature by the same key is not added twice, like
 * cosign's dupe detector).
 */
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import { emitter, type OnEvent } from '../core/events.js';
import { fetchManifestIfExists, readBlob } from '../content/read.js';
import type { Target } from '../content/target.js';
import { graphOptions } from '../content/copy.js';
import { StagedArtifact, writeArtifact } from '../content/staged-artifact.js';
import { isIndex, type ImageManifest } from '../oci/descriptor.js';
import { parseManifest } from '../oci/manifest.js';
import { ANNOTATIONS, MT } from '../oci/mediatypes.js';
import { signBytes, verifySignature } from './crypto.js';
import { simpleSigningPayload } from './payload.js';
import { appendSignature, MAX_SIGNATURE_LAYERS, signatureTag } from './sigimage.js';
import type { Signer } from './signer.js';

/** What signing one digest wrote (or found already there). */
export interface ClassicSignResult {
  digest: string;
  signatureTag: string;
  signatureDigest: string;
  signatures: number;
  alreadySigned: boolean;
  keyFingerprint: string;
  /** With `dryRun`: the signature manifest and payload that would be written. */
  wouldWrite?: { manifest: unknown; payload: unknown; tag: string };
}

async function existingSignatures(target: Target, tag: string): Promise<{ manifest: ImageManifest; config: Buffer } | undefined> {
  const fetched = await fetchManifestIfExists(target, tag);
  if (!fetched) return undefined;
  const m = parseManifest(fetched.bytes, `${target.name}:${tag}`);
  if (isIndex(m) || !m.config || !Array.isArray(m.layers)) throw new OcipackError('REGISTRY', `${target.name}:${tag} is not a signature image; refusing to overwrite it`);
  if (m.layers.length >= MAX_SIGNATURE_LAYERS) throw new OcipackError('CAP', `${target.name}:${tag} already holds ${m.layers.length} signatures (cosign's limit is ${MAX_SIGNATURE_LAYERS})`);
  return { manifest: m, config: await readBlob(target, m.config, DEFAULTS.caps.manifestBytes) };
}

function signedBefore(existing: ImageManifest | undefined, payloadDigest: string, payload: Buffer, signer: Signer): boolean {
  return (existing?.layers ?? []).some((l) => {
    if (l.mediaType !== MT.cosignSimpleSigning || l.digest !== payloadDigest) return false;
    const b64 = l.annotations?.[ANNOTATIONS.cosignSignature];
    return typeof b64 === 'string' && verifySignature(signer.publicKey, payload, Buffer.from(b64, 'base64'));
  });
}

/** Sign `digest` in `target` and store the signature next to it (append to `sha256-<hex>.sig`). */
export async function signDigest(
  target: Target, dockerReference: string, digest: string, signer: Signer, annotations: Record<string, string>, onEvent?: OnEvent, dryRun = false,
): Promise<ClassicSignResult> {
  const emit = emitter(onEvent);
  const tag = signatureTag(digest);
  const payload = simpleSigningPayload(dockerReference, digest, annotations);
  const signature = signBytes(signer.key, payload).toString('base64');
  const existing = await existingSignatures(target, tag);
  const img = appendSignature({ payload, signature }, existing);
  const base = { digest, signatureTag: tag, keyFingerprint: signer.description.fingerprint };
  if (existing && signedBefore(existing.manifest, img.layer.digest, payload, signer)) {
    emit({ type: 'info', message: `${digest} is already signed with this key and payload; nothing written` });
    const current = (await target.resolve(tag)).digest;
    return { ...base, signatureDigest: current, signatures: existing.manifest.layers.length, alreadySigned: true };
  }
  if (dryRun) {
    const wouldWrite = { manifest: JSON.parse(img.manifest.toString('utf8')) as unknown, payload: JSON.parse(payload.toString('utf8')) as unknown, tag };
    return { ...base, signatureDigest: img.manifestDescriptor.digest, signatures: (existing?.manifest.layers.length ?? 0) + 1, alreadySigned: false, wouldWrite };
  }
  const staged = new StagedArtifact()
    .addBlob(img.layer, payload)
    .addBlob(img.configDescriptor, img.config)
    .addManifest(img.manifestDescriptor, img.manifest);
  await writeArtifact(staged, target, img.manifestDescriptor, graphOptions({ ...(onEvent ? { onEvent } : {}) }, tag));
  const count = (existing?.manifest.layers.length ?? 0) + 1;
  return { ...base, signatureDigest: img.manifestDescriptor.digest, signatures: count, alreadySigned: false };
}
