/**
 * attest: an in-toto attestation of an artifact, as `cosign attest --new-bundle-format` writes it
 * (issue 24; signing/attest.ts). The reference is resolved to a digest once; the predicate file is
 * read and parsed, and the key decrypted or the keyless services checked and token found, before any
 * registry call. The bundle is attached as a referrer (referrers API or the `sha256-<hex>` index).
 */
import { readFile } from 'node:fs/promises';
import { emitter } from '../core/events.js';
import { usageError } from '../core/errors.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import { dockerReferenceOf, parseTargetRef, referenceIn, repositoryOf } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import { attestArtifact, attestationStatement, predicateTypeFor, type AttestOutcome, type AttestSigner } from '../signing/attest.js';
import { keylessSignOptions, type KeylessServiceOptions } from '../signing/keylessopts.js';
import type { PasswordSource } from '../signing/signer.js';

export type { AttestOutcome } from '../signing/attest.js';

export interface AttestOptions extends RunOptions, RegistryOptions, TargetCaps, KeylessServiceOptions {
  /** `oci://host/repo:tag|@digest`, or `<dir>[:tag|@digest]` with `ociLayout`. */
  reference: string;
  /** `--predicate`: a JSON file, the statement's predicate. */
  predicate: string;
  /** `--type`: slsaprovenance1, slsaprovenance, spdxjson, cyclonedx, vuln, or a predicate type URI. */
  type: string;
  /** `--key`: a cosign private key; or `keyless`. */
  key?: string;
  password?: PasswordSource;
  keyless?: boolean;
}

export interface AttestResult extends AttestOutcome {
  url: string;
  repository: string;
}

async function readPredicate(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(`\`predicate\` ${file}: ${code === 'ENOENT' ? 'no such file' : 'cannot be read'}`, { option: 'predicate', path: file });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw usageError(`\`predicate\` ${file} is not JSON`, { option: 'predicate', path: file });
  }
}

/** Everything before the registry: the predicate, its type, and the signer (key or keyless). */
export async function prepareAttest(opts: AttestOptions): Promise<{ predicate: unknown; predicateType: string; who: AttestSigner }> {
  if (!opts.predicate) throw usageError('`predicate` is required: the JSON file to attest', { option: 'predicate' });
  const predicateType = predicateTypeFor(opts.type);
  if (opts.key && opts.keyless) throw usageError('`key` and `keyless` exclude each other', { option: 'keyless' });
  if (!opts.key && !opts.keyless) throw usageError('attest needs `key` or `keyless`', { option: 'key' });
  const predicate = await readPredicate(opts.predicate);
  if (opts.key) {
    const { loadSigner } = await import('../signing/signer.js');
    return { predicate, predicateType, who: { kind: 'key', signer: await loadSigner(opts.key, opts.password, opts.env ?? {}) } };
  }
  const { prepareKeyless } = await import('../signing/keylesssign.js');
  return { predicate, predicateType, who: { kind: 'keyless', keyless: await prepareKeyless(keylessSignOptions(opts)) } };
}

/** Resolve `reference` once and attach a signed attestation of `predicate` to that digest. */
export async function attest(opts: AttestOptions): Promise<AttestResult> {
  const emit = emitter(opts.onEvent);
  const t = parseTargetRef(opts.reference, opts.ociLayout);
  const conn = connect(opts, opts);
  try {
    // the key or the token first (bounded by the run's deadline), then the registry
    const { predicate, predicateType, who } = await prepareAttest({ ...opts, signal: conn.signal });
    const target = await conn.open(t, { push: true });
    emit({ type: 'step', message: `attesting ${t.display} (${predicateType}) ${who.kind === 'key' ? `with key ${opts.key ?? ''}` : 'keylessly'}` });
    const subject = await target.resolve(referenceIn(t));
    const statement = attestationStatement(dockerReferenceOf(t), subject.digest, predicateType, predicate);
    const r = await attestArtifact(target, subject, statement, predicateType, who, { onEvent: emit });
    return { url: t.kind === 'remote' ? `oci://${t.display}` : t.display, repository: repositoryOf(t), ...r };
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}
