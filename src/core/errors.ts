import { describeSource, type CredentialSource } from './credential.js';

/** Stable error codes; the CLI maps them to exit codes and hints. */
export type ErrorCode =
  | 'USAGE' // bad flag, reference, config file: exit 2
  | 'BAD_INPUT' // malformed local input (archive, chart, key file): exit 2
  | 'NOT_FOUND' // manifest, blob or tag missing: exit 1
  | 'UNAUTHORIZED' // 401: exit 1, hint to log in
  | 'DENIED' // 403: exit 1
  | 'REGISTRY' // any other registry error response: exit 1
  | 'NETWORK' // connection, TLS, timeout: exit 1
  | 'TLS' // certificate problems: exit 1, hint --ca-file
  | 'PLAIN_HTTP' // registry does not speak TLS: exit 1, hint --insecure-registry
  | 'IO' // local filesystem: exit 1
  | 'CAP' // a size/count cap was hit: exit 1, hint to raise it
  | 'UNSAFE' // hostile archive content: exit 1
  | 'CREDENTIALS' // credential helper / config failure: exit 1
  | 'VERIFY' // digest, size or signature mismatch: exit 3
  | 'BAD_MANIFEST' // a registry or layout served bytes that are not a manifest: exit 1
  | 'CANCELLED'; // SIGINT/SIGTERM or deadline: exit 1

/** The one error type every layer throws; `code` is stable, `hint` is a next step for humans. */
export class OcipackError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'OcipackError';
    this.code = code;
    this.hint = opts.hint;
  }
}

/** A registry answered with an unexpected status; keeps the `errors[].code` values it sent. */
export class RegistryError extends OcipackError {
  readonly status: number;
  readonly registryCodes: string[];
  constructor(code: ErrorCode, status: number, message: string, registryCodes: string[] = [], hint?: string) {
    super(code, message, hint === undefined ? {} : { hint });
    this.name = 'RegistryError';
    this.status = status;
    this.registryCodes = registryCodes;
  }
}

/**
 * A credential was sent and refused (issue 14 §4): not "missing". Carries the host and where the
 * credential came from as data, so the CLI can hint by source; `serverSays` is the token server's
 * own message, one line, capped and scrubbed of the credential.
 */
export class CredentialsRejectedError extends RegistryError {
  readonly host: string;
  readonly source: CredentialSource | undefined;
  constructor(status: number, host: string, source: CredentialSource | undefined, serverSays = '', registryCodes: string[] = []) {
    const from = source === undefined ? '' : ` (from ${describeSource(source)})`;
    super('UNAUTHORIZED', status, `credentials for ${host} were rejected${from}${serverSays === '' ? '' : `: ${serverSays}`}`, registryCodes);
    this.name = 'CredentialsRejectedError';
    this.host = host;
    this.source = source;
  }
}

/** Shorthand for a usage error (exit 2). */
export function usageError(message: string, hint?: string): OcipackError {
  return new OcipackError('USAGE', message, hint === undefined ? {} : { hint });
}

/** Exit code for an error, as SPEC §3 defines them. */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof OcipackError)) return 1;
  switch (err.code) {
    case 'USAGE':
    case 'BAD_INPUT':
      return 2;
    case 'VERIFY':
      return 3;
    default:
      return 1;
  }
}
