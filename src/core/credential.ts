/** Credential shapes shared by the auth layer, the registry client and the credential stores. */

/**
 * Where a credential came from, as data (SPEC §6, issue 14 §4): messages name it, hints depend on it,
 * and it never holds the secret itself.
 */
export type CredentialSource =
  | { kind: 'flag'; flag: string } // the option it came from: `creds`, `fromCreds`, … (the CLI shows its flag)
  | { kind: 'docker-config'; key: string; file: string }
  | { kind: 'helper'; name: string; file: string }
  | { kind: 'podman'; key: string; file: string }
  | { kind: 'helm'; key: string; file: string }
  | { kind: 'provider'; provider: string };

/**
 * What we can present to a registry: a username/password pair (Basic, or the token server's Basic),
 * an identity (refresh) token for the OAuth2 POST flow, or a registry token sent as `Bearer` as is.
 * `source` says where it came from (absent for credentials a library caller built itself).
 */
export type Credential = (
  | { username: string; password: string }
  | { identityToken: string; username?: string }
  | { registryToken: string }
) & { source?: CredentialSource };

/** Looks credentials up for a registry name as the user wrote it (`docker.io`, `ghcr.io`, `localhost:5000`). */
export type CredentialResolver = (registry: string) => Promise<Credential | undefined>;

/** The username/password pair of a credential, when it has one. */
export function basicPair(cred: Credential | undefined): { username: string; password: string } | undefined {
  if (cred && 'password' in cred) return cred;
  return undefined;
}

/** The source as messages spell it: an option in backticks (the CLI shows its flag), `config.json auths entry "ghcr.io"`, …. */
export function describeSource(s: CredentialSource): string {
  switch (s.kind) {
    case 'flag':
      return `\`${s.flag}\``;
    case 'docker-config':
      return `${s.file === 'DOCKER_AUTH_CONFIG' ? 'DOCKER_AUTH_CONFIG' : 'config.json'} auths entry "${s.key}"`;
    case 'helper':
      return `credential helper docker-credential-${s.name}`;
    case 'podman':
      return `podman auth file ${s.file}`;
    case 'helm':
      return 'helm registry config';
    case 'provider':
      return `\`provider\` ${s.provider}`;
  }
}

/** The secret strings of a credential, so error text quoted from a server can be scrubbed of them. */
export function secretsOf(cred: Credential | undefined): string[] {
  if (!cred) return [];
  if ('registryToken' in cred) return [cred.registryToken];
  if ('identityToken' in cred) return [cred.identityToken];
  return [cred.password, Buffer.from(`${cred.username}:${cred.password}`, 'utf8').toString('base64')];
}

export interface ExecResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  input: string;
  /** The run's environment (core/options.ts Env; spelled out here so the two files need not import each other). */
  env: Record<string, string | undefined>;
  timeoutMs: number;
}

/**
 * Runs a program with `input` on stdin. Rejects with `code: 'ENOENT'` when it does not exist and
 * `code: 'ETIMEDOUT'` when it ran longer than `timeoutMs` (it is killed then). Declared here, in
 * core, because RegistryOptions.credentialHelperExec carries it; credentials/helper.ts runs it.
 */
export type HelperExec = (program: string, args: string[], opts: ExecOptions) => Promise<ExecResult>;
