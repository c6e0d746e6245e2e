/**
 * mirror: flux-mirror's job without a cluster. A YAML list of `{source, destination, semver?, tags?,
 * regex?, includeReferrers?}` (src/oci/mirrorfile.ts; a side written as a path is a layout directory),
 * parsed whole before any transfer; then, several repositories at once, each chosen tag of `source`
 * whose digest `destination` does not hold under that tag is copied (content/transfer.ts: the graph first, the tag last, so what was copied stays copied and
 * a rerun does only the rest). A tag already there is skipped without touching its blobs; a failed tag
 * or entry does not stop the others and is reported in the result.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { DEFAULTS } from '../core/defaults.js';
import { emitter, type OnEvent } from '../core/events.js';
import { OcipackError, usageError } from '../core/errors.js';
import { errCode } from '../core/errno.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import type { Descriptor } from '../oci/descriptor.js';
import { parseMirrorFile, type MirrorEntry, type MirrorSide } from '../oci/mirrorfile.js';
import { isTag } from '../oci/reference.js';
import { filterTags, sortTags } from '../oci/semver.js';
import type { TargetRef } from '../connect/open.js';
import { connect, type Connection } from '../connect/connect.js';
import { mapLimit } from '../content/pool.js';
import { isNotFound, tryResolve } from '../content/read.js';
import type { Target } from '../content/target.js';
import { emptyTarget, mountFrom, transferArtifact, type TransferOptions } from '../content/transfer.js';

export interface MirrorOptions extends RunOptions, RegistryOptions, TargetCaps {
  /** The mirror file (relative to `cwd`); with `text`, only its name in messages. */
  file: string;
  /** The file's text, instead of reading `file`. */
  text?: string;
  /** Read both sides and compare; write nothing; the records say what would be copied. */
  dryRun?: boolean;
  /** Repositories mirrored at once (default DEFAULTS.mirrorRepositories). */
  repositories?: number;
  /** Parallel blob transfers within one repository (default DEFAULTS.concurrency). */
  concurrency?: number;
}

/** `would-copy` only in a dry run. */
export type MirrorStatus = 'copied' | 'skipped' | 'failed' | 'would-copy';

/** One tag of one entry (an entry that failed before its tags were known has one record, tag ''). */
export interface MirrorRecord {
  source: string;
  destination: string;
  tag: string;
  /** The source's digest ('' when it could not be read). */
  digest: string;
  status: MirrorStatus;
  /** Bytes written (or, in a dry run, that would be). */
  bytes: number;
  /** Referrer manifests copied along (`includeReferrers`). */
  referrers: number;
  /** Why it failed. */
  error?: string;
}

export interface MirrorResult {
  /** One per tag, entry by entry in file order. */
  records: MirrorRecord[];
  /** Records that failed. */
  failed: number;
  dryRun?: boolean;
}

