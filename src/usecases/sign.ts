/**
 * sign: a cosign-compatible classic signature (SPEC §3; issue 5). The reference is resolved to a
 * digest once; the simple-signing payload for that digest is signed with the key and stored as a
 * layer of the `sha256-<hex>.sig` image, appended to what is already there (cosign sign
 * cmd/cosign/cli/sign/sign.go; an identical signature by the same key is not added twice, like
 * cosign's dupe detector). The key is decrypted before any network call: a wrong password writes nothing.
 */
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { emitter, type OnEvent } from '../core/events.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { CommonOptions, Env } from '../core/options.js';
import { parseAnnotations } from '../artifact/flux/manifest.js';
import { openTarget, parseTargetRef, referenceIn, repositoryOf, type TargetRef } from '../connect/open.js';
import type { Target } from '../content/target.js';
import { isIndex, type ImageManifest, type Manifest } from '../oci/descriptor.js';
import { ANNOTATIONS, MT } from '../oci/mediatypes.js';
import { loadPrivateKey } from '../signing/keys.js';
import { signBytes, verifySignature, type KeyDescription } from '../signing/crypto.js';
import { simpleSigningPayload } from '../signing/payload.js';
import { appendSignature, MAX_SIGNATURE_LAYERS, signatureTag } from '../signing/sigimage.js';
import { fetchManifestIfExists, readBlob } from '../content/read.js';
import { DEFAULTS } from '../core/defaults.js';

/** A password, or a function asked only when the key is encrypted (the CLI's hidden prompt). */
export type PasswordSource = string | (() => Promise<string>);

export interface SignOptions extends CommonOptions {
  /** `oci://host/repo:tag|@digest`, or `<dir>[:tag|@digest]` with `ociLayout`. */
  reference: string;
  /** `--key`: cosign private key file (encrypted), or a plain PKCS#8/SEC1 PEM key. */
  key: string;
  /** Wins over `COSIGN_PASSWORD` in `env`; a function is the fallback when the variable is unset. */
  password?: PasswordSource;
  /** `-a key=value`: signed into the payload's `optional` map. */
  annotations?: string[] | Record<string, string>;
}

export interface SignResult {
  url: string;
  repository: string;
  /** The signed manifest digest. */
  digest: string;
  /** Where the signature lives: `sha256-<hex>.sig` in the same repository. */
  signatureTag: string;
  /** Digest of the signature image manifest now under that tag. */
  signatureDigest: string;
  /** Signatures in that image, ours included. */
  signatures: number;
  /** True when the same key had already signed the same payload, so nothing was written. */
  alreadySigned: boolean;
  keyFingerprint: string;
}

/** A decrypted signing key. */
export interface Signer {
  name: string;
  key: KeyObject;
  publicKey: KeyObject;
  description: KeyDescription;
}

/** Read and decrypt a key file: BAD_INPUT for a bad file (exit 2), CREDENTIALS for a wrong password (exit 1). */
export async function loadSigner(file: string, password: PasswordSource | undefined, env: Env): Promise<Signer> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(`--key ${file}: ${code === 'ENOENT' ? 'no such file' : 'cannot be read'}`);
  }
  const ask = async (): Promise<string> => {
    if (typeof password === 'string') return password;
    if (env.COSIGN_PASSWORD !== undefined) return env.COSIGN_PASSWORD;
    if (password) return password();
    throw usageError(`${file} is encrypted: set COSIGN_PASSWORD`, 'there is no terminal to prompt for the password on');
  };
  const loaded = await loadPrivateKey(pem, ask, file);
  return { name: file, key: loaded.key, publicKey: loaded.publicKey, description: loaded.description };
}

/** The repository as cosign names it in `docker-reference` (go-containerregistry: Docker Hub is index.docker.io). */
export function dockerReferenceOf(t: TargetRef): string {
  if (t.kind === 'layout') return t.dir;
  const registry = t.ref.registry === 'docker.io' ? 'index.docker.io' : t.ref.registry;
  return `${registry}/${t.ref.repository}`;
}

async function existingSignatures(target: Target, tag: string): Promise<{ manifest: ImageManifest; config: Buffer } | undefined> {
  const fetched = await fetchManifestIfExists(target, tag);
  if (!fetched) return undefined;
  let m: Manifest;
  try {
    m = JSON.parse(fetched.bytes.toString('utf8')) as Manifest;
  } catch {
    throw new OcipackError('REGISTRY', `${target.name}:${tag} is not JSON; refusing to overwrite it`);
  }
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
  target: Target, t: TargetRef, digest: string, signer: Signer, annotations: Record<string, string>, onEvent?: OnEvent,
): Promise<Omit<SignResult, 'url' | 'repository'>> {
  const emit = emitter(onEvent);
  const tag = signatureTag(digest);
  const payload = simpleSigningPayload(dockerReferenceOf(t), digest, annotations);
  const signature = signBytes(signer.key, payload).toString('base64');
  const existing = await existingSignatures(target, tag);
  const img = appendSignature({ payload, signature }, existing);
  const base = { digest, signatureTag: tag, keyFingerprint: signer.description.fingerprint };
  if (existing && signedBefore(existing.manifest, img.layer.digest, payload, signer)) {
    emit({ type: 'info', message: `${digest} is already signed with this key and payload; nothing written` });
    const current = (await target.resolve(tag)).digest;
    return { ...base, signatureDigest: current, signatures: existing.manifest.layers.length, alreadySigned: true };
  }
  await target.pushBlob(img.layer, payload);
  await target.pushBlob(img.configDescriptor, img.config);
  await target.pushManifest(img.manifestDescriptor, img.manifest, tag);
  emit({ type: 'manifest:pushed', digest: img.manifestDescriptor.digest, tag });
  const count = (existing?.manifest.layers.length ?? 0) + 1;
  return { ...base, signatureDigest: img.manifestDescriptor.digest, signatures: count, alreadySigned: false };
}

/** Resolve `reference` once and sign that digest with the key. */
export async function sign(opts: SignOptions): Promise<SignResult> {
  const emit = emitter(opts.onEvent);
  const t = parseTargetRef(opts.reference, opts.ociLayout);
  if (!opts.key) throw usageError('--key is required: the cosign private key to sign with');
  const annotations = Array.isArray(opts.annotations) ? parseAnnotations(opts.annotations) : { ...(opts.annotations ?? {}) };
  const signer = await loadSigner(opts.key, opts.password, opts.env ?? {});
  const opened = await openTarget(t, { ...opts, push: true });
  try {
    emit({ type: 'step', message: `signing ${t.display} with ${signer.description.label} key ${opts.key}` });
    const digest = (await opened.target.resolve(referenceIn(t))).digest;
    const r = await signDigest(opened.target, t, digest, signer, annotations, opts.onEvent);
    return { url: t.kind === 'remote' ? `oci://${t.display}` : t.display, repository: repositoryOf(t), ...r };
  } finally {
    await opened.close();
  }
}
