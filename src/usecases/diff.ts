/**
 * diff: compare a local tree (after the same ignores as push) with a remote artifact file by file —
 * sha256 of each file's content and the owner-exec bit, the two things the Flux tar keeps (SPEC §3,
 * §4). Works on any tar(+gzip) layer, whoever pushed it; nothing is written to disk.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { fsError } from '../core/errno.js';
import { emitter, type OnEvent } from '../core/events.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { ReadCaps, RegistryOptions, RunOptions } from '../core/options.js';
import { listEntries, type WalkEntry } from '../artifact/tar/pack.js';
import { readTarEntries, type TarListEntry } from '../artifact/tar/unpack.js';
import { parseTargetRef, referenceIn } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import type { Target } from '../content/target.js';
import type { Descriptor } from '../oci/descriptor.js';
import { chooseLayer, resolveImage } from '../content/image.js';
import { mapLimit } from '../content/pool.js';
import { DEFAULTS } from '../core/defaults.js';
import { checkSources, packOptionsFor, readsStdin } from '../artifact/tar/tree.js';

export interface DiffOptions extends RunOptions, RegistryOptions, Omit<ReadCaps, 'maxTags'> {
  /** The artifact: `oci://host/repo[:tag|@digest]`, or `<dir>[:tag|@digest]` with `ociLayout`. */
  reference: string;
  /** Local directory (or file) to compare; several (`<src>[=<target>]`) as push packs them. */
  path: string | string[];
  ignorePaths?: string[];
  addIgnorePaths?: string[];
  resolveSymlinks?: boolean;
  /** For an index: `os/arch[/variant]`. */
  platform?: string;
  /** `--unified`: a unified diff (`patch`) for every added, removed or changed text file. */
  unified?: boolean;
}

export type DiffStatus = 'added' | 'removed' | 'changed';

export interface DiffChange {
  /** added: only local; removed: only in the artifact; changed: in both, different. */
  status: DiffStatus;
  path: string;
  /** For `changed`: what differs. */
  reason?: 'content' | 'mode' | 'type';
  /** With `unified`: the unified diff, artifact (`a/`) to local (`b/`), for text files. */
  patch?: string;
  /** With `unified`: why there is no patch (binary content, or a file too big to show). */
  noPatch?: 'binary' | 'too large';
}

export interface DiffResult {
  /** The artifact's manifest digest. */
  digest: string;
  layer: Descriptor;
  differ: boolean;
  /** Sorted by path (byte order). */
  changes: DiffChange[];
}

/** What one side holds at a path: a file (hash + exec bit) or a directory. */
export interface SideEntry {
  type: 'file' | 'dir';
  sha256?: string;
  exec?: boolean;
  /** Local files: where to read the content (for a unified diff). */
  absPath?: string;
  size?: number;
  /** Artifact files: the content, when kept for a unified diff. */
  body?: Buffer;
}

