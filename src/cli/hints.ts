/**
 * Next steps for errors (SPEC §3): what to run or check. Hints live in the face; the lower layers
 * give the facts as data (an error code, and for refused credentials the host and where they came from).
 */
import { CredentialsRejectedError, type ErrorCode } from '../core/errors.js';

/** A next step for errors whose thrower gave none. */
const BY_CODE: Partial<Record<ErrorCode, string>> = {
  UNAUTHORIZED: 'log in with `ocipack login <host>` or pass --creds',
  DENIED: 'check that these credentials may access this repository (push needs write access)',
  TLS: 'use --ca-file <pem> to trust a private CA',
  PLAIN_HTTP: 'use --insecure-registry for a plain-HTTP registry',
  NETWORK: 'check the registry host name and your network or proxy (HTTPS_PROXY, NO_PROXY)',
};

/** What fixes refused credentials depends on where they came from (issue 14 §4). */
export function rejectedHint(err: CredentialsRejectedError): string {
  const s = err.source;
  const host = err.host;
  switch (s?.kind) {
    case 'flag':
      return `check the value of ${s.flag} (user:password, or a token) for ${host}`;
    case 'docker-config':
      return s.file === 'DOCKER_AUTH_CONFIG'
        ? `fix the "${s.key}" entry of DOCKER_AUTH_CONFIG, or pass --creds`
        : `run \`ocipack login ${host}\` to replace the stored credentials (${s.file})`;
    case 'podman':
      return `run \`podman login ${host}\` (or remove its entry from ${s.file}), or pass --creds`;
    case 'helm':
      return `run \`ocipack login --helm ${host}\` (or \`helm registry login ${host}\`) to replace them`;
    case 'helper':
      return `check what docker-credential-${s.name} holds for ${host}, or run \`ocipack login ${host}\` to store new ones through it`;
    case 'provider':
      return `check that the ${s.provider} identity in use may access ${host} (pull, and push for a push)`;
    default:
      return 'check the credentials, or pass new ones with --creds';
  }
}

/** The hint for an error: the thrower's own, else one for refused credentials, else one per code. */
export function hintFor(err: unknown, code: ErrorCode | undefined, own: string | undefined): string | undefined {
  if (own !== undefined) return own;
  if (err instanceof CredentialsRejectedError) return rejectedHint(err);
  return code === undefined ? undefined : BY_CODE[code];
}