/** Parse the mirror file (usage errors before any I/O), then mirror every entry. */
export async function mirror(opts: MirrorOptions): Promise<MirrorResult> {
  const entries = parseMirrorFile(opts.text ?? (await readMirrorFile(opts)), opts.file);
  const parallel = positive(opts.repositories ?? DEFAULTS.mirrorRepositories, 'repositories');
  if (opts.concurrency !== undefined) positive(opts.concurrency, 'concurrency');
  const conn = connect(opts, opts);
  try {
    const run: Run = { conn, opts, emit: emitter(opts.onEvent), base: dirname(resolvePath(opts.cwd ?? '', opts.file)) };
    const perEntry = await mapLimit(entries, parallel, (e) => mirrorEntry(run, e));
    const records = perEntry.flat();
    const out: MirrorResult = { records, failed: records.filter((r) => r.status === 'failed').length };
    if (opts.dryRun) out.dryRun = true;
    return out;
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}

interface Run {
  conn: Connection;
  opts: MirrorOptions;
  emit: OnEvent;
  /** The mirror file's directory: layout paths are relative to it. */
  base: string;
}

async function readMirrorFile(opts: MirrorOptions): Promise<string> {
  try {
    return await readFile(resolvePath(opts.cwd ?? '', opts.file), 'utf8');
  } catch (err) {
    throw usageError(`mirror file ${opts.file}: ${errCode(err) === 'ENOENT' ? 'no such file' : 'cannot be read'}`, { path: opts.file });
  }
}

function positive(n: number, option: string): number {
  if (!Number.isInteger(n) || n < 1) throw usageError(`\`${option}\` must be a positive integer`, { option });
  return n;
}

/**
 * One entry: every tag compared first (source and destination digests, `concurrency` lookups at once), then
 * the differing ones copied one after another; a failure is a record, an interrupt stops the run.
 */
async function mirrorEntry(run: Run, entry: MirrorEntry): Promise<MirrorRecord[]> {
  const names = { source: display(entry.source), destination: display(entry.destination) };
  try {
    const src = await run.conn.open(targetOf(entry.source, run.base));
    const dst = await openDestination(run, targetOf(entry.destination, run.base));
    // a layout's ref names may be full references (podman's): only plain tags are mirrored
    const tags = entry.tags ?? sortTags(filterTags((await src.listTags()).filter(isTag), filtersOf(entry)));
    const present = new Set(await dst.listTags().catch((err: unknown) => (isNotFound(err) ? [] : Promise.reject(err))));
    run.emit({ type: 'step', message: `mirroring ${names.source} to ${names.destination} (${tags.length} tag(s))` });
    const from = sameRegistry(entry);
    const mount = from === undefined ? undefined : mountFrom(dst, from, (message) => run.emit({ type: 'debug', message }));
    const job: EntryJob = { entry, src, dst, present, ...(mount ? { mount } : {}) };
    const records = tags.map((tag): MirrorRecord => ({ ...names, tag, digest: '', status: 'failed', bytes: 0, referrers: 0 }));
    const compared = await mapLimit(records, run.opts.concurrency ?? DEFAULTS.concurrency, (record) => compareTag(job, record).catch((err: unknown) => failed(run, record, err)));
    for (const c of compared) if (c) await copyTag(run, job, c).catch((err: unknown) => failed(run, c.record, err));
    return records;
  } catch (err) {
    // the entry could not begin (its repositories could not be opened or listed): one record says why
    const record: MirrorRecord = { ...names, tag: '', digest: '', status: 'failed', bytes: 0, referrers: 0 };
    failed(run, record, err);
    return [record];
  }
}

interface EntryJob {
  entry: MirrorEntry;
  src: Target;
  dst: Target;
  /** Tags the destination listed before this entry began. */
  present: Set<string>;
  mount?: (d: Descriptor) => Promise<boolean>;
}

interface Compared {
  record: MirrorRecord;
  root: Descriptor;
  /** The destination's tag already names the source's digest. */
  same: boolean;
}

/** The source's digest for the tag, and whether the destination's tag names it already. */
async function compareTag(job: EntryJob, record: MirrorRecord): Promise<Compared> {
  const root = await job.src.resolve(record.tag);
  record.digest = root.digest;
  const now = job.present.has(record.tag) ? await tryResolve(job.dst, record.tag) : undefined;
  return { record, root, same: now?.digest === root.digest };
}

/** One tag: skipped when the destination already holds it (its referrers still brought along), else copied, tag last. */
async function copyTag(run: Run, job: EntryJob, { record, root, same }: Compared): Promise<void> {
  if (same && !job.entry.includeReferrers) {
    record.status = 'skipped';
    return run.emit({ type: 'info', message: `${record.destination}:${record.tag} already holds ${root.digest}; skipped` });
  }
  const t: TransferOptions = { tag: record.tag, keepPresent: true, signal: run.conn.signal };
  if (job.entry.includeReferrers) t.includeReferrers = true;
  if (run.opts.concurrency !== undefined) t.concurrency = run.opts.concurrency;
  if (run.opts.onEvent) t.onEvent = run.opts.onEvent;
  if (run.opts.dryRun) t.dryRun = true;
  if (job.mount) t.mount = job.mount;
  const r = await transferArtifact(job.src, job.dst, root, t);
  record.bytes = r.bytes;
  record.referrers = r.referrers;
  record.status = same ? 'skipped' : run.opts.dryRun ? 'would-copy' : 'copied';
  if (!same) run.emit({ type: 'info', message: `${run.opts.dryRun ? 'would copy' : 'copied'} ${record.source}:${record.tag} to ${record.destination} (${root.digest})` });
}

/** Marks `record` failed with the error's message; an interrupt or the deadline stops the whole run instead. */
function failed(run: Run, record: MirrorRecord, err: unknown): undefined {
  if (run.conn.signal.aborted || (err instanceof OcipackError && err.code === 'CANCELLED')) throw err;
  record.status = 'failed';
  record.error = err instanceof Error ? err.message : String(err);
  const what = record.tag === '' ? record.source : `${record.source}:${record.tag}`;
  run.emit({ type: 'warning', message: `${what} → ${record.destination}: ${record.error}` });
  return undefined;
}

function filtersOf(entry: MirrorEntry): Parameters<typeof filterTags>[1] {
  const f: Parameters<typeof filterTags>[1] = {};
  if (entry.semver) f.semver = entry.semver;
  if (entry.regex) f.regex = entry.regex;
  return f;
}

/** A layout's path is relative to the mirror file's directory. */
function targetOf(side: MirrorSide, base: string): TargetRef {
  if (side.kind === 'layout') return { kind: 'layout', dir: resolvePath(base, side.path), display: side.path };
  return { kind: 'remote', ref: side.ref, display: display(side) };
}

function display(side: MirrorSide): string {
  return side.kind === 'layout' ? side.path : `${side.ref.registry}/${side.ref.repository}`;
}

/** The destination, opened for writing (a layout made when missing); a dry run into a layout not made yet sees an empty one. */
async function openDestination(run: Run, t: TargetRef): Promise<Target> {
  const dry = run.opts.dryRun === true;
  return run.conn.open(t, { push: !dry, create: !dry }).catch((err: unknown) => {
    if (dry && t.kind === 'layout' && isNotFound(err)) return emptyTarget(t.display);
    throw err;
  });
}

/** The source repository to mount blobs from: two repositories of one registry; else undefined. */
function sameRegistry(entry: MirrorEntry): string | undefined {
  const [s, d] = [entry.source, entry.destination];
  if (s.kind !== 'remote' || d.kind !== 'remote') return undefined;
  return s.ref.host === d.ref.host && s.ref.repository !== d.ref.repository ? s.ref.repository : undefined;
}
