/** Turns a user's reference (registry or --oci-layout) into a Target, parsing before any I/O. */
import { resolve as resolvePath } from 'node:path';
import { parseLayoutReference, parseReference, referenceOf, type Reference } from '../oci/reference.js';
import type { CommonOptions } from '../core/options.js';
import { RegistrySession } from './session.js';
import type { RemoteRepository } from '../registry/remote.js';
import { OciLayoutStore } from '../content/layout.js';
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
    const display = l.dir + (l.tag ? `:${l.tag}` : '') + (l.digest ? `@${l.digest}` : '');
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

function displayOf(ref: Reference): string {
  return `${ref.registry}/${ref.repository}` + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** The repository part, without tag or digest: `ghcr.io/org/app` or the layout directory. */
export function repositoryOf(t: TargetRef): string {
  return t.kind === 'remote' ? `${t.ref.registry}/${t.ref.repository}` : t.dir;
}

/** What to resolve: the digest when given, else the tag, else `latest`. */
export function referenceIn(t: TargetRef): string {
  if (t.kind === 'remote') return referenceOf(t.ref);
  return t.digest ?? t.tag ?? 'latest';
}

/** The tag a push should write (defaults to `latest`); a digest-only reference cannot be pushed to. */
export function pushTag(t: TargetRef): string {
  if (t.digest !== undefined && t.tag === undefined) throw usageError(`cannot push to a digest reference "${t.display}"; give a tag`);
  return t.tag ?? 'latest';
}

export interface OpenedTarget {
  target: Target;
  /** Present for registry references: the remote repository with its extra operations. */
  remote?: RemoteRepository;
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
  return { target: remote, remote, close: async () => { if (own) await s.close(); } };
}

/** The registry-session options a use-case's common options imply. */
export function sessionOptions(opts: CommonOptions): ConstructorParameters<typeof RegistrySession>[0] {
  const o: ConstructorParameters<typeof RegistrySession>[0] = {};
  if (opts.creds !== undefined) o.creds = opts.creds;
  if (opts.insecureRegistry !== undefined) o.insecureRegistry = opts.insecureRegistry;
  if (opts.caFile !== undefined) o.caFile = opts.caFile;
  if (opts.env !== undefined) o.env = opts.env;
  if (opts.homeDir !== undefined) o.homeDir = opts.homeDir;
  if (opts.onEvent !== undefined) o.onEvent = opts.onEvent;
  if (opts.signal !== undefined) o.signal = opts.signal;
  if (opts.timeoutMs !== undefined) o.timeoutMs = opts.timeoutMs;
  if (opts.maxManifestBytes !== undefined) o.maxManifestBytes = opts.maxManifestBytes;
  if (opts.idleTimeoutMs !== undefined) o.idleTimeoutMs = opts.idleTimeoutMs;
  return o;
}
