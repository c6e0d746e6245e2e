/** Parses a user's reference (registry or --oci-layout) into a TargetRef before any I/O; connect() opens it. */
import { resolve as resolvePath } from 'node:path';
import {
  isTag, LAYOUT_REF_NAME_MARK, parseLayoutReference, parseReference, parseRepository, referenceOf, splitTagList, type Reference,
} from '../oci/reference.js';
import { LAYOUT_DEFAULT_REFERENCE } from '../content/layout.js';
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

/** A target written with a tag list (`oci://r/app:1.4.2,1.4,latest`, `<dir>:a,b` with `--oci-layout`). */
export interface TaggedTarget {
  /** The target with the first tag of the list (or as written, without a list). */
  target: TargetRef;
  /** Every tag as written, in order; one for a plain tag; empty when none was written (a registry's `latest` is not "written"). */
  tags: string[];
}

/**
 * Parse a reference whose tag may be a comma-separated list (oras's convention), before any I/O: the list
 * is checked whole (empty item, duplicate, invalid tag, a digest beside it: usage errors). push, copy and
 * promote write every tag of `tags` to the one manifest (content/multitag.ts).
 */
export function parseTaggedTarget(input: string, ociLayout = false): TaggedTarget {
  const { reference, tags } = splitTagList(input, ociLayout);
  const target = parseTargetRef(reference, ociLayout);
  if (tags.length > 0) return { target, tags };
  const written = target.kind === 'remote' ? parseReference(reference, { defaultTag: false }).tag : target.tag;
  return { target, tags: written === undefined ? [] : [written] };
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
