/** Credential shapes shared by the auth layer and the credential stores (docker config, helpers, --creds). */
import { OcipackError } from '../core/errors.js';

export { basicPair, describeSource, type Credential, type CredentialResolver, type CredentialSource } from '../core/credential.js';
import type { Credential } from '../core/credential.js';

/**
 * `--creds user:pass` splits on the first ':'; a value without ':' is a registry token, as flux does.
 * `flag` names the option it came from (`creds`, `fromCreds`, …) in messages; the CLI shows it as its flag.
 */
export function credentialFromFlag(creds: string, flag = 'creds'): Credential {
  if (creds === '') throw new OcipackError('USAGE', `\`${flag}\` must not be empty`, { context: { option: flag } });
  const i = creds.indexOf(':');
  if (i < 0) return { registryToken: creds };
  const username = creds.slice(0, i);
  if (username === '') throw new OcipackError('USAGE', `\`${flag}\` needs a user name before the ":"`, { context: { option: flag } });
  return { username, password: creds.slice(i + 1) };
}
