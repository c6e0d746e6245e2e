/**
 * list: the tags of a repository with digest, source, revision and creation time (SPEC §3; flux list
 * artifacts). Tags come from the tags endpoint with `Link` pagination; the per-tag manifest fetches
 * run with bounded concurrency.
 */
import { resolve as resolvePath } from 'node:path';
import { DEFAULTS } from '../core/defaults.js';
import { emitter, type OnEvent } from '../core/events.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { CommonOptions } from '../core/options.js';
import { parseLayoutReference, parseRepository } from '../oci/reference.js';
import { ANNOTATIONS } from '../oci/mediatypes.js';
import {
  filterTags, parseSemverFilter, parseTagRegex, sortTags, type SemverFilter, type TagFilterOptions,
} from '../oci/semver.js';
import { mapLimit } from '../content/pool.js';
import { openTarget, parseRepositoryTarget, repositoryOf, sessionOptions, type OpenedTarget, type TargetRef } from '../connect/open.js';
import { RegistrySession } from '../connect/session.js';
import type { Target } from '../content/target.js';
import { fetchManifestIfExists } from '../content/read.js';

export interface ListOptions extends CommonOptions {
  /** A repository without tag or digest: `oci://host/repo`, or a layout directory with `ociLayout`. */
  reference: string;
  /** node-semver range; prereleases only when the range names one. */
  filterSemver?: string;
  /** JavaScript regular expression, unanchored; a leading `(?i)` is accepted. */
  filterRegex?: string;
  /** Parallel manifest fetches; default DEFAULTS.concurrency. */
  concurrency?: number;
  /** Tags per page (`n=`) when listing a registry; mainly for tests of `Link` pagination. */
  tagPageSize?: number;
}

/** One row of `list`; the JSON shape scripts rely on (SPEC §3). */
export interface ListEntry {
  /** `host/repo:tag` (or `<dir>:tag` for a layout). */
  artifact: string;
  tag: string;
  digest: string;
  source: string;
  revision: string;
  created: string;
}

/** The filters of `--filter-semver`/`--filter-regex`, parsed (usage errors before any I/O). */
export function parseFilters(opts: { filterSemver?: string; filterRegex?: string }): TagFilterOptions {
  const f: TagFilterOptions = {};
  if (opts.filterSemver !== undefined) f.semver = parseSemverFilter(opts.filterSemver, '--filter-semver');
  if (opts.filterRegex !== undefined) f.regex = parseTagRegex(opts.filterRegex, '--filter-regex');
  return f;
}

/** List the repository's tags (cosign tags hidden, filtered, newest semver first) with their metadata. */
export async function list(opts: ListOptions): Promise<ListEntry[]> {
  const emit = emitter(opts.onEvent);
  const t = parseRepositoryTarget(opts.reference, opts.ociLayout);
  const filters = parseFilters(opts);
  const concurrency = opts.concurrency ?? DEFAULTS.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw usageError('concurrency must be a positive integer');
  const opened = await openForList(t, opts);
  try {
    emit({ type: 'step', message: `listing artifacts in ${t.display}` });
    const tags = sortTags(filterTags(await opened.target.listTags(), filters));
    const repository = repositoryOf(t);
    const rows = await mapLimit(tags, concurrency, (tag) => describeTag(opened.target, repository, tag, emit), opts.signal);
    return rows.filter((r): r is ListEntry => r !== undefined);
  } finally {
    await opened.close();
  }
}

/** openTarget, or for a registry with a page size of its own, a session asked for that page size. */
async function openForList(t: TargetRef, opts: ListOptions): Promise<OpenedTarget> {
  if (t.kind === 'layout' || opts.tagPageSize === undefined) return openTarget(t, opts);
  const session = new RegistrySession(sessionOptions(opts));
  const remote = session.repository(t.ref, { tagPageSize: opts.tagPageSize });
  return { target: remote, close: () => session.close() };
}

/** One tag's row; a tag deleted between listing and fetching is skipped with a warning. */
async function describeTag(target: Target, repository: string, tag: string, emit: OnEvent): Promise<ListEntry | undefined> {
  const fetched = await fetchManifestIfExists(target, tag);
  if (!fetched) {
    emit({ type: 'warning', message: `tag ${tag} disappeared while listing; skipped` });
    return undefined;
  }
  const a = annotationsOf(fetched.bytes);
  return {
    artifact: `${repository}:${tag}`,
    tag,
    digest: fetched.descriptor.digest,
    source: a[ANNOTATIONS.source] ?? '',
    revision: a[ANNOTATIONS.revision] ?? '',
    created: a[ANNOTATIONS.created] ?? '',
  };
}

/** Manifest annotations (string values only); anything unparsable has none. */
function annotationsOf(bytes: Buffer): Record<string, string> {
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { annotations?: unknown };
    const out: Record<string, string> = {};
    if (typeof doc.annotations === 'object' && doc.annotations !== null) {
      for (const [k, v] of Object.entries(doc.annotations)) if (typeof v === 'string') out[k] = v;
    }
    return out;
  } catch {
    return {};
  }
}
