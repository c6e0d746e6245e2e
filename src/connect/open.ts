/** Turns a user's reference (registry or --oci-layout) into a Target, parsing before any I/O. */
import { resolve as resolvePath } from 'node:path';
import {
  isTag, LAYOUT_REF_NAME_MARK, parseLayoutReference, parseReference, parseRepository, referenceOf, type Reference,
} from '../oci/reference.js';
import type { CommonOptions } from '../core/options.js';
import { RegistrySession } from './session.js';
import { LAYOUT_DEFAULT_REFERENCE, OciLayoutStore } from '../content/layout.js';
import type { Target } from '../content/target.js';
import { usageError } from '../core/errors.js';

/** A parsed reference to a registry repository or a layout directory; no I/O yet. */
export type TargetRef =
  | { kind: 'remote'; ref: Reference; tag?: string; digest?: string; display: string }
  | { kind: 'layout'; dir: string; tag?: string; digest?: string; display: string };

/** Parse `input` as SPEC §2 says; `--oci-layout` makes it `<dir>[:tag|@digest]`. */
export function parseTargetRef(input: string, ociLayout = false): TargetRef {
  if (ociLayout) {
    const l = parseLayoutReference(input);
    const display = l.dir + (l.tag ? layoutTagSuffix(l.tag) : '') + (l.digest ? `@${l.digest}` : '');
    const out: TargetRef = { kind: 'layout', dir: resolvePath(l.dir), display };
    if (l.tag !== undefined) out.tag = l.tag;
    if (l.digest !== undefined) out.digest = l.digest;
    return out;
  }
  const ref = parseReference(input);
  const out: TargetRef = { kind: 'remote', ref, display: displayOf(ref) };
  if (ref.tag !== undefined) out.tag = ref.tag;
  if (ref.digest !== undefined) out.digest = ref.digest;
  return out;
}

/** `:tag`, or `@tag=<ref.name>` for a name that is no plain tag (podman's `localhost/app:latest`). */
export function layoutTagSuffix(tag: string): string {
  return isTag(tag) ? `:${tag}` : `${LAYOUT_REF_NAME_MARK}${tag}`;
}

function displayOf(ref: Reference): string {
  return `${ref.registry}/${ref.repository}` + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** The repository part, without tag or digest: `ghcr.io/org/app` or the layout directory. */
export function repositoryOf(t: TargetRef): string {
  return t.kind === 'remote' ? `${t.ref.registry}/${t.ref.repository}` : t.dir;
}

/** What to resolve: the digest when given, else the tag, else `latest` (a layout: else its only image). */
export function referenceIn(t: TargetRef): string {
  if (t.kind === 'remote') return referenceOf(t.ref);
  return t.digest ?? t.tag ?? LAYOUT_DEFAULT_REFERENCE;
}

/** The tag a push should write (defaults to `latest`); a digest-only reference cannot be pushed to. */
export function pushTag(t: TargetRef): string {
  if (t.digest !== undefined && t.tag === undefined) throw usageError(`cannot push to a digest reference "${t.display}"; give a tag`);
  return t.tag ?? 'latest';
}

export interface OpenedTarget {
  target: Target;
  close(): Promise<void>;
}

/** Open the store behind a parsed reference; `create` makes a missing layout directory. */
export async function openTarget(
  t: TargetRef,
  opts: CommonOptions & { push?: boolean; create?: boolean },
  session?: RegistrySession,
): Promise<OpenedTarget> {
  if (t.kind === 'layout') {
    const lo: Parameters<typeof OciLayoutStore.open>[1] = { create: opts.create ?? false };
    if (opts.maxManifestBytes !== undefined) lo.maxManifestBytes = opts.maxManifestBytes;
    const target = await OciLayoutStore.open(t.dir, lo);
    return { target, close: async () => {} };
  }
  const own = session === undefined;
  const s = session ?? new RegistrySession(sessionOptions(opts));
  const remote = s.repository(t.ref, { push: opts.push ?? false });
  return { target: remote, close: async () => { if (own) await s.close(); } };
}

/** The registry-session options a use-case's common options imply. */
export function sessionOptions(opts: CommonOptions): ConstructorParameters<typeof RegistrySession>[0] {
  const o: ConstructorParameters<typeof RegistrySession>[0] = {};
  if (opts.creds !== undefined) o.creds = opts.creds;
  if (opts.credsFor !== undefined) o.hostCreds = Object.entries(opts.credsFor).map(([registry, creds]) => ({ registry, creds, flag: 'credsFor' }));
  if (opts.provider !== undefined) o.provider = opts.provider;
  if (opts.insecureRegistry !== undefined) o.insecureRegistry = opts.insecureRegistry;
  if (opts.caFile !== undefined) o.caFile = opts.caFile;
  if (opts.loadedExtraCaCerts !== undefined) o.loadedExtraCaCerts = opts.loadedExtraCaCerts;
  if (opts.env !== undefined) o.env = opts.env;
  if (opts.homeDir !== undefined) o.homeDir = opts.homeDir;
  if (opts.onEvent !== undefined) o.onEvent = opts.onEvent;
  if (opts.signal !== undefined) o.signal = opts.signal;
  if (opts.timeoutMs !== undefined) o.timeoutMs = opts.timeoutMs;
  if (opts.maxManifestBytes !== undefined) o.maxManifestBytes = opts.maxManifestBytes;
  if (opts.maxTags !== undefined) o.maxTags = opts.maxTags;
  if (opts.idleTimeoutMs !== undefined) o.idleTimeoutMs = opts.idleTimeoutMs;
  return o;
}

/** A repository reference (no tag, no digest) for `list` and `pull --semver`; usage error otherwise. */
export function parseRepositoryTarget(input: string, ociLayout = false): TargetRef {
  if (!ociLayout) {
    const ref = parseRepository(input);
    return { kind: 'remote', ref, display: `${ref.registry}/${ref.repository}` };
  }
  const l = parseLayoutReference(input);
  if (l.tag !== undefined || l.digest !== undefined) {
    throw usageError(`invalid layout repository "${input}": expected a directory without tag or digest`);
  }
  return { kind: 'layout', dir: resolvePath(l.dir), display: l.dir };
}

/** The same repository reference with `tag` set (and no digest), for an ordinary resolve by tag. */
export function withTag(t: TargetRef, tag: string): TargetRef {
  if (t.kind === 'layout') return { kind: 'layout', dir: t.dir, tag, display: `${t.display}${layoutTagSuffix(tag)}` };
  const ref = { registry: t.ref.registry, host: t.ref.host, repository: t.ref.repository, tag };
  return { kind: 'remote', ref, tag, display: `${ref.registry}/${ref.repository}:${tag}` };
}

/** The repository as cosign names it in `docker-reference` (go-containerregistry: Docker Hub is index.docker.io). */
export function dockerReferenceOf(t: TargetRef): string {
  if (t.kind === 'layout') return t.dir;
  const registry = t.ref.registry === 'docker.io' ? 'index.docker.io' : t.ref.registry;
  return `${registry}/${t.ref.repository}`;
}
