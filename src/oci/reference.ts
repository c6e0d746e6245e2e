/**
 * Image references (SPEC §2): `[oci://][host[:port]/]path[:tag][@digest]`, with the Docker Hub
 * defaults and the grammar and limits of the distribution reference package. Pure: parse, then act.
 */
import { isIPv6 } from 'node:net';
import { DEFAULTS } from '../core/defaults.js';
import { usageError } from '../core/errors.js';
import { digestProblem } from './digest.js';

export interface Reference {
  /** As the user means it, normalised: 'docker.io' for Docker Hub, 'ghcr.io', 'localhost:5000', '[::1]:5000'. */
  registry: string;
  /** host[:port] used on the wire: 'registry-1.docker.io' for Docker Hub. */
  host: string;
  /** 'library/alpine', 'org/app/manifests'. */
  repository: string;
  /** Only when written (or defaulted by parseReference). */
  tag?: string;
  /** 'sha256:<64 hex>' when written. */
  digest?: string;
}

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_HOST = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', DOCKER_HUB_HOST]);
const MAX_NAME_LENGTH = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DOMAIN_NAME = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*$/;
const PORT = /^[0-9]{1,5}$/;

/** Parses a registry reference; a malformed one is a usage error (exit 2) naming what is wrong. */
export function parseReference(input: string, opts: { defaultTag?: boolean } = {}): Reference {
  // `oci:/host/…`, `oci:host`, `oci:///host`, `oci//host` (a slash too few or too many, or no colon) and a path
  // (`./x`, `../x`, `/x`) are common slips; the face suggests the fix.
  const next = /^oci(?::\/?(?!\/)|:\/{3}|\/\/)/.test(input) ? 'oci-scheme' : /^(\.{1,2}\/|\/|~\/)/.test(input) ? 'oci-layout' : undefined;
  const fail = (why: string): never => {
    throw usageError(`invalid reference ${quote(input)}: ${why}`, next === undefined ? {} : { option: 'ociLayout', next });
  };
  if (input.length === 0) fail('empty');
  if (/\s/.test(input)) fail('must not contain whitespace');
  let rest = input.startsWith('oci://') ? input.slice('oci://'.length) : input;
  if (rest.length === 0) fail('nothing after oci://');
  if (rest.includes('://')) fail('only the oci:// scheme is supported');

  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digest.includes('/')) fail('"@" must be followed by a digest (credentials go in `creds`)');
    const problem = digestProblem(digest);
    if (problem !== undefined) fail(`invalid digest: ${problem}`);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/') && colon > rest.lastIndexOf(']')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag.length === 0) fail('empty tag');
    if (!TAG.test(tag)) fail(`invalid tag "${tag}": must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`);
  }

  const { registry, host, repository } = splitName(rest, fail);
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) fail(`name longer than ${MAX_NAME_LENGTH} characters`);
  if (tag === undefined && digest === undefined && opts.defaultTag !== false) tag = DEFAULTS.defaultTag;

  const ref: Reference = { registry, host, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Parses a repository (for `list`, `--semver`, `--chart` bases); a tag or digest is a usage error. */
export function parseRepository(input: string): Reference {
  const ref = parseReference(input, { defaultTag: false });
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw usageError(`invalid repository ${quote(input)}: expected a repository without tag or digest`);
  }
  return ref;
}

/** What to resolve: the digest when written (it wins over a tag), else the tag, else 'latest'. */
export function referenceOf(ref: Reference): string {
  return ref.digest ?? ref.tag ?? DEFAULTS.defaultTag;
}

/** `registry/repository[:tag][@digest]` for messages and output (docker.io stays docker.io). */
export function formatReference(ref: Reference): string {
  const tag = ref.tag === undefined ? '' : `:${ref.tag}`;
  const digest = ref.digest === undefined ? '' : `@${ref.digest}`;
  return `${repositoryName(ref)}${tag}${digest}`;
}

