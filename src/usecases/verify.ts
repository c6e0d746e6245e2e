/**
 * verify: integrity of every blob of an artifact, and its cosign signatures (SPEC §3; issue 5).
 * The reference is resolved to a digest once; everything after that is fetched by digest. A
 * signature counts when its cryptography verifies with a `--key` (any of them), or keyless: the certificate
 * chains to `--trusted-root` and names the identity and issuer (exactly, or by anchored regexp) and the
 * GitHub workflow claims asked for (signing/identity.ts) AND
 * it signs that digest. Not verified is a result (`verified: false`, exit 3), not an exception;
 * bad input is a usage error (exit 2) raised before any network call; network trouble throws (exit 1),
 * and so does a place that could hold a signature but did not answer, when nothing else verified (SPEC §7).
 */
import { readFile } from 'node:fs/promises';
import { emitter } from '../core/events.js';
import { errCode } from '../core/errno.js';
import { usageError } from '../core/errors.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import { parseAnnotations } from '../artifact/flux/manifest.js';
import { parseTargetRef, referenceIn, repositoryOf } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import { checkIntegrity, type IntegrityReport } from '../signing/integrity.js';
import { discoverSignatures } from '../signing/discover.js';
import { LookupLog, type Lookup } from '../signing/lookups.js';
import { loadPublicKey } from '../signing/keys.js';
import { judge, type SignatureVerdict, type TrustedKey, type VerifyPolicy } from '../signing/policy.js';
import { keylessVerifier } from '../signing/keyless.js';
import { compileRules, type GithubClaim, type IdentityRules } from '../signing/identity.js';
import { judgeAttestations, type AttestationVerdict } from '../signing/attestcheck.js';
import { predicateTypeFor } from '../signing/attest.js';

export type { SignatureVerdict } from '../signing/policy.js';
export type { Lookup, LookupPlace } from '../signing/lookups.js';
export type { AttestationVerdict } from '../signing/attestcheck.js';

export interface VerifyOptions extends RunOptions, RegistryOptions, TargetCaps {
  /** `oci://host/repo:tag|@digest`, or `<dir>[:tag|@digest]` with `ociLayout`. */
  reference: string;
  /** `--key`: PEM public key file(s); any one of them may verify a signature. */
  key?: string | string[];
  /** Keyless: the exact certificate SAN, the exact OIDC issuer, and the trusted_root.json file. */
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  /** Keyless: ANCHORED regular expressions (JavaScript syntax) for the SAN and the issuer, instead of the exact values. */
  certificateIdentityRegexp?: string;
  certificateOidcIssuerRegexp?: string;
  /** `--certificate-github-workflow-trigger|sha|name|repository|ref`: Fulcio OIDs .1.2–.1.6 (or their v2 successors). */
  certificateGithubWorkflow?: Partial<Record<GithubClaim, string>>;
  trustedRoot?: string;
  /** `-a key=value`: required annotations in the signed payload. */
  annotations?: string[] | Record<string, string>;
  /**
   * `--attestation-type`: check attestations of this predicate type (slsaprovenance1, slsaprovenance, spdxjson,
   * cyclonedx, vuln, or a URI) instead of signatures, with the same key or keyless options.
   */
  attestationType?: string;
  /** Caps (defaults: 1 MiB payload or bundle, 100 candidates). */
  maxPayloadBytes?: number;
  maxCandidates?: number;
}

export interface VerifyResult {
  /** The reference as given, normalised. */
  url: string;
  repository: string;
  digest: string;
  /** Integrity held and, when keys or an identity were given, at least one signature counted. */
  verified: boolean;
  integrity: IntegrityReport;
  /** Every candidate found, verified or not (empty when no key or identity was given). */
  signatures: SignatureVerdict[];
  /** With a key or identity: each place looked in for signatures and its answer (SPEC §7). */
  lookups?: Lookup[];
  /** With `attestationType`: every attestation of that type found, each verified one with its predicate. */
  attestations?: AttestationVerdict[];
}

interface Prepared {
  policy: VerifyPolicy | undefined;
}

async function readInput(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = errCode(err);
    throw usageError(`${flag} ${path}: ${code === 'ENOENT' ? 'no such file' : 'cannot be read'}`);
  }
}

const given = (v: string | undefined): v is string => v !== undefined && v !== '';

/**
 * The keyless rules, or undefined when no keyless flag is given. Like cosign: an identity (exact or
 * regexp) and an issuer (exact or regexp) are both required, with the trusted root; the GitHub
 * workflow claims narrow them further.
 */
