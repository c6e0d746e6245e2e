/**
 * sign: a cosign-compatible signature (SPEC §3; issues 5, 18). The reference is resolved to a digest
 * once. By default the signature is what cosign 3 writes: a Sigstore bundle v0.3 (DSSE over an in-toto
 * statement naming the digest, public-key hint, no transparency log) attached as an OCI 1.1 referrer,
 * through the referrers API or the `sha256-<hex>` tag-schema index (signing/bundlesign.ts).
 * `signatureFormat: 'legacy'` keeps cosign 2's `sha256-<hex>.sig` layout (signing/classic.ts). The key
 * is decrypted before any network call: a wrong password writes nothing. `dryRun` writes nothing and
 * returns the documents that would be written.
 */
import { emitter } from '../core/events.js';
import { usageError } from '../core/errors.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import { parseAnnotations } from '../artifact/flux/manifest.js';
import { dockerReferenceOf, parseTargetRef, referenceIn, repositoryOf } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import { signArtifact, parseSignatureFormat, type SignatureFormatName, type SignOutcome } from '../signing/signwith.js';
import { loadSigner, type PasswordSource } from '../signing/signer.js';
import { keylessSignOptions, type KeylessServiceOptions } from '../signing/keylessopts.js';

export type { PasswordSource } from '../signing/signer.js';
export type { SignatureFormatName, SignOutcome } from '../signing/signwith.js';

export interface SignOptions extends RunOptions, RegistryOptions, TargetCaps, KeylessServiceOptions {
  /** `oci://host/repo:tag|@digest`, or `<dir>[:tag|@digest]` with `ociLayout`. */
  reference: string;
  /** `--key`: cosign private key file (encrypted), or a plain PKCS#8/SEC1 PEM key. */
  key: string;
  /** Wins over `COSIGN_PASSWORD` in `env`; a function is the fallback when the variable is unset. */
  password?: PasswordSource;
  /** `-a key=value`: signed into the statement's subject annotations (bundle) or the payload's `optional` map (legacy). */
  annotations?: string[] | Record<string, string>;
  /** `--signature-format`: `bundle` (default, cosign 3) or `legacy` (cosign 2's `.sig` tag). */
  signatureFormat?: SignatureFormatName;
  /** `--dry-run`: resolve and sign in memory, write nothing, return what would be written. */
  dryRun?: boolean;
  /** `--keyless`: a Fulcio certificate for the OIDC identity instead of `key` (signing/keylesssign.ts). */
  keyless?: boolean;
}

export interface SignResult extends SignOutcome {
  url: string;
  repository: string;
}

/** Resolve `reference` once and sign that digest with the key. */
export async function sign(opts: SignOptions): Promise<SignResult> {
  const emit = emitter(opts.onEvent);
  const t = parseTargetRef(opts.reference, opts.ociLayout);
  if (opts.keyless) return signKeyless(opts, t);
  if (!opts.key) throw usageError('`key` is required: the cosign private key to sign with', { option: 'key' });
  const format = parseSignatureFormat(opts.signatureFormat);
  const annotations = Array.isArray(opts.annotations) ? parseAnnotations(opts.annotations) : { ...(opts.annotations ?? {}) };
  const signer = await loadSigner(opts.key, opts.password, opts.env ?? {});
  const conn = connect(opts, opts);
  try {
    const target = await conn.open(t, { push: !opts.dryRun });
    emit({ type: 'step', message: `${opts.dryRun ? 'dry run: ' : ''}signing ${t.display} with ${signer.description.label} key ${opts.key} (${format})` });
    const subject = await target.resolve(referenceIn(t));
    const r = await signArtifact(target, subject, signer, { format, dockerReference: dockerReferenceOf(t), annotations, dryRun: opts.dryRun ?? false, onEvent: emit });
    return { url: t.kind === 'remote' ? `oci://${t.display}` : t.display, repository: repositoryOf(t), ...r };
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}

/** Keyless: services checked and the token found before the registry is touched; then resolve and sign. */
async function signKeyless(opts: SignOptions, t: ReturnType<typeof parseTargetRef>): Promise<SignResult> {
  const emit = emitter(opts.onEvent);
  if (opts.key) throw usageError('`key` and `keyless` exclude each other', { option: 'keyless' });
  if (opts.dryRun) throw usageError('`dryRun` is not available with `keyless`: a keyless signature is recorded in the transparency log when it is made', { option: 'dryRun' });
  if (parseSignatureFormat(opts.signatureFormat) !== 'bundle') throw usageError('`keyless` writes the bundle format only', { option: 'signatureFormat', next: 'signature-format' });
  const annotations = Array.isArray(opts.annotations) ? parseAnnotations(opts.annotations) : { ...(opts.annotations ?? {}) };
  const { prepareKeyless } = await import('../signing/keylesssign.js');
  const { signArtifactKeyless } = await import('../signing/signwith.js');
  const conn = connect(opts, opts);
  try {
    // before the registry is touched, and bounded by the run's deadline
    const k = await prepareKeyless(keylessSignOptions({ ...opts, signal: conn.signal }));
    const target = await conn.open(t, { push: true });
    emit({ type: 'step', message: `signing ${t.display} keylessly (identity token from ${k.token.source})` });
    const subject = await target.resolve(referenceIn(t));
    const r = await signArtifactKeyless(target, subject, k, { annotations, onEvent: emit });
    return { url: t.kind === 'remote' ? `oci://${t.display}` : t.display, repository: repositoryOf(t), ...r };
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}
