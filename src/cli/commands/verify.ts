/** `ocipack verify`: integrity of every blob, and cosign signatures (keyed or keyless). */
import type { Command } from 'commander';
import { action } from '../run.js';
import { addReadFlags, formatOf } from '../common.js';
import type { Ui } from '../ui.js';
import type { VerifyResult } from '../../usecases/verify.js';
import { addTrustFlags, reportVerdict, signaturesAsked, trustFields, type TrustFlags } from '../trust.js';

interface VerifyFlags extends TrustFlags {
  output?: string;
}

/** The human report on stderr: integrity, each signature, the verdict. */
function report(ui: Ui, r: VerifyResult, asked: boolean): void {
  reportVerdict(ui, r, asked);
  if (r.verified) ui.success(`${r.repository}@${r.digest} verified`);
  else ui.error(`${r.repository}@${r.digest} not verified`);
}

/** Register `verify`. */
export function defineVerify(program: Command): Command {
  const cmd = addTrustFlags(program
    .command('verify')
    .summary('check every blob of an artifact against its digest, and its cosign signatures (cosign verify)')
    .argument('<reference>', 'oci://host/repository:tag|@digest (or <dir>[:tag|@digest] with --oci-layout)'))
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
      const opts: import('../../usecases/verify.js').VerifyOptions = { ...common, reference: args[0]!, ...trustFields(flags) };
      const r = await verify(opts);
      report(ui, r, signaturesAsked(flags));
      const data: Record<string, unknown> = { digest: r.digest, verified: r.verified, signatures: r.signatures, url: r.url, repository: r.repository, integrity: r.integrity };
      if (r.attestations) data.attestations = r.attestations;
      if (r.lookups) data.lookups = r.lookups;
      ui.data(data, format);
      return r.verified ? 0 : 3;
    }));
}
