/** Credential shapes shared by the auth layer and the credential stores (docker config, helpers, --creds). */
import { OcipackError } from '../core/errors.js';

export { basicPair, type Credential, type CredentialResolver } from '../core/credential.js';
import type { Credential } from '../core/credential.js';

/** `--creds user:pass` splits on the first ':'; a value without ':' is a registry token, as flux does. */
export function credentialFromFlag(creds: string): Credential {
  if (creds === '') throw new OcipackError('USAGE', '--creds must not be empty');
  const i = creds.indexOf(':');
  if (i < 0) return { registryToken: creds };
  const username = creds.slice(0, i);
  if (username === '') throw new OcipackError('USAGE', '--creds needs a user name before the ":"');
  return { username, password: creds.slice(i + 1) };
}
