/** `ocipack login`: check credentials against a registry, then store them as docker does (docker login). */
import type { Command } from 'commander';
import { hasErrCode } from '../../core/errno.js';
import { usageError } from '../../core/errors.js';
import { formatOf } from '../common.js';
import { interruptedAtPrompt, promptHidden } from '../password.js';
import { action } from '../run.js';

interface LoginFlags {
  helm?: boolean;
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  output?: string;
}

/** The most a password on stdin may be; anything longer is a mistake (a file piped by accident). */
const MAX_STDIN_PASSWORD = 64 * 1024;

/** All of stdin, without one trailing newline (docker login --password-stdin does the same). */
export async function readPasswordStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += buf.length;
    if (size > MAX_STDIN_PASSWORD) throw usageError(`--password-stdin: more than ${MAX_STDIN_PASSWORD} bytes on stdin`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** One visible line from the terminal (the user name prompt). */
async function promptLine(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return (await rl.question(question)).trim();
  } catch (err) {
    // readline turns Ctrl-C into a rejected question, not a signal.
    if (hasErrCode(err, 'ABORT_ERR')) {
      process.stderr.write('\n');
      throw interruptedAtPrompt();
    }
    throw err;
  } finally {
    rl.close();
  }
}

/** User name and password from the flags, stdin or the terminal; a usage error when there is no way to get them. */
async function credentialsFrom(flags: LoginFlags, warn: (m: string) => void): Promise<{ username: string; password: string }> {
  if (flags.passwordStdin && flags.password !== undefined) throw usageError('--password and --password-stdin are mutually exclusive');
  if (flags.passwordStdin) {
    if (flags.username === undefined) throw usageError('--password-stdin needs -u/--username');
    return { username: flags.username, password: await readPasswordStdin() };
  }
  if (flags.password !== undefined) {
    warn('a password on the command line is visible to other users and in shell history; use --password-stdin');
    if (flags.username === undefined) throw usageError('--password needs -u/--username');
    return { username: flags.username, password: flags.password };
  }
  if (!process.stdin.isTTY) throw usageError('no password: pass it with --password-stdin (stdin is not a terminal)');
  const username = flags.username ?? (await promptLine('Username: '));
  return { username, password: await promptHidden('Password: ') };
}

/** Register `login`. */
export function defineLogin(program: Command): Command {
  return program
    .command('login')
    .summary('check credentials against a registry, then store them the way docker does (docker login, oras login)')
    .argument('<host>', 'registry host: ghcr.io, localhost:5000, docker.io')
    .option('-u, --username <user>', 'user name')
    .option('-p, --password <password>', 'password or token (insecure: prefer --password-stdin)')
    .option('--password-stdin', 'read the password or token from stdin')
    .option('--helm', 'store them in Helm\'s registry config (as helm registry login does), so helm pull oci://… sees them too')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml (flux\'s alias of --format)')
    .addHelpText('after', `
The credentials are checked with the registry first, then stored through the credential helper
named in the docker config (credHelpers, credsStore), or base64-encoded in config.json (mode 0600).
With --helm they go to Helm's registry config instead (HELM_REGISTRY_CONFIG, else
$XDG_CONFIG_HOME/helm/registry/config.json, else ~/.config/helm/registry/config.json).

Example:
  echo "$GITHUB_TOKEN" | ocipack login ghcr.io -u "$GITHUB_ACTOR" --password-stdin
  ocipack login localhost:5000 -u admin
  echo "$TOKEN" | ocipack login --helm registry.example.com -u ci --password-stdin`)
    .action(action<LoginFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { login, prepareLogin } = await import('../../usecases/login.js');
      prepareLogin({ server: args[0]!, username: flags.username ?? 'x', password: 'x' });
      const creds = await credentialsFrom(flags, (m) => ui.warn(m));
      const r = await login({ ...common, server: args[0]!, ...creds, ...(flags.helm ? { helm: true } : {}) });
      ui.success(`login succeeded for ${r.registry}; credentials stored in ${r.store === 'config.json' ? r.configPath : r.store}`);
      ui.data({ registry: r.registry, username: r.username, store: r.store, configPath: r.configPath, verified: r.verified }, format);
    }));
}
