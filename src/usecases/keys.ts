/**
 * generate-key-pair: `cosign.key` (ECDSA P-256, PKCS#8, encrypted: scrypt N=65536 + nacl/secretbox,
 * PEM `ENCRYPTED SIGSTORE PRIVATE KEY`) and `cosign.pub` (PKIX PEM), as `cosign generate-key-pair`
 * writes them. Existing files are never overwritten without `force`; files appear complete or not at all.
 */
import { access, chmod } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../core/files.js';
import { usageError, OcipackError } from '../core/errors.js';
import type { Env } from '../core/options.js';
import { generateKeyPair as generate } from '../signing/keys.js';
import { loadPublicKey } from '../signing/keys.js';
import type { PasswordSource } from '../signing/signer.js';

export interface GenerateKeyPairOptions {
  /** `--output-key-prefix`: file names `<prefix>.key` and `<prefix>.pub` (default `cosign`). */
  outputKeyPrefix?: string;
  /** Directory to write into (default: the current directory). */
  dir?: string;
  /** Overwrite existing files. */
  force?: boolean;
  /** Wins over `COSIGN_PASSWORD` in `env`; a function (the CLI's prompt) is the fallback. */
  password?: PasswordSource;
  env?: Env;
}

export interface GenerateKeyPairResult {
  privateKeyPath: string;
  publicKeyPath: string;
  publicKeyPem: string;
  keyFingerprint: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The one atomic write (core/files.ts), then the exact mode whatever the umask took away. */
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  await writeFileAtomic(path, data, { mode });
  await chmod(path, mode).catch((err: unknown) => { throw new OcipackError('IO', `cannot set the mode of ${path}: ${(err as Error).message}`); });
}

async function passwordOf(opts: GenerateKeyPairOptions): Promise<string> {
  if (typeof opts.password === 'string') return opts.password;
  const env = opts.env ?? {};
  if (env.COSIGN_PASSWORD !== undefined) return env.COSIGN_PASSWORD;
  if (opts.password) return opts.password();
  throw usageError('set COSIGN_PASSWORD to the password for the new key', { next: 'no-terminal' });
}

/** Generate a key pair and write both files (private 0600, public 0644). */
export async function generateKeyPair(opts: GenerateKeyPairOptions = {}): Promise<GenerateKeyPairResult> {
  const prefix = opts.outputKeyPrefix ?? 'cosign';
  if (prefix === '' || prefix.endsWith('/')) throw usageError(`invalid \`outputKeyPrefix\` "${prefix}"`, { option: 'outputKeyPrefix' });
  const base = resolve(opts.dir ?? '.', prefix);
  const privateKeyPath = `${base}.key`;
  const publicKeyPath = `${base}.pub`;
  if (!opts.force) {
    for (const p of [privateKeyPath, publicKeyPath]) {
      if (await exists(p)) throw usageError(`${p} already exists; refusing to overwrite it`, { option: 'force', path: p, next: 'force' });
    }
  }
  const password = await passwordOf(opts);
  const pair = await generate(password);
  await writeAtomic(privateKeyPath, pair.privateKeyPem, 0o600);
  await writeAtomic(publicKeyPath, pair.publicKeyPem, 0o644);
  return { privateKeyPath, publicKeyPath, publicKeyPem: pair.publicKeyPem, keyFingerprint: loadPublicKey(pair.publicKeyPem).description.fingerprint };
}
