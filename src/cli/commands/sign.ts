/** `ocipack sign`: a cosign-compatible signature stored next to the artifact (cosign sign --key). */
import type { Command } from 'commander';
import { action } from '../run.js';
import { keylessFields, type KeylessFlags } from '../keyless.js';
import { collect, formatOf } from '../common.js';
import { passwordPrompt } from '../password.js';
import type { SignatureFormatName } from '../../usecases/sign.js';

interface SignFlags extends KeylessFlags {
  key?: string;
  annotations?: string[];
  ociLayout?: boolean;
  output?: string;
  signatureFormat?: string;
  dryRun?: boolean;
  keyless?: boolean;
}

/** Register `sign`. */
export function defineSign(program: Command): Command {
  return program
    .command('sign')
    .summary('sign an artifact with a cosign key; cosign verify and Flux accept the signature (cosign sign --key)')
    .argument('<reference>', 'oci://host/repository:tag|@digest (or <dir>[:tag|@digest] with --oci-layout)')
    .option('--key <cosign.key>', 'private key from generate-key-pair (password from COSIGN_PASSWORD or a prompt)')
    .option('-a, --annotations <key=value>', 'annotation signed into the payload (repeatable)', collect)
    .option('--signature-format <bundle|legacy>', 'bundle: Sigstore bundle attached as an OCI referrer, as cosign 3 writes (default); legacy: the sha256-<hex>.sig tag of cosign 2', 'bundle')
    .option('--dry-run', 'sign in memory and print what would be written (stdout with -o json|yaml); write nothing')
    .option('--keyless', 'sign with a short-lived Fulcio certificate for the CI\'s OIDC identity, logged in Rekor (cosign sign without --key)')
    .option('--identity-token <jwt|@file>', 'keyless: the OIDC token (else SIGSTORE_ID_TOKEN, else the GitHub Actions token service); never printed')
    .option('--fulcio-url <url>', 'keyless: Fulcio (default https://fulcio.sigstore.dev)')
    .option('--rekor-url <url>', 'keyless: Rekor v1 (default https://rekor.sigstore.dev)')
    .option('--timestamp-server-url <url>', 'keyless: RFC 3161 timestamp authority to add a signed timestamp')
    .option('--signing-config <file>', 'keyless: cosign 3 signing config (Fulcio, Rekor v1 or v2, TSA), instead of the three URLs')
    .option('--oci-layout', 'sign in an OCI image-layout directory <dir>[:tag|@digest]')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml')
    .addHelpText('after', `
The tag is resolved to a digest once; the signature is for that digest. By default it is a Sigstore
bundle v0.3 (DSSE over an in-toto statement, public-key hint, no transparency log) in an OCI 1.1
referrer manifest, found through the referrers API or the sha256-<hex> referrers tag (existing
entries kept). --signature-format legacy stores it in the sha256-<hex>.sig tag instead (appended).

Example:
  COSIGN_PASSWORD=... ocipack sign oci://ghcr.io/org/app-manifests:v1.0.0 --key cosign.key
  ocipack sign oci://ghcr.io/org/app-manifests@sha256:<hex> --key cosign.key -a env=prod -o json
  ocipack sign oci://ghcr.io/org/app-manifests:v1.0.0 --key cosign.key --signature-format legacy
  ocipack sign oci://ghcr.io/org/app-manifests:v1.0.0 --key cosign.key --dry-run -o json
  ocipack sign oci://ghcr.io/org/app-manifests:v1.0.0 --keyless   # in GitHub Actions with id-token: write

Keyless service URLs must be https (plain http only on a loopback address).`)
    .action(action<SignFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { sign } = await import('../../usecases/sign.js');
      const opts: import('../../usecases/sign.js').SignOptions = { ...common, reference: args[0]!, key: flags.key ?? '' };
      const prompt = passwordPrompt({ confirm: false });
      if (prompt) opts.password = prompt;
      if (flags.annotations) opts.annotations = flags.annotations;
      if (flags.signatureFormat !== undefined) opts.signatureFormat = flags.signatureFormat as SignatureFormatName;
      if (flags.dryRun) opts.dryRun = true;
      if (flags.keyless) opts.keyless = true;
      Object.assign(opts, keylessFields(flags));
      const r = await sign(opts);
      const where = r.signatureFormat === 'legacy' ? `${r.repository}:${r.signatureTag ?? ''}`
        : `referrer ${r.repository}@${r.signatureDigest} (${r.attachedVia === 'referrers-api' ? 'referrers API' : `referrers tag ${r.signatureTag ?? ''}`})`;
      if (r.dryRun) ui.success(`dry run: would sign ${r.repository}@${r.digest} as ${where}; nothing written`);
      else if (r.identity !== undefined) ui.success(`signed ${r.repository}@${r.digest} as ${r.identity} (issuer ${r.issuer ?? '?'}); signature stored as ${where}${r.tlog ? `, Rekor log index ${r.tlog.logIndex}` : ''}`);
      else if (r.alreadySigned) ui.success(`${r.repository}@${r.digest} is already signed with this key`);
      else ui.success(`signed ${r.repository}@${r.digest}; signature stored as ${where}`);
      const data: Record<string, unknown> = {
        url: r.url, repository: r.repository, digest: r.digest, signatureFormat: r.signatureFormat, signatureDigest: r.signatureDigest,
        signatureTag: r.signatureTag, attachedVia: r.attachedVia, signatures: r.signatures, alreadySigned: r.alreadySigned, keyFingerprint: r.keyFingerprint,
        dryRun: r.dryRun, wouldWrite: r.wouldWrite,
        signature: r.identity === undefined ? undefined : { referrer: r.referrer, identity: r.identity, issuer: r.issuer, tlog: r.tlog },
      };
      if (data.keyFingerprint === '') delete data.keyFingerprint;
      for (const k of Object.keys(data)) if (data[k] === undefined) delete data[k];
      ui.data(data, format);
    }));
}
