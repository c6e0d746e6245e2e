/**
 * The verification both `verify` and `promote` run on an opened Target (SPEC §3, §7): the trust options
 * turned into a policy before any network call (bad input: exit 2), then, on the digest the caller
 * resolved once, integrity of every blob and — with keys or a keyless identity — the signatures (or
 * attestations of one predicate type) found in every place that could hold them. Not verified is a
 * verdict, not an exception; a place that could hold a signature but did not answer, when nothing else
 * verified, throws (exit 1: "could not look" is not "unsigned").
 */
import { readFile } from 'node:fs/promises';
import { emitter, type OnEvent } from '../core/events.js';
import { errCode } from '../core/errno.js';
import { usageError } from '../core/errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Target } from '../content/target.js';
import { checkIntegrity, type IntegrityReport } from './integrity.js';
import { discoverSignatures } from './discover.js';
import { LookupLog, type Lookup } from './lookups.js';
import { loadPublicKey } from './keys.js';
import { judge, type SignatureVerdict, type TrustedKey, type VerifyPolicy } from './policy.js';
import { keylessVerifier } from './keyless.js';
import { compileRules, type GithubClaim, type IdentityRules } from './identity.js';
import { judgeAttestations, type AttestationVerdict } from './attestcheck.js';
import { predicateTypeFor } from './attest.js';

/** The trust options of `verify` and `promote` (the flags that say whose signature counts). */
export interface TrustOptions {
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
  /**
   * `--attestation-type`: check attestations of this predicate type (slsaprovenance1, slsaprovenance, spdxjson,
   * cyclonedx, vuln, or a URI) instead of signatures, with the same key or keyless options.
   */
  attestationType?: string;
  /** Caps (defaults: 1 MiB payload or bundle, 100 candidates). */
  maxPayloadBytes?: number;
  maxCandidates?: number;
}

/** What verification found on one digest. */
export interface ArtifactVerdict {
  /** Integrity held and, when a policy was given, at least one signature (or attestation) counted. */
  verified: boolean;
  integrity: IntegrityReport;
  /** Every candidate found, verified or not (empty without a policy or with `attestationType`). */
  signatures: SignatureVerdict[];
  /** With a policy: each place looked in and its answer (SPEC §7). */
  lookups?: Lookup[];
  /** With `attestationType`: every attestation of that type found. */
  attestations?: AttestationVerdict[];
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
function keylessRules(opts: TrustOptions): IdentityRules | undefined {
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

/**
 * The policy the trust options describe, or undefined for integrity only: keys read, trusted root
 * loaded, rules compiled. Everything here involves no network; bad input fails here (exit 2).
 * `annotations` are the required payload annotations, already parsed.
 */
export async function preparePolicy(opts: TrustOptions, annotations: Record<string, string>): Promise<VerifyPolicy | undefined> {
  const keyFiles = opts.key === undefined ? [] : Array.isArray(opts.key) ? opts.key : [opts.key];
  const rules = keylessRules(opts);
  if (keyFiles.length === 0 && !rules) {
    if (given(opts.attestationType)) throw usageError('`attestationType` needs `key` or the keyless options: attestations are signed', { option: 'attestationType' });
    if (Object.keys(annotations).length > 0) throw usageError('`annotations` needs `key` or the keyless options: annotations are checked in signatures', { option: 'annotations' });
    return undefined;
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
  return policy;
}

/**
 * Verify the manifest `root` (resolved once by the caller) in `target`: integrity of everything under it,
 * and with `policy` its signatures or attestations. Throws when nothing verified and a place that could hold
 * a signature did not answer (SPEC §7).
 */
export async function verifyArtifact(
  target: Target, root: Descriptor, policy: VerifyPolicy | undefined,
  opts: { onEvent?: OnEvent; maxPayloadBytes?: number; maxCandidates?: number } = {},
): Promise<ArtifactVerdict> {
  const emit = emitter(opts.onEvent);
  const digest = root.digest;
  const integrity = await checkIntegrity(target, root, opts.onEvent ? { onEvent: opts.onEvent } : {});
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
  const out: ArtifactVerdict = { verified: integrity.ok && signed, integrity, signatures };
  if (attestations) out.attestations = attestations;
  if (policy) out.lookups = lookups.list;
  return out;
}
