import { describeSource, type CredentialSource } from './credential.js';

/**
 * The one error type every layer throws. The core sets a stable `code` and structured `context`
 * (which option, host or path, and what kind of next step fits); exit codes and hint texts are the
 * face's business (src/cli/errors.ts), so a library caller never reads CLI flag names.
 */

/** Stable error codes (the CLI's exit code for each is in src/cli/errors.ts). */
export type ErrorCode =
  | 'USAGE' // bad option, reference, config file
  | 'BAD_INPUT' // malformed local input (archive, chart, key file)
  | 'NOT_FOUND' // manifest, blob or tag missing
  | 'UNAUTHORIZED' // 401
  | 'DENIED' // 403
  | 'REGISTRY' // any other registry error response
  | 'NETWORK' // connection, timeout
  | 'TLS' // certificate problems
  | 'PLAIN_HTTP' // registry does not speak TLS
  | 'IO' // local filesystem
  | 'CAP' // a size/count cap was hit
  | 'UNSAFE' // hostile archive content
  | 'CREDENTIALS' // credential helper / config failure
  | 'VERIFY' // digest, size or signature mismatch
  | 'BAD_MANIFEST' // a registry or layout served bytes that are not a manifest
  | 'CANCELLED'; // SIGINT/SIGTERM or deadline

/** What kind of next step fits an error; the face turns it into words. */
export type NextStep =
  | 'raise-cap' // raise the cap named by `option`
  | 'login' // log in to `host`, or pass credentials
  | 'login-rejected' // `login` itself was refused: the user name, password or token (or its scopes) is wrong
  | 'insecure' // the registry speaks plain HTTP
  | 'ca-file' // trust a private CA
  | 'choose-layer' // pick a layer by media type or index
  | 'choose-platform' // pick a platform of an index
  | 'helper-missing' // a credential helper named in the docker config is not installed
  | 'key-password' // an encrypted key needs its password
  | 'no-terminal' // a prompt was needed but there is no terminal
  | 'force' // the option `force` would replace what exists
  | 'resolve-symlinks' // a symlink leads outside the tree
  | 'keyless-together' // keyless verification needs identity, issuer and trusted root together
  | 'timeout' // the deadline passed
  | 'retry-later' // the server asked for a longer wait than we take
  | 'realm-withheld' // credentials were kept from a token realm that may not have them
  | 'redirect-auth' // a redirect target (`host`) asked for authentication
  | 'overwrite-dirs' // extraction would replace a directory with a file or the reverse
  | 'stale-lock' // a layout's lock file (`path`) is held past waiting
  | 'signature-format' // explain the signature formats
  | 'provider-host' // --provider `program` does not serve `host`
  | 'provider-no-credentials' // the `program` provider's chain found nothing
  | 'provider-denied' // the `program` provider's identity was refused
  | 'provider-install' // the SDK `program` (an npm install line) is missing
  | 'layout-choose-image' // a layout (`path`) holds several images and no tag was given
  | 'sources-collide' // two sources put a file at the same `path`
  | 'empty-tree' // every file was ignored
  | 'empty-stdin' // `-` read zero bytes
  | 'layer-copy' // a layer is no tar: write it as a file
  | 'zstd-node' // this Node cannot decode zstd
  | 'delete-force' // deleting needs --force: it removes a manifest and every tag naming it
  | 'disk-full' // no space left on the disk that holds `path` (the output, a layout)
  | 'read-only' // `path` is on a read-only filesystem
  | 'permission' // this user may not write (or read) `path`
  | 'cross-device' // `path` is on another filesystem than the rest (a mount point inside the output)
  | 'missing-path' // `path`, on the way to what was asked for, is missing or not a directory
  | 'temp-full' // no space left in temporary space (TMPDIR)
  | 'temp-unwritable' // temporary space (TMPDIR) is read-only or not writable
  | 'temp-missing' // temporary space (TMPDIR) does not exist
  | 'list-tags' // a tag is not in `host`/`repository`: list the tags there
  | 'oci-scheme' // a reference written `oci:/host/…`, `oci:host/…`, `oci:///host/…` or `oci//host/…`
  | 'layout-slip' // a registry reference without a host names a local directory (`path`): a layout was meant
  | 'tag-positional' // new tags were given as a second argument (crane/oras habit): `suggestion` has the flag
  | 'oci-layout' // a path-like reference given where a registry reference was expected
  | 'layout-missing' // the OCI layout directory `path` does not exist (a typo: exit 2)
  | 'connection-refused' // nothing listens on `host` (wrong port, registry down)
  | 'proxy-unreachable' // the proxy (`host`) from HTTPS_PROXY/HTTP_PROXY cannot be reached
  | 'proxy-tunnel' // the proxy refused a tunnel to the registry (`host`)
  | 'deletes-refused'; // `host` does not allow deletes through the registry API

/** Structured facts about an error, for the face to render (never secrets). */
export interface ErrorContext {
  /** The option it is about, by its library field name (`path`, `maxLayerBytes`). */
  option?: string;
  /** The registry host it is about. */
  host?: string;
  /** The local file or directory it is about. */
  path?: string;
  /** The repository (below `host`) it is about. */
  repository?: string;
  /** A credential helper or other program it is about. */
  program?: string;
  /** A corrected command line, built by the face from what was typed (`ocipack tag <ref> -t latest`). */
  suggestion?: string;
  next?: NextStep;
}

export class OcipackError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'OcipackError';
    this.code = code;
    this.context = opts.context ?? {};
  }
}

/** A registry answered with an unexpected status; keeps the `errors[].code` values it sent. */
export class RegistryError extends OcipackError {
  readonly status: number;
  readonly registryCodes: string[];
  constructor(code: ErrorCode, status: number, message: string, registryCodes: string[] = [], context: ErrorContext = {}) {
    super(code, message, { context });
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
    super('UNAUTHORIZED', status, `credentials for ${host} were rejected${from}${serverSays === '' ? '' : `: ${serverSays}`}`, registryCodes, { host });
    this.name = 'CredentialsRejectedError';
    this.host = host;
    this.source = source;
  }
}

/** A usage error: a bad option, reference or config file. Name the option as `name` in the message. */
export function usageError(message: string, context: ErrorContext = {}): OcipackError {
  return new OcipackError('USAGE', message, { context });
}

/** True when the error is about the input (options, references, local files), not about an operation. */
export function isInputError(err: unknown): boolean {
  return err instanceof OcipackError && (err.code === 'USAGE' || err.code === 'BAD_INPUT');
}
