/**
 * sign: a cosign-compatible classic signature (SPEC §3; issue 5). The reference is resolved to a
 * digest once; the simple-signing payload for that digest is signed with the key and stored as a
 * layer of the `sha256-<hex>.sig` image, appended to what is already there (cosign sign
 * cmd/cosign/cli/sign/sign.go; an identical signature by the same key is not added twice, like
 * cosign's dupe detector). The key is decrypted before any network call: a wrong password writes nothing.
 */
import { emitter, type OnEvent } from '../core/events.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { CommonOptions } from '../core/options.js';
import { parseAnnotations } from '../artifact/flux/manifest.js';
import { dockerReferenceOf, openTarget, parseTargetRef, referenceIn, repositoryOf } from '../connect/open.js';
import { signDigest } from '../signing/classic.js';
import { loadSigner, type PasswordSource } from '../signing/signer.js';

export type { PasswordSource } from '../signing/signer.js';

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
    const r = await signDigest(opened.target, dockerReferenceOf(t), digest, signer, annotations, opts.onEvent);
    return { url: t.kind === 'remote' ? `oci://${t.display}` : t.display, repository: repositoryOf(t), ...r };
  } finally {
    await opened.close();
  }
}
