/**
 * Next steps for errors (SPEC §3): what to run or check. Hints live in the face; the lower layers
 * give the facts as data (an error code, and for refused credentials the host and where they came from).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CredentialsRejectedError, OcipackError, type ErrorCode, type ErrorContext } from '../core/errors.js';
import { parseReference } from '../oci/reference.js';
import { tmpdir } from 'node:os';
import { flagFor } from './flags.js';

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
      return `check the value of ${flagFor(s.flag)} (user:password, or a token) for ${host}`;
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

/** Where each cloud provider's credential chain looks, in the words of its docs. */
const PROVIDER_SETUP: Record<string, string> = {
  aws: 'set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE (GitHub OIDC: aws-actions/configure-aws-credentials)',
  azure: 'set AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE (GitHub OIDC: azure/login), use a managed identity, or run `az login`',
  gcp: 'set GOOGLE_APPLICATION_CREDENTIALS (a key or workload identity federation file; GitHub OIDC: google-github-actions/auth), run `gcloud auth application-default login`, or run on GCP',
};

/** What a provider's identity needs on the registry. */
const PROVIDER_DENIED: Record<string, string> = {
  aws: 'check that the AWS identity may call ecr:GetAuthorizationToken (ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken for ECR Public)',
  azure: 'check that the identity has a role on the registry (AcrPull, AcrPush for a push)',
};

/** Where each well-known registry lets you delete what its API refuses to. */
const DELETE_ELSEWHERE: Record<string, string> = {
  'ghcr.io': 'delete the package version on github.com (the package\'s settings page) or with the GitHub REST API (DELETE /user/packages/container/<name>/versions/<id>)',
  'docker.io': 'delete the tag on hub.docker.com (the repository\'s Tags tab) or with Docker Hub\'s own API',
};

