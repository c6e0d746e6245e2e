/** The trust flags `verify` and `promote` share (whose signature counts): declared, handed to the use-case and reported in one place. */
import type { Command } from 'commander';
import { ruleWithFlag, withFlagNames } from './flags.js';
import { collect } from './common.js';
import { formatBytes, type Ui } from './ui.js';
import type { AttestationVerdict, SignatureVerdict, TrustOptions, VerifyResult } from '../usecases/verify.js';

/** The trust flags as commander parses them. */
export interface TrustFlags {
  key?: string[];
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuerRegexp?: string;
  certificateGithubWorkflowTrigger?: string;
  certificateGithubWorkflowSha?: string;
  certificateGithubWorkflowName?: string;
  certificateGithubWorkflowRepository?: string;
  certificateGithubWorkflowRef?: string;
  trustedRoot?: string;
  annotations?: string[];
  attestationType?: string;
}

/** Declare the trust flags on `cmd` (verify's wording). */
export function addTrustFlags(cmd: Command): Command {
  return cmd
    .option('--key <cosign.pub>', 'public key (PEM) a signature must verify with (repeatable: any of them)', collect)
    .option('--certificate-identity <san>', 'keyless: the exact certificate identity (SAN: URI or e-mail)')
    .option('--certificate-oidc-issuer <url>', 'keyless: the exact OIDC issuer in the certificate')
    .option('--certificate-identity-regexp <re>', 'keyless: regular expression the whole SAN must match (ANCHORED, unlike cosign; JavaScript syntax)')
    .option('--certificate-oidc-issuer-regexp <re>', 'keyless: regular expression the whole OIDC issuer must match (ANCHORED)')
    .option('--certificate-github-workflow-trigger <event>', 'keyless: GitHub workflow trigger, e.g. push (OID 1.3.6.1.4.1.57264.1.2, or .1.20)')
    .option('--certificate-github-workflow-sha <sha>', 'keyless: GitHub workflow commit SHA (OID .1.3, or .1.13)')
    .option('--certificate-github-workflow-name <name>', 'keyless: GitHub workflow name (OID .1.4)')
    .option('--certificate-github-workflow-repository <owner/repo>', 'keyless: GitHub repository (OID .1.5, or .1.12 as https://github.com/<owner/repo>)')
    .option('--certificate-github-workflow-ref <ref>', 'keyless: GitHub ref, e.g. refs/tags/v1.0.0 (OID .1.6, or .1.14)')
    .option('--trusted-root <trusted_root.json>', 'keyless: sigstore trusted root (Fulcio CAs, Rekor and CT log keys)')
    .option('-a, --annotations <key=value>', 'annotation the signed payload must carry (repeatable)', collect)
    .option('--attestation-type <type>', 'check attestations instead of signatures: slsaprovenance1, slsaprovenance, spdxjson, cyclonedx, vuln or a predicate type URI (cosign verify-attestation)');
}

/** The trust flags that were given, as the use-case's options. */
export function trustFields(flags: TrustFlags): TrustOptions & { annotations?: string[] } {
  const opts: TrustOptions & { annotations?: string[] } = {};
  if (flags.key) opts.key = flags.key;
  if (flags.certificateIdentity !== undefined) opts.certificateIdentity = flags.certificateIdentity;
  if (flags.certificateOidcIssuer !== undefined) opts.certificateOidcIssuer = flags.certificateOidcIssuer;
  if (flags.certificateIdentityRegexp !== undefined) opts.certificateIdentityRegexp = flags.certificateIdentityRegexp;
  if (flags.certificateOidcIssuerRegexp !== undefined) opts.certificateOidcIssuerRegexp = flags.certificateOidcIssuerRegexp;
  const gh = {
    trigger: flags.certificateGithubWorkflowTrigger, sha: flags.certificateGithubWorkflowSha, name: flags.certificateGithubWorkflowName,
    repository: flags.certificateGithubWorkflowRepository, ref: flags.certificateGithubWorkflowRef,
  };
  const workflow = Object.fromEntries(Object.entries(gh).filter(([, v]) => v !== undefined)) as Record<string, string>;
  if (Object.keys(workflow).length > 0) opts.certificateGithubWorkflow = workflow;
  if (flags.trustedRoot !== undefined) opts.trustedRoot = flags.trustedRoot;
  if (flags.annotations) opts.annotations = flags.annotations;
  if (flags.attestationType !== undefined) opts.attestationType = flags.attestationType;
  return opts;
}

/** True when a key or a keyless identity was given: signatures are required, not just integrity. */
export function signaturesAsked(flags: TrustFlags): boolean {
  return (flags.key?.length ?? 0) > 0 || flags.certificateIdentity !== undefined || flags.certificateIdentityRegexp !== undefined;
}

function by(s: SignatureVerdict): string {
  if (s.key !== undefined) return `key ${s.key}`;
  if (s.identity !== undefined) return `identity ${s.identity} (issuer ${s.issuer ?? '?'})`;
  return 'no trusted signer';
}

/** What a verification found, on stderr: integrity, each signature or attestation, and what is missing. */
export function reportVerdict(ui: Ui, r: Pick<VerifyResult, 'digest' | 'integrity' | 'signatures'> & { attestations?: AttestationVerdict[] }, asked: boolean): void {
  const i = r.integrity;
  if (i.ok) ui.success(`integrity: ${i.manifests} manifest(s) and ${i.blobs} blob(s) (${formatBytes(i.bytes)}) match their digests`);
  for (const p of i.problems) ui.error(`integrity: ${p}`);
  for (const s of r.signatures) {
    if (s.verified) ui.success(`signature verified with ${by(s)} [${s.format}, ${s.source}]${s.matched && s.matched.length > 1 ? `; matched ${s.matched.map(ruleWithFlag).join(', ')}` : ''}`);
    else ui.warn(`signature not accepted [${s.format}, ${s.source}]: ${withFlagNames(s.reason ?? 'unknown reason')}`);
  }
  for (const a of r.attestations ?? []) {
    if (a.verified) ui.success(`attestation ${a.predicateType ?? ''} verified with ${by(a)} [${a.source}]`);
    else ui.warn(`attestation not accepted [${a.source}]: ${a.reason ?? 'unknown reason'}`);
  }
  if (r.attestations) {
    if (!r.attestations.some((a) => a.verified)) ui.error(`no ${r.attestations.length === 0 ? 'attestations found' : 'attestation verified'} for ${r.digest}`);
  } else if (asked && r.signatures.length === 0) ui.error(`no signatures found for ${r.digest}`);
  else if (asked && !r.signatures.some((s) => s.verified)) ui.error(`no signature for ${r.digest} verified`);
}
