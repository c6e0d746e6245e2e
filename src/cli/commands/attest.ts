/** `ocipack attest`: an in-toto attestation stored next to the artifact (cosign attest, new bundle format). */
import type { Command } from 'commander';
import { action } from '../run.js';
import { keylessFields, type KeylessFlags } from '../keyless.js';
import { formatOf } from '../common.js';
import { passwordPrompt } from '../password.js';

interface AttestFlags extends KeylessFlags {
  predicate?: string;
  type?: string;
  key?: string;
  keyless?: boolean;
  ociLayout?: boolean;
  output?: string;
}

/** Register `attest`. */
export function defineAttest(program: Command): Command {
  return program
    .command('attest')
    .summary('attach a signed in-toto attestation (SLSA provenance, SBOM, vuln scan) to an artifact (cosign attest)')
    .argument('<reference>', 'oci://host/repository:tag|@digest (or <dir>[:tag|@digest] with --oci-layout)')
    .option('--predicate <file>', 'the predicate: a JSON document (SLSA provenance, SPDX, CycloneDX, …)')
    .option('--type <type>', 'slsaprovenance1, slsaprovenance (v0.2), spdxjson, cyclonedx, vuln, or a predicate type URI', 'custom')
    .option('--key <cosign.key>', 'sign with this cosign key (password from COSIGN_PASSWORD or a prompt)')
    .option('--keyless', 'sign keylessly: Fulcio certificate for the OIDC identity, Rekor entry (see sign --keyless)')
    .option('--identity-token <jwt|@file>', 'keyless: the OIDC token (else SIGSTORE_ID_TOKEN, else GitHub Actions); never printed')
    .option('--fulcio-url <url>', 'keyless: Fulcio (default https://fulcio.sigstore.dev)')
    .option('--rekor-url <url>', 'keyless: Rekor v1 (default https://rekor.sigstore.dev)')
    .option('--timestamp-server-url <url>', 'keyless: RFC 3161 timestamp authority')
    .option('--signing-config <file>', 'keyless: cosign 3 signing config, instead of the three URLs')
    .option('--oci-layout', 'attest in an OCI image-layout directory <dir>[:tag|@digest]')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml')
    .addHelpText('after', `
The statement is an in-toto Statement v1 whose subject is the resolved manifest digest; it is signed
in a DSSE envelope, put in a Sigstore bundle v0.3 and attached as an OCI referrer whose
dev.sigstore.bundle.predicateType annotation names the predicate type, as cosign 3 attest writes it.
Check it with: ocipack verify <reference> --attestation-type <type> (--key cosign.pub | keyless flags).

Example:
  ocipack attest oci://ghcr.io/org/app-manifests:v1.0.0 --predicate sbom.spdx.json --type spdxjson --key cosign.key
  ocipack attest oci://ghcr.io/org/app-manifests@sha256:<hex> --predicate provenance.json --type slsaprovenance1 --keyless`)
    .action(action<AttestFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { attest } = await import('../../usecases/attest.js');
      const opts: import('../../usecases/attest.js').AttestOptions = { ...common, reference: args[0]!, predicate: flags.predicate ?? '', type: flags.type ?? 'custom' };
      if (flags.key !== undefined) {
        opts.key = flags.key;
        const prompt = passwordPrompt({ confirm: false });
        if (prompt) opts.password = prompt;
      }
      if (flags.keyless) opts.keyless = true;
      Object.assign(opts, keylessFields(flags));
      const r = await attest(opts);
      const via = r.attachedVia === 'referrers-api' ? 'referrers API' : `referrers tag ${r.referrersTag ?? ''}`;
      const who = r.identity !== undefined ? ` as ${r.identity} (issuer ${r.issuer ?? '?'})` : '';
      ui.success(`attested ${r.repository}@${r.digest} (${r.predicateType})${who}; stored as referrer ${r.repository}@${r.referrerDigest} (${via})`);
      const data: Record<string, unknown> = {
        url: r.url, repository: r.repository, digest: r.digest, predicateType: r.predicateType, referrer: r.referrerDigest, attachedVia: r.attachedVia,
        referrersTag: r.referrersTag, keyFingerprint: r.keyFingerprint, identity: r.identity, issuer: r.issuer, tlog: r.tlog,
      };
      for (const k of Object.keys(data)) if (data[k] === undefined) delete data[k];
      ui.data(data, format);
    }));
}
