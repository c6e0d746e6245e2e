/**
 * list: the tags of a repository with digest, source, revision and creation time (SPEC §3; flux list
 * artifacts). Tags come from the tags endpoint a `Link` page at a time, filtered as each page arrives (only
 * the matching tags are held); the per-tag manifest fetches run with bounded concurrency.
 */
import { DEFAULTS } from '../core/defaults.js';
import { emitter, type OnEvent } from '../core/events.js';
import { usageError } from '../core/errors.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import { ANNOTATIONS } from '../oci/mediatypes.js';
import {
  filterTags, parseSemverFilter, parseTagRegex, sortTags, type TagFilterOptions,
} from '../oci/semver.js';
import { mapLimit } from '../content/pool.js';
import { layoutTagSuffix, parseRepositoryTarget, repositoryOf, type TargetRef } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import { isEntryLister, type EntryLister, type FetchedManifest, type Target } from '../content/target.js';
import { fetchManifestIfExists, readBlob } from '../content/read.js';
import { tagPagesOf } from '../content/tagscan.js';
import { isIndex, type Descriptor, type Manifest } from '../oci/descriptor.js';
import { chartInfo } from '../artifact/helm/info.js';

export interface ListOptions extends RunOptions, RegistryOptions, TargetCaps {
  /** A repository without tag or digest: `oci://host/repo`, or a layout directory with `ociLayout`. */
  reference: string;
  /** node-semver range; prereleases only when the range names one. */
  filterSemver?: string;
  /** JavaScript regular expression, unanchored; a leading `(?i)` is accepted. */
  filterRegex?: string;
  /** Parallel manifest fetches; default DEFAULTS.concurrency. */
  concurrency?: number;
  /** Also list cosign (`.sig/.att/.sbom`) and referrers-schema (`sha256-<hex>`) tags, and a layout's untagged referrers. */
  allTags?: boolean;
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
  /** Bytes of the config and layers (an image manifest); absent for an index. */
  size?: number;
  /** For a Helm chart in a layout: its name and version (what `helm chart list` showed for its cache). */
  chart?: { name: string; version: string };
}

/** The filters of `--filter-semver`/`--filter-regex`, parsed (usage errors before any I/O). */
export function parseFilters(opts: { filterSemver?: string; filterRegex?: string; allTags?: boolean }): TagFilterOptions {
  const f: TagFilterOptions = {};
  if (opts.filterSemver !== undefined) f.semver = parseSemverFilter(opts.filterSemver, '`filterSemver`');
  if (opts.filterRegex !== undefined) f.regex = parseTagRegex(opts.filterRegex, '`filterRegex`');
  if (opts.allTags) f.allTags = true;
  return f;
}