/** Compare a local tree with an artifact's layer; throws on any trouble (the CLI makes that exit 2). */
export async function diff(opts: DiffOptions): Promise<DiffResult> {
  const emit = emitter(opts.onEvent);
  if (!opts.path || opts.path.length === 0) throw usageError('`path` is required: the local directory to compare', { option: 'path' });
  const t = parseTargetRef(opts.reference, opts.ociLayout);
  if (readsStdin(opts.path)) throw usageError('diff cannot compare stdin (`path` -); save it to a file first', { option: 'path' });
  await checkSources(opts.path);
  const conn = connect(opts, opts);
  try {
    const target = await conn.open(t);
    const run = { ...opts, signal: conn.signal };
    emit({ type: 'step', message: `comparing ${[opts.path].flat().join(', ')} with ${t.display}` });
    const [local, remote] = await Promise.all([localSide(run, emit), remoteSide(target, referenceIn(t), run, emit)]);
    const changes = compareTrees(local, remote.entries);
    if (opts.unified) await addPatches(changes, local, remote.entries);
    return { digest: remote.digest, layer: remote.layer, differ: changes.length > 0, changes };
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}

/** Paths that differ between two trees; directories count only where the other side has a file. */
export function compareTrees(local: ReadonlyMap<string, SideEntry>, remote: ReadonlyMap<string, SideEntry>): DiffChange[] {
  const out: DiffChange[] = [];
  const paths = new Set([...local.keys(), ...remote.keys()]);
  for (const path of paths) {
    const l = local.get(path);
    const r = remote.get(path);
    if (l?.type !== 'file' && r?.type !== 'file') continue;
    if (!r) out.push({ status: 'added', path });
    else if (!l) out.push({ status: 'removed', path });
    else if (l.type !== r.type) out.push({ status: 'changed', path, reason: 'type' });
    else if (l.sha256 !== r.sha256) out.push({ status: 'changed', path, reason: 'content' });
    else if (l.exec !== r.exec) out.push({ status: 'changed', path, reason: 'mode' });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The local tree exactly as push would pack it, each file hashed (a few at a time). */
async function localSide(opts: DiffOptions, emit: OnEvent): Promise<Map<string, SideEntry>> {
  const entries = await listEntries(packOptionsFor(opts, emit));
  const hashes = await mapLimit(entries, DEFAULTS.concurrency, (e) => (e.type === 'file' ? hashFile(e, opts.signal) : Promise.resolve('')), opts.signal);
  const out = new Map<string, SideEntry>();
  entries.forEach((e, i) => {
    out.set(e.path, e.type === 'file' ? { type: 'file', sha256: hashes[i] ?? '', exec: (e.mode & 0o100) !== 0, absPath: e.absPath, size: e.size } : { type: 'dir' });
  });
  return out;
}

/** Files up to this size are read whole: a stream per small file costs more than the hashing. */
const READ_WHOLE_BYTES = 1024 * 1024;

async function hashFile(e: WalkEntry, signal: AbortSignal | undefined): Promise<string> {
  const hash = createHash('sha256');
  try {
    if (e.size <= READ_WHOLE_BYTES) hash.update(await readFile(e.absPath, signal ? { signal } : {}));
    else await pipeline(createReadStream(e.absPath), hash, signal ? { signal } : {});
  } catch (err) {
    if (signal?.aborted) throw new OcipackError('CANCELLED', 'diff cancelled', { cause: err });
    throw fsError(`cannot read "${e.path}"`, err);
  }
  return hash.digest('hex');
}

/** The artifact's layer entries, read from the stream with the hostile-archive rules of pull. */
async function remoteSide(target: Target, reference: string, opts: DiffOptions, emit: OnEvent) {
  const { digest, manifest } = await resolveImage(target, reference, opts.platform);
  const layer = chooseLayer(manifest, {});
  emit({ type: 'blob:start', action: 'download', digest: layer.digest, total: layer.size });
  const entries = new Map<string, SideEntry>();
  const skipped: string[] = [];
  const onEntry = (e: TarListEntry): void => {
    if (e.type === 'other') skipped.push(e.path);
    else if (e.type === 'dir') entries.set(e.path, { type: 'dir' });
    else entries.set(e.path, { type: 'file', sha256: e.sha256 ?? '', exec: (e.mode & 0o100) !== 0, size: e.size, ...(e.body ? { body: e.body } : {}) });
  };
  const caps: Parameters<typeof readTarEntries>[2] = {};
  if (opts.maxLayerBytes !== undefined) caps.maxLayerBytes = opts.maxLayerBytes;
  if (opts.maxEntries !== undefined) caps.maxEntries = opts.maxEntries;
  if (opts.maxPathBytes !== undefined) caps.maxPathBytes = opts.maxPathBytes;
  if (opts.maxDepth !== undefined) caps.maxDepth = opts.maxDepth;
  if (opts.signal) caps.signal = opts.signal;
  await readTarEntries(await target.fetchBlob(layer), onEntry, caps, opts.unified ? DEFAULTS.caps.diffTextBytes : 0);
  emit({ type: 'blob:done', action: 'download', digest: layer.digest, size: layer.size });
  if (skipped.length > 0) {
    const shown = skipped.slice(0, 5).join(', ') + (skipped.length > 5 ? `, and ${skipped.length - 5} more` : '');
    emit({ type: 'warning', message: `not compared (links or special files in the artifact, which pull never creates): ${shown}` });
  }
  return { digest, layer, entries };
}

/** Text a unified diff can show: no NUL byte and valid UTF-8 (what git calls a text file, near enough). */
function asText(b: Buffer): string | undefined {
  if (b.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return undefined;
  }
}

/** A patch (or the reason for none) on every added, removed and content-changed file, artifact → local. */
async function addPatches(changes: DiffChange[], local: ReadonlyMap<string, SideEntry>, remote: ReadonlyMap<string, SideEntry>): Promise<void> {
  const { createTwoFilesPatch } = await import('diff');
  const content = async (e: SideEntry | undefined): Promise<Buffer | 'too large' | undefined> => {
    if (e?.type !== 'file') return undefined;
    if ((e.size ?? 0) > DEFAULTS.caps.diffTextBytes) return 'too large';
    if (e.body) return e.body;
    return e.absPath === undefined ? undefined : readFile(e.absPath);
  };
  for (const c of changes) {
    if (c.status === 'changed' && c.reason !== 'content') continue;
    const [before, after] = await Promise.all([content(remote.get(c.path)), content(local.get(c.path))]);
    if (before === 'too large' || after === 'too large') {
      c.noPatch = 'too large';
      continue;
    }
    const a = before === undefined ? '' : asText(before);
    const b = after === undefined ? '' : asText(after);
    if (a === undefined || b === undefined) {
      c.noPatch = 'binary';
      continue;
    }
    const from = before === undefined ? '/dev/null' : `a/${c.path}`;
    const to = after === undefined ? '/dev/null' : `b/${c.path}`;
    c.patch = createTwoFilesPatch(from, to, a, b, undefined, undefined, { context: 3 }).replace(/^=+\n/, '');
  }
}
