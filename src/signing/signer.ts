/** A decrypted signing key, and how its password is asked for (cosign key files, PEM keys). */
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { errCode } from '../core/errno.js';
import { usageError } from '../core/errors.js';
import type { Env } from '../core/options.js';
import type { KeyDescription } from './crypto.js';
import { loadPrivateKey } from './keys.js';

/** A password, or a function asked only when the key is encrypted (the CLI's hidden prompt). */
export type PasswordSource = string | (() => Promise<string>);

/** A decrypted signing key. */
export interface Signer {
  name: string;
  key: KeyObject;
  publicKey: KeyObject;
  description: KeyDescription;
}

/** Read and decrypt a key file: BAD_INPUT for a bad file (exit 2), CREDENTIALS for a wrong password (exit 1). */
export async function loadSigner(file: string, password: PasswordSource | undefined, env: Env): Promise<Signer> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    const code = errCode(err);
    throw usageError(`\`key\` ${file}: ${code === 'ENOENT' ? 'no such file' : 'cannot be read'}`, { option: 'key', path: file });
  }
  const ask = async (): Promise<string> => {
    if (typeof password === 'string') return password;
    if (env.COSIGN_PASSWORD !== undefined) return env.COSIGN_PASSWORD;
    if (password) return password();
    throw usageError(`${file} is encrypted: set COSIGN_PASSWORD`, { path: file, next: 'no-terminal' });
  };
  const loaded = await loadPrivateKey(pem, ask, file);
  return { name: file, key: loaded.key, publicKey: loaded.publicKey, description: loaded.description };
}