/** `registry/repository`, as flux prints the repository of an artifact. */
export function repositoryName(ref: Reference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** True for localhost, 127.0.0.0/8 and ::1, with or without a port (SPEC §2: plain HTTP fallback). */
export function isLoopback(host: string): boolean {
  let name = host.toLowerCase();
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    if (end < 0) return false;
    name = name.slice(1, end);
  } else if (name.split(':').length === 2) {
    name = name.slice(0, name.indexOf(':'));
  }
  if (name === 'localhost') return true;
  // Only names with a colon can be IPv6; net.isIPv6 compiles a large regex on first use (~2 ms).
  if (name.includes(':') && isIPv6(name)) return isLoopbackV6(name);
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return octets !== null && octets.slice(1).every((o) => Number(o) <= 255);
}

/** True for a tag in the distribution grammar (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`). */
export function isTag(s: string): boolean {
  return TAG.test(s);
}

/**
 * Splits oras's tag list off a reference: `oci://r/app:1.4.2,1.4,latest` (a tag never holds a comma)
 * becomes the reference with its first tag and the list. Without a comma the input comes back as it
 * is and `tags` is empty. `layout` reads `<dir>:t1,t2` (a `<dir>@tag=<ref.name>` is never split). An
 * empty item, a duplicate, an invalid tag, or a digest beside the list is a usage error.
 */
export function splitTagList(input: string, layout = false): { reference: string; tags: string[] } {
  if (layout && input.includes(LAYOUT_REF_NAME_MARK)) return { reference: input, tags: [] };
  const start = layout ? lastSeparator(input) + 1 : input.lastIndexOf('/') + 1;
  const at = input.indexOf('@', start);
  const name = at < 0 ? input : input.slice(0, at);
  const colon = layout ? name.lastIndexOf(':') : name.indexOf(':', start);
  if (colon < start || (layout && isDriveLetter(name, colon)) || !name.includes(',', colon)) return { reference: input, tags: [] };
  const fail = (why: string): never => {
    throw usageError(`invalid tag list in ${quote(input)}: ${why}`);
  };
  if (at >= 0) fail('a list of tags cannot be combined with a digest (give the tags alone)');
  const tags = name.slice(colon + 1).split(',');
  const seen = new Set<string>();
  for (const t of tags) {
    if (t === '') fail('empty tag (two commas, or a comma at an end)');
    if (!TAG.test(t)) fail(`invalid tag "${t}": must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`);
    if (seen.has(t)) fail(`tag "${t}" is listed twice`);
    seen.add(t);
  }
  return { reference: `${name.slice(0, colon)}:${tags[0]!}`, tags };
}

/** `<dir>@tag=<ref.name>`: names a layout entry whose `ref.name` is a full reference (podman, Helm's cache). */
export const LAYOUT_REF_NAME_MARK = '@tag=';

/**
 * Splits an `--oci-layout` reference `<dir>[:tag|@digest]` or `<dir>@tag=<ref.name>`. A ':' suffix
 * is a tag only when it follows the last path separator and is a valid tag; a Windows drive letter
 * (`C:`) is not a tag. After `@tag=` everything is the `ref.name` (it may hold `/`, `:` and `@`; never
 * `=`, which the image-spec ref grammar has no place for, so the last `@tag=` is the split).
 */
export function parseLayoutReference(input: string): { dir: string; tag?: string; digest?: string } {
  const fail = (why: string): never => {
    throw usageError(`invalid layout reference ${quote(input)}: ${why}`);
  };
  if (input.length === 0) fail('empty');
  const mark = input.lastIndexOf(LAYOUT_REF_NAME_MARK);
  if (mark >= 0) {
    const name = input.slice(mark + LAYOUT_REF_NAME_MARK.length);
    const problem = refNameProblem(name);
    if (problem !== undefined) fail(`invalid ref name after ${LAYOUT_REF_NAME_MARK}: ${problem}`);
    if (mark === 0) fail('missing directory');
    return { dir: input.slice(0, mark), tag: name };
  }
  let dir = input;
  const out: { dir: string; tag?: string; digest?: string } = { dir };
  const at = dir.lastIndexOf('@');
  if (at > lastSeparator(dir)) {
    const candidate = dir.slice(at + 1);
    if (/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:/.test(candidate)) {
      const problem = digestProblem(candidate);
      if (problem !== undefined) fail(`invalid digest: ${problem}`);
      out.digest = candidate;
      dir = dir.slice(0, at);
    }
  }
  const colon = dir.lastIndexOf(':');
  if (colon > lastSeparator(dir) && !isDriveLetter(dir, colon)) {
    const candidate = dir.slice(colon + 1);
    if (TAG.test(candidate)) {
      out.tag = candidate;
      dir = dir.slice(0, colon);
    }
  }
  if (dir.length === 0) fail('missing directory');
  out.dir = dir;
  return out;
}

