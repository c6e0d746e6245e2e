/** Credential shapes shared by the auth layer and the credential stores (docker config, helpers, --creds). */
import { OcipackError } from '../core/errors.js';

/**
 * What we can present to a registry: a username/password pair (Basic, or the token server's Basic),
 * an identity (refresh) token for the OAuth2 POST flow, or a registry token sent as `Bearer` as is.
 */
export type Credential =
  | { username: string; password: string }
  | { identityToken: string; username?: string }
  | { registryToken: string };

/** Looks credentials up for a registry name as the user wrote it (`docker.io`, `ghcr.io`, `localhost:5000`). */
export type CredentialResolver = (registry: string) => Promise<Credential | undefined>;

/** `--creds user:pass` splits on the first ':'; a value without ':' is a registry token, as flux does. */
export function credentialFromFlag(creds: string): Credential {
  if (creds === '') throw new OcipackError('USAGE', '--creds must not be empty');
  const i = creds.indexOf(':');
  if (i < 0) return { registryToken: creds };
  const username = creds.slice(0, i);
  if (username === '') throw new OcipackError('USAGE', '--creds needs a user name before the ":"');
  return { username, password: creds.slice(i + 1) };
}

/** The username/password pair of a credential, when it has one. */
export function basicPair(cred: Credential | undefined): { username: string; password: string } | undefined {
  if (cred && 'password' in cred) return cred;
  return undefined;
}