/** List the repository's tags (cosign tags hidden, filtered, newest semver first) with their metadata. */
export async function list(opts: ListOptions): Promise<ListEntry[]> {
  const emit = emitter(opts.onEvent);
  const t = parseRepositoryTarget(opts.reference, opts.ociLayout);
  const filters = parseFilters(opts);
  const concurrency = opts.concurrency ?? DEFAULTS.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw usageError('concurrency must be a positive integer');
  const conn = connect(opts, opts);
  try {
    const opened = { target: await conn.open(t) };
    emit({ type: 'step', message: `listing artifacts in ${t.display}` });
    if (isEntryLister(opened.target)) return await listLayout(opened.target, t, filters, concurrency, opts.signal);
    const kept: string[] = [];
    for await (const page of tagPagesOf(opened.target)) for (const tag of filterTags(page, filters)) kept.push(tag);
    const tags = sortTags(kept);
    const repository = repositoryOf(t);
    const rows = await mapLimit(tags, concurrency, (tag) => describeTag(opened.target, repository, tag, emit), conn.signal);
    return rows.filter((r): r is ListEntry => r !== undefined);
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}

/** One tag's row; a tag deleted between listing and fetching is skipped with a warning. */
async function describeTag(target: Target, repository: string, tag: string, emit: OnEvent): Promise<ListEntry | undefined> {
  const fetched = await fetchManifestIfExists(target, tag);
  if (!fetched) {
    emit({ type: 'warning', message: `tag ${tag} disappeared while listing; skipped` });
    return undefined;
  }
  return rowOf(`${repository}:${tag}`, tag, fetched);
}

/**
 * A layout's rows, one per index entry (SPEC §2 `--oci-layout`): tagged entries under their
 * `ref.name` (podman's and Helm's full references included), newest semver first, then untagged
 * images (skopeo `oci:dir` without a tag) by digest; untagged referrers only with `allTags`.
 * Each row carries the size and, for a chart, its name and version.
 */
async function listLayout(store: Target & EntryLister, t: TargetRef, filters: TagFilterOptions, concurrency: number, signal?: AbortSignal): Promise<ListEntry[]> {
  const entries = await store.indexEntries();
  const tagged = new Map<string, Descriptor>();
  for (const e of entries) {
    const name = e.annotations?.[ANNOTATIONS.refName];
    if (name !== undefined && !tagged.has(name)) tagged.set(name, e);
  }
  const names = sortTags(filterTags([...tagged.keys()], filters));
  const taggedDigests = new Set([...tagged.values()].map((e) => e.digest));
  const filtered = filters.semver !== undefined || filters.regex !== undefined;
  const untagged = filtered ? [] : entries.filter((e, i) => e.annotations?.[ANNOTATIONS.refName] === undefined
    && !taggedDigests.has(e.digest) && entries.findIndex((x) => x.digest === e.digest) === i);
  const jobs = [...names.map((n) => ({ tag: n, digest: tagged.get(n)!.digest })), ...untagged.map((e) => ({ tag: '', digest: e.digest }))];
  const rows = await mapLimit(jobs, concurrency, async ({ tag, digest }) => {
    const fetched = await store.fetchManifest(digest);
    const m = manifestOf(fetched.bytes);
    if (tag === '' && !filters.allTags && m?.subject !== undefined) return undefined;
    const row = rowOf(tag === '' ? `${t.display}@${digest}` : `${t.display}${layoutTagSuffix(tag)}`, tag, fetched);
    if (m !== undefined && !isIndex(m)) {
      const info = await chartInfo(m, (d, max) => readBlob(store, d, max)).catch(() => undefined);
      if (info) row.chart = { name: info.name, version: info.version };
    }
    return row;
  }, signal);
  return rows.filter((r): r is ListEntry => r !== undefined);
}

/** The row for one manifest: flux's annotations, and the size of what the manifest references. */
function rowOf(artifact: string, tag: string, fetched: FetchedManifest): ListEntry {
  const m = manifestOf(fetched.bytes);
  const a = annotationsOf(m);
  const row: ListEntry = {
    artifact,
    tag,
    digest: fetched.descriptor.digest,
    source: a[ANNOTATIONS.source] ?? '',
    revision: a[ANNOTATIONS.revision] ?? '',
    created: a[ANNOTATIONS.created] ?? '',
  };
  if (m !== undefined && !isIndex(m) && Array.isArray(m.layers)) {
    row.size = [m.config, ...m.layers].reduce((n, d) => n + (typeof d?.size === 'number' ? d.size : 0), 0);
  }
  return row;
}

function manifestOf(bytes: Buffer): Manifest | undefined {
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as unknown;
    return typeof doc === 'object' && doc !== null ? doc as Manifest : undefined;
  } catch {
    return undefined;
  }
}

/** Manifest annotations (string values only); anything unparsable has none. */
function annotationsOf(m: Manifest | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const annotations = (m as { annotations?: unknown } | undefined)?.annotations;
  if (typeof annotations === 'object' && annotations !== null) {
    for (const [k, v] of Object.entries(annotations)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}