/** The next step for a context's `next`, in CLI words. */
function stepFor(ctx: ErrorContext): string | undefined {
  const flag = ctx.option === undefined ? undefined : flagFor(ctx.option);
  switch (ctx.next) {
    case 'raise-cap': return flag ? `raise it with ${flag} if this is expected` : 'raise the cap if this is expected';
    case 'login': return `run \`ocipack login ${ctx.host ?? '<host>'}\` or pass --creds`;
    case 'login-rejected': return `check the user name and the password or token for ${ctx.host ?? 'the registry'}; a token needs scopes that may read the registry (ghcr.io: read:packages, and write:packages to push)`;
    case 'insecure': return 'use --insecure-registry for a plain-HTTP registry';
    case 'ca-file': return 'use --ca-file <pem> to trust a private CA';
    case 'choose-layer': return 'choose one with --media-type <type> or --layer <n>';
    case 'choose-platform': return 'choose one with --platform os/arch[/variant]';
    case 'helper-missing': return 'install it, or remove it from credsStore/credHelpers in the docker config';
    case 'key-password': return 'set COSIGN_PASSWORD to the password given to generate-key-pair';
    case 'no-terminal': return 'there is no terminal to prompt for the password on';
    case 'force': return 'use --force to replace it';
    case 'resolve-symlinks': return 'copy the target into the directory, or drop --resolve-symlinks to skip symlinks';
    case 'keyless-together': return 'keyless needs --trusted-root, --certificate-identity or --certificate-identity-regexp, and --certificate-oidc-issuer or --certificate-oidc-issuer-regexp';
    case 'timeout': return 'raise the deadline with --timeout, e.g. --timeout 15m';
    case 'retry-later': return 'try again later';
    case 'realm-withheld': return 'serve the token realm over https, or on the registry\'s own host when the registry is plain HTTP';
    case 'redirect-auth': return `the registry handed the request to ${ctx.host ?? 'another host'}; report it to the registry's operator`;
    case 'stale-lock': return `remove ${ctx.path ?? 'the lock file'} if no other ocipack is writing this layout`;
    case 'signature-format': return 'bundle is what cosign 3 writes; legacy is the sha256-<hex>.sig tag of cosign 2';
    case 'provider-host': return 'use --provider generic (the default) for this registry, or --creds-for to give its credentials';
    case 'provider-no-credentials': return PROVIDER_SETUP[ctx.program ?? ''] ?? 'configure the provider\'s credentials';
    case 'provider-denied': return PROVIDER_DENIED[ctx.program ?? ''] ?? 'check the identity\'s access to the registry';
    case 'provider-install': return `install it beside ocipack: npm i ${ctx.program ?? ''} (or npx -p ocipack -p ${(ctx.program ?? '').split(' ').join(' -p ')} ocipack …)`;
    case 'layout-choose-image': return `name one as <dir>:<tag>, <dir>@tag=<ref.name> or <dir>@sha256:<hex>; ocipack list --oci-layout ${ctx.path ?? '<dir>'} shows them`;
    case 'layer-copy': return 'write it as a file with --layer-operation copy';
    case 'zstd-node': return 'use Node 22.15 or newer: its zlib decodes zstd';
    case 'sources-collide': return 'give one of them another place in the artifact (--path <src>=<target>), or ignore the path in one of them';
    case 'empty-stdin': return 'check the command piped into ocipack (it wrote nothing), or pass --allow-empty to push an empty file';
    case 'empty-tree': return 'check --ignore-paths/--add-ignore-paths and .sourceignore, or pass --allow-empty to push an artifact without files';
    case 'overwrite-dirs': return 'pass --overwrite-dirs to let the artifact replace them, or --clean to make the output exactly the artifact';
    case 'delete-force': return 'add --force to delete the manifest, and with it every tag that names it (--dry-run shows them first)';
    case 'disk-full': return `free space on the disk that holds ${ctx.path ?? 'the output'}, or write to a directory on another disk`;
    case 'read-only': return `${ctx.path ?? 'it'} is on a read-only filesystem: choose a writable directory (in a container: a volume or emptyDir mounted there)`;
    case 'permission': return `this user may not access ${ctx.path ?? 'that path'}: check its owner and mode, or choose a directory this user owns`;
    case 'cross-device': return `${ctx.path ?? 'it'} is another filesystem inside the output (a mount point): pull into it on its own, or into an output without mount points inside`;
    case 'missing-path': return `check the path: ${ctx.path ?? 'a directory on the way'} is missing or not a directory`;
    case 'temp-full': return `temporary space is full (${ctx.path ?? tmpdir()}): free space there, or set TMPDIR to a directory on a bigger disk`;
    case 'temp-unwritable': return `temporary space (${ctx.path ?? tmpdir()}) cannot be written: set TMPDIR to a writable directory`;
    case 'temp-missing': return `temporary space ${ctx.path ?? tmpdir()} does not exist: create it, or set TMPDIR to an existing directory`;
    case 'list-tags': return `see which tags exist with \`ocipack list oci://${ctx.host ?? '<host>'}/${ctx.repository ?? '<repository>'}\``;
    case 'oci-scheme': return 'write the scheme with two slashes: oci://<host>/<repository>:<tag>';
    case 'layout-slip': return `${ctx.path ?? 'it'} is a local directory: to push into it as an OCI image layout add --oci-layout; a registry reference names its host (oci://<host>/<repository>:<tag>)`;
    case 'tag-positional': return `new tags go after -t/--tag (comma-separated or repeated): ${ctx.suggestion ?? 'ocipack tag <reference> --tag <tag>'}`;
    case 'oci-layout': return `for a local OCI layout directory add ${flag ?? '--oci-layout'}`;
    case 'layout-missing': return `check the path ${ctx.path ?? ''}; push or copy with --oci-layout creates a layout`;
    case 'proxy-unreachable': return `check that the proxy at ${ctx.host ?? 'that address'} is running and HTTPS_PROXY/HTTP_PROXY name its host and port; hosts listed in NO_PROXY are reached directly`;
    case 'proxy-tunnel': return `the proxy could not reach ${ctx.host ?? 'the registry'} or may not connect there (its allowed hosts and ports); list the host in NO_PROXY to reach it directly`;
    case 'connection-refused': return `check the host and port of ${ctx.host ?? 'the registry'} and that the registry is running (behind a proxy: HTTPS_PROXY, NO_PROXY)`;
    case 'deletes-refused': return DELETE_ELSEWHERE[ctx.host ?? ''] ?? 'delete it in the registry\'s web UI, or ask its operator to enable deletes (CNCF distribution: storage.delete.enabled: true)';
    default: return undefined;
  }
}

/** The hint for an error: refused credentials by source, else the thrower's next step, else one per code. */
export function hintFor(err: unknown): string | undefined {
  if (!(err instanceof OcipackError)) return undefined;
  if (err instanceof CredentialsRejectedError) return rejectedHint(err);
  return stepFor(err.context) ?? BY_CODE[err.code];
}

/**
 * `push store:v1` meant for a layout: a reference without `oci://` and without a host (so Docker Hub) whose
 * name (before the tag) is a directory here. The registry's failure is then told as that slip, same code.
 */
export async function withLayoutSlip(err: unknown, reference: string, cwd: string): Promise<unknown> {
  if (!(err instanceof OcipackError) || reference.startsWith('oci://') || /^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//.test(reference)) return err;
  let registry: string;
  try {
    registry = parseReference(reference).registry;
  } catch {
    return err;
  }
  const dir = reference.replace(/[:@][^/]*$/, '');
  if (registry !== 'docker.io' || !(await stat(resolve(cwd, dir)).then((s) => s.isDirectory(), () => false))) return err;
  return new OcipackError(err.code, err.message, { cause: err, context: { ...err.context, path: dir, next: 'layout-slip' } });
}
