/** Credential shapes shared by the auth layer, the registry client and the credential stores. */

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

/** The username/password pair of a credential, when it has one. */
export function basicPair(cred: Credential | undefined): { username: string; password: string } | undefined {
  if (cred && 'password' in cred) return cred;
  return undefined;
}