/**
 * Why `name` cannot be a layout `ref.name` we look up, or undefined: non-empty, at most 512
 * characters, no whitespace or control characters, no `=` (image-spec annotations.md ref grammar is
 * stricter; names other tools wrote outside it are still accepted for reading).
 */
export function refNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'empty';
  if (name.length > 512) return 'longer than 512 characters';
  if (/[\s\u0000-\u001f\u007f=]/.test(name)) return 'must not contain whitespace, control characters or "="';
  return undefined;
}

/** The image-spec `ref.name` grammar (annotations.md): components of alphanumerics joined by `-._:@+` or `--`, split by `/`. */
export const REF_NAME_GRAMMAR = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

type Fail = (why: string) => never;

/** Splits `[host/]path` into registry, wire host and repository, applying the Docker Hub rules. */
function splitName(name: string, fail: Fail): { registry: string; host: string; repository: string } {
  if (name.length === 0) fail('missing repository');
  const slash = name.indexOf('/');
  const first = slash < 0 ? name : name.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[');
  if (isHost && slash < 0) fail(`missing repository after registry "${first}"`);

  let registry = DOCKER_HUB;
  let host = DOCKER_HUB_HOST;
  let path = name;
  if (isHost) {
    registry = checkHost(first, fail);
    host = registry;
    path = name.slice(slash + 1);
    if (DOCKER_HUB_ALIASES.has(registry)) {
      registry = DOCKER_HUB;
      host = DOCKER_HUB_HOST;
    }
  }
  checkPath(path, fail);
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  return { registry, host, repository: path };
}

/** Validates `host[:port]` (a domain name, or a bracketed IPv6 address) and lowercases it. */
function checkHost(hostPort: string, fail: Fail): string {
  let hostname = hostPort;
  let port: string | undefined;
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    if (end < 0 || !isIPv6(hostPort.slice(1, end))) fail(`invalid IPv6 registry host "${hostPort}"`);
    hostname = hostPort.slice(0, end + 1);
    const after = hostPort.slice(end + 1);
    if (after.length > 0) {
      if (!after.startsWith(':')) fail(`invalid registry host "${hostPort}"`);
      port = after.slice(1);
    }
  } else {
    const colon = hostPort.indexOf(':');
    if (colon >= 0) {
      hostname = hostPort.slice(0, colon);
      port = hostPort.slice(colon + 1);
    }
    if (!DOMAIN_NAME.test(hostname)) fail(`invalid registry host "${hostPort}"`);
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    fail(`invalid port "${port}": must be 1-65535`);
  }
  return hostPort.toLowerCase();
}

/** Validates the repository path components (distribution grammar, lowercase only). */
function checkPath(path: string, fail: Fail): void {
  if (path.length === 0) fail('missing repository');
  if (path.endsWith('/')) fail('repository must not end with "/"');
  if (path.startsWith('/') || path.includes('//')) fail('empty path component');
  for (const component of path.split('/')) {
    if (PATH_COMPONENT.test(component)) continue;
    if (PATH_COMPONENT.test(component.toLowerCase())) fail('repository must be lowercase');
    fail(`invalid repository path component "${component}"`);
  }
}

/** ::1 in any spelling, and the IPv4-mapped form of 127.0.0.0/8. */
function isLoopbackV6(address: string): boolean {
  const normalised = new URL(`http://[${address}]/`).hostname;
  return normalised === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(normalised);
}

function lastSeparator(s: string): number {
  return Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
}

function isDriveLetter(s: string, colon: number): boolean {
  return colon === 1 && /^[A-Za-z]$/.test(s.charAt(0));
}

/** The input for an error message: quoted on one line, shortened, a `user:pass@` prefix masked. */
function quote(input: string): string {
  let shown = input.replace(/^(oci:\/\/)?[^/@]*:[^/@]*@(?=[^/@]*\/)/, '$1***@');
  if (shown.length > 300) shown = `${shown.slice(0, 300)}…`;
  return JSON.stringify(shown);
}
