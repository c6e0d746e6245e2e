/** `ocipack sign`: a cosign-compatible signature stored next to the artifact (cosign sign --key). */
import type { Command } from 'commander';
import { action } from '../run.js';
import { collect, formatOf } from '../common.js';
import { passwordPrompt } from '../password.js';

interface SignFlags {
  key?: string;
  annotations?: string[];
  ociLayout?: boolean;
  output?: string;
}

/** Register `sign`. */
export function defineSign(program: Command): Command {
  return program
    .command('sign')
    .summary('sign an artifact with a cosign key; cosign verify and Flux accept the signature (cosign sign --key)')
    .argument('<reference>', 'oci://host/repository:tag|@digest (or <dir>[:tag|@digest] with --oci-layout)')
    .option('--key <cosign.key>', 'private key from generate-key-pair (password from COSIGN_PASSWORD or a prompt)')
    .option('-a, --annotations <key=value>', 'annotation signed into the payload (repeatable)', collect)
    .option('--oci-layout', 'sign in an OCI image-layout directory <dir>[:tag|@digest]')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml')
    .addHelpText('after', `
The tag is resolved to a digest once; the signature is for that digest, stored as the tag
sha256-<hex>.sig in the same repository (appended to the signatures already there).

Example:
  COSIGN_PASSWORD=... ocipack sign oci://ghcr.io/org/app-manifests:v1.0.0 --key cosign.key
  ocipack sign oci://ghcr.io/org/app-manifests@sha256:<hex> --key cosign.key -a env=prod -o json`)
    .action(action<SignFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { sign } = await import('../../usecases/sign.js');
      const opts: import('../../usecases/sign.js').SignOptions = { ...common, reference: args[0]!, key: flags.key ?? '' };
      const prompt = passwordPrompt({ confirm: false });
      if (prompt) opts.password = prompt;
      if (flags.annotations) opts.annotations = flags.annotations;
      const r = await sign(opts);
      if (r.alreadySigned) ui.success(`${r.repository}@${r.digest} is already signed with this key`);
      else ui.success(`signed ${r.repository}@${r.digest}; signature stored as ${r.repository}:${r.signatureTag}`);
      ui.data({ url: r.url, repository: r.repository, digest: r.digest, signatureTag: r.signatureTag, signatureDigest: r.signatureDigest, signatures: r.signatures, alreadySigned: r.alreadySigned, keyFingerprint: r.keyFingerprint }, format);
    }));
}