function keylessRules(opts: VerifyOptions): IdentityRules | undefined {
  const github: Partial<Record<GithubClaim, string>> = {};
  for (const [claim, v] of Object.entries(opts.certificateGithubWorkflow ?? {}) as [GithubClaim, string | undefined][]) if (given(v)) github[claim] = v;
  const any = [opts.certificateIdentity, opts.certificateIdentityRegexp, opts.certificateOidcIssuer, opts.certificateOidcIssuerRegexp, opts.trustedRoot].some(given) || Object.keys(github).length > 0;
  if (!any) return undefined;
  const hint = { next: 'keyless-together' } as const;
  if (given(opts.certificateIdentity) && given(opts.certificateIdentityRegexp)) throw usageError('`certificateIdentity` and `certificateIdentityRegexp` exclude each other', hint);
  if (given(opts.certificateOidcIssuer) && given(opts.certificateOidcIssuerRegexp)) throw usageError('`certificateOidcIssuer` and `certificateOidcIssuerRegexp` exclude each other', hint);
  if (!given(opts.certificateIdentity) && !given(opts.certificateIdentityRegexp)) throw usageError('keyless verification needs `certificateIdentity` or `certificateIdentityRegexp`', hint);
  if (!given(opts.certificateOidcIssuer) && !given(opts.certificateOidcIssuerRegexp)) throw usageError('keyless verification needs `certificateOidcIssuer` or `certificateOidcIssuerRegexp`', hint);
  if (!given(opts.trustedRoot)) throw usageError('keyless verification needs `trustedRoot`', hint);
  const rules: IdentityRules = { github };
  if (given(opts.certificateIdentity)) rules.identity = opts.certificateIdentity;
  if (given(opts.certificateIdentityRegexp)) rules.identityRegexp = opts.certificateIdentityRegexp;
  if (given(opts.certificateOidcIssuer)) rules.issuer = opts.certificateOidcIssuer;
  if (given(opts.certificateOidcIssuerRegexp)) rules.issuerRegexp = opts.certificateOidcIssuerRegexp;
  return rules;
}

/** Everything verify needs that involves no network: keys, trusted root, flags. Bad input fails here (exit 2). */
export async function prepareVerify(opts: VerifyOptions): Promise<Prepared> {
  const keyFiles = opts.key === undefined ? [] : Array.isArray(opts.key) ? opts.key : [opts.key];
  const rules = keylessRules(opts);
  const annotations = Array.isArray(opts.annotations) ? parseAnnotations(opts.annotations) : { ...(opts.annotations ?? {}) };
  if (keyFiles.length === 0 && !rules) {
    if (given(opts.attestationType)) throw usageError('`attestationType` needs `key` or the keyless options: attestations are signed', { option: 'attestationType' });
    if (Object.keys(annotations).length > 0) throw usageError('`annotations` needs `key` or the keyless options: annotations are checked in signatures', { option: 'annotations' });
    return { policy: undefined };
  }
  const keys: TrustedKey[] = [];
  for (const file of keyFiles) {
    const { key, description } = loadPublicKey(await readInput(file, '`key`'), `\`key\` ${file}`);
    keys.push({ name: file, key, description });
  }
  const policy: VerifyPolicy = { keys, annotations };
  if (given(opts.attestationType)) policy.predicateType = predicateTypeFor(opts.attestationType);
  if (rules) {
    compileRules(rules);
    const trustedRoot = Buffer.from(await readInput(opts.trustedRoot!, '`trustedRoot`'), 'utf8');
    policy.keyless = await keylessVerifier({ rules, trustedRoot, trustedRootName: `\`trustedRoot\` ${opts.trustedRoot!}` });
  }
  return { policy };
}

/** Verify integrity (and signatures when keys or an identity are given) of the artifact at `reference`. */
export async function verify(opts: VerifyOptions): Promise<VerifyResult> {
  const emit = emitter(opts.onEvent);
  const t = parseTargetRef(opts.reference, opts.ociLayout);
  const { policy } = await prepareVerify(opts);
  const conn = connect(opts, opts);
  try {
    const target = await conn.open(t);
    emit({ type: 'step', message: `verifying ${t.display}` });
    const root = await target.resolve(referenceIn(t));
    const digest = root.digest;
    emit({ type: 'info', message: `resolved to ${digest}` });
    const integrity = await checkIntegrity(target, root, { onEvent: opts.onEvent });
    const signatures: SignatureVerdict[] = [];
    const lookups = new LookupLog();
    let attestations: AttestationVerdict[] | undefined;
    if (policy) {
      const discoverOpts: Parameters<typeof discoverSignatures>[2] = { onEvent: emit, lookups };
      if (opts.maxPayloadBytes !== undefined) discoverOpts.maxPayloadBytes = opts.maxPayloadBytes;
      if (opts.maxCandidates !== undefined) discoverOpts.maxCandidates = opts.maxCandidates;
      const candidates = await discoverSignatures(target, digest, discoverOpts);
      if (policy.predicateType !== undefined) attestations = await judgeAttestations(candidates, digest, policy);
      else for (const c of candidates) signatures.push(await judge(c, digest, policy));
    }
    const signed = !policy || (attestations ?? signatures).some((s) => s.verified);
    // SPEC §7: "unsigned" (exit 3) only when every place answered; a place we could not read is exit 1
    const unlooked = signed || !integrity.ok ? undefined : lookups.failure(digest);
    if (unlooked) throw unlooked;
    for (const l of lookups.failed()) emit({ type: 'warning', message: `could not look in ${l.place} (${l.status}): ${l.error ?? 'no answer'}` });
    const out: VerifyResult = {
      ...(attestations ? { attestations } : {}),
      url: t.kind === 'remote' ? `oci://${t.display}` : t.display,
      repository: repositoryOf(t),
      digest,
      verified: integrity.ok && signed,
      integrity,
      signatures,
    };
    if (policy) out.lookups = lookups.list;
    return out;
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}
