/** `ocipack verify`: integrity of every blob, and cosign signatures (keyed or keyless). */
import type { Command } from 'commander';
import { action } from '../run.js';
import { ruleWithFlag, withFlagNames } from '../flags.js';
import { addReadFlags, collect, formatOf } from '../common.js';
import { formatBytes, type Ui } from '../ui.js';
import type { SignatureVerdict } from '../../usecases/verify.js';
import type { VerifyResult } from '../../usecases/verify.js';

interface VerifyFlags {
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
  output?: string;
}

function by(s: SignatureVerdict): string {
  if (s.key !== undefined) return `key ${s.key}`;
  if (s.identity !== undefined) return `identity ${s.identity} (issuer ${s.issuer ?? '?'})`;
  return 'no trusted signer';
}

/** The human report on stderr: integrity, each signature, the verdict. */
function report(ui: Ui, r: VerifyResult, signaturesAsked: boolean): void {
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
  } else if (signaturesAsked && r.signatures.length === 0) ui.error(`no signatures found for ${r.digest}`);
  else if (signaturesAsked && !r.signatures.some((s) => s.verified)) ui.error(`no signature for ${r.digest} verified`);
  if (r.verified) ui.success(`${r.repository}@${r.digest} verified`);
  else ui.error(`${r.repository}@${r.digest} not verified`);
}

/** Register `verify`. */
export function defineVerify(program: Command): Command {
  const cmd = program
    .command('verify')
    .summary('check every blob of an artifact against its digest, and its cosign signatures (cosign verify)')
    .argument('<reference>', 'oci://host/repository:tag|@digest (or <dir>[:tag|@digest] with --oci-layout)')
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
    .option('--attestation-type <type>', 'check attestations instead of signatures: slsaprovenance1, slsaprovenance, spdxjson, cyclonedx, vuln or a predicate type URI (cosign verify-attestation)')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml');
  return addReadFlags(cmd)
    .addHelpText('after', `
Exit codes: 0 verified, 3 not verified (integrity, or no signature verified where every place answered),
1 could not check (including a signature lookup that failed), 2 usage. -o json lists the lookups.

Example:
  ocipack verify oci://ghcr.io/org/app-manifests:v1.0.0
  ocipack verify oci://ghcr.io/org/app-manifests:v1.0.0 --key cosign.pub -a env=prod
  ocipack verify oci://ghcr.io/org/app-manifests@sha256:<hex> \\
    --certificate-identity https://github.com/org/app/.github/workflows/release.yaml@refs/heads/main \\
    --certificate-oidc-issuer https://token.actions.githubusercontent.com --trusted-root trusted_root.json -o json
  ocipack verify oci://ghcr.io/org/app-manifests:v1.0.0 --trusted-root trusted_root.json \
    --certificate-identity-regexp 'https://github\.com/org/app/\.github/workflows/.*@refs/tags/v.*' \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    --certificate-github-workflow-repository org/app --certificate-github-workflow-trigger push

Regular expressions are anchored (the whole value must match), unlike cosign's. -o json lists for each
signature the rules that matched ("matched", by option name as the library spells it: key, certificateIdentity, …).`)
    .action(action<VerifyFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { verify } = await import('../../usecases/verify.js');
      const opts: import('../../usecases/verify.js').VerifyOptions = { ...common, reference: args[0]! };
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
      const r = await verify(opts);
      const asked = (flags.key?.length ?? 0) > 0 || flags.certificateIdentity !== undefined || flags.certificateIdentityRegexp !== undefined;
      report(ui, r, asked);
      const data: Record<string, unknown> = { digest: r.digest, verified: r.verified, signatures: r.signatures, url: r.url, repository: r.repository, integrity: r.integrity };
      if (r.attestations) data.attestations = r.attestations;
      if (r.lookups) data.lookups = r.lookups;
      ui.data(data, format);
      return r.verified ? 0 : 3;
    }));
}
