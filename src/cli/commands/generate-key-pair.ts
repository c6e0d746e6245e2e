/** `ocipack generate-key-pair`: cosign.key (encrypted, cosign's format) and cosign.pub. */
import type { Command } from 'commander';
import { action } from '../run.js';
import { formatOf } from '../common.js';
import { passwordPrompt } from '../password.js';

interface KeyFlags {
  outputKeyPrefix?: string;
  force?: boolean;
  output?: string;
}

/** Register `generate-key-pair`. */
export function defineGenerateKeyPair(program: Command): Command {
  return program
    .command('generate-key-pair')
    .summary('write cosign.key (encrypted, cosign format) and cosign.pub (cosign generate-key-pair)')
    .option('--output-key-prefix <prefix>', 'file names <prefix>.key and <prefix>.pub', 'cosign')
    .option('--force', 'overwrite existing key files')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml (flux\'s alias of --format)')
    .addHelpText('after', `
The password comes from COSIGN_PASSWORD, or a prompt (asked twice) when stdin is a terminal.
The files work with cosign sign/verify and Flux's OCIRepository (spec.verify.provider: cosign).

Example:
  COSIGN_PASSWORD=... ocipack generate-key-pair
  ocipack generate-key-pair --output-key-prefix release --force`)
    .action(action<KeyFlags>(async ({ ui, flags, common }) => {
      const format = formatOf(flags, true);
      const { generateKeyPair } = await import('../../usecases/keys.js');
      const opts: import('../../usecases/keys.js').GenerateKeyPairOptions = { env: common.env ?? {} };
      if (flags.outputKeyPrefix !== undefined) opts.outputKeyPrefix = flags.outputKeyPrefix;
      if (flags.force) opts.force = true;
      const prompt = passwordPrompt({ confirm: true });
      if (prompt) opts.password = prompt;
      const r = await generateKeyPair(opts);
      ui.success(`private key written to ${r.privateKeyPath}`);
      ui.success(`public key written to ${r.publicKeyPath}`);
      ui.data({ privateKey: r.privateKeyPath, publicKey: r.publicKeyPath, keyFingerprint: r.keyFingerprint }, format);
    }));
}
