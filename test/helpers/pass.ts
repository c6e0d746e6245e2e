/**
 * A throw-away home for the real `docker-credential-pass` helper (Debian golang-docker-credential-helpers):
 * a temp HOME with its own GNUPGHOME (a passphrase-less key) and PASSWORD_STORE_DIR, `pass init`-ed.
 * `stop()` kills the gpg-agent it started and removes everything.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface PassHome {
  /** The temp HOME (holds .docker/config.json when a test writes one). */
  home: string;
  /** Environment for the CLI and the helper: HOME, GNUPGHOME, PASSWORD_STORE_DIR, PATH. */
  env: Record<string, string>;
  /** `docker-credential-pass get` for a server URL: the raw JSON answer. */
  get(serverUrl: string): Promise<{ ServerURL?: string; Username?: string; Secret?: string }>;
  /** `docker-credential-pass store`. */
  store(serverUrl: string, username: string, secret: string): Promise<void>;
  /** Writes `<home>/.docker/config.json`. */
  writeDockerConfig(doc: unknown): Promise<string>;
  stop(): Promise<void>;
}

async function need(program: string, pkg: string): Promise<void> {
  try {
    await exec('sh', ['-c', `command -v ${program}`]);
  } catch {
    throw new Error(`${program} not found: install the Debian package ${pkg}`);
  }
}

/** Run a helper command with input on stdin. */
function run(file: string, args: string[], env: Record<string, string>, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${stdout}${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });
}

/** Creates the temp home, a GnuPG key without passphrase and an initialised password store. */
export async function startPassHome(): Promise<PassHome> {
  await need('docker-credential-pass', 'golang-docker-credential-helpers');
  await need('pass', 'pass');
  await need('gpg', 'gnupg');
  const home = await mkdtemp(join(tmpdir(), 'ocipack-pass-'));
  const gnupg = join(home, 'gnupg');
  await mkdir(gnupg, { mode: 0o700 });
  await chmod(gnupg, 0o700);
  const env: Record<string, string> = {
    HOME: home,
    GNUPGHOME: gnupg,
    PASSWORD_STORE_DIR: join(home, 'password-store'),
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
  const stop = async (): Promise<void> => {
    await exec('gpgconf', ['--kill', 'all'], { env }).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  };
  try {
    await exec('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'ocipack test <test@ocipack.invalid>', 'default', 'default', 'never'], { env });
    const { stdout } = await exec('gpg', ['--list-keys', '--with-colons'], { env });
    const fpr = /^fpr:+([0-9A-F]+):/m.exec(stdout)?.[1];
    if (!fpr) throw new Error('gpg made no key');
    await exec('pass', ['init', fpr], { env });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    home,
    env,
    get: async (serverUrl) => JSON.parse(await run('docker-credential-pass', ['get'], env, serverUrl)) as { ServerURL?: string; Username?: string; Secret?: string },
    store: async (serverUrl, username, secret) => {
      await run('docker-credential-pass', ['store'], env, JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: secret }));
    },
    writeDockerConfig: async (doc) => {
      await mkdir(join(home, '.docker'), { recursive: true });
      const path = join(home, '.docker', 'config.json');
      await writeFile(path, JSON.stringify(doc, null, 2), { mode: 0o600 });
      return path;
    },
    stop,
  };
}
