/**
 * diff: compare an artifact (a/) with a local tree (after the same ignores as push) or with a second
 * artifact (b/), file by file — sha256 of each file's content and the owner-exec bit, the two things the
 * Flux tar keeps (SPEC §3, §4) — and, with `kubernetes`, object by object. Works on any tar(+gzip) layer,
 * whoever pushed it; nothing is written to disk. Each artifact is resolved once and its layer fetched by
 * digest and verified as it streams, both at once; the same layer digest on both sides is "same" unread.
 */
import { emitter, type OnEvent } from '../core/events.js';
import { usageError } from '../core/errors.js';
import type { ReadCaps, RegistryOptions, RunOptions } from '../core/options.js';
import { DEFAULTS } from '../core/defaults.js';
import { listEntries } from '../artifact/tar/pack.js';
import { checkLayerSize, readTarEntries } from '../artifact/tar/unpack.js';
import { checkSources, packOptionsFor, readsStdin } from '../artifact/tar/tree.js';
import { hashEntry, localEntry } from '../artifact/diff/local.js';
import { compareTrees, isYamlPath, keepBudget, pair, TreeSide, type DiffChange, type KeepBudget, type SideEntry } from '../artifact/diff/tree.js';
import type { ObjectChange } from '../artifact/diff/kubernetes.js';
import { parseTargetRef, referenceIn, type TargetRef } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import type { Target } from '../content/target.js';
import { chooseLayer, resolveImage } from '../content/image.js';
import { mapLimit } from '../content/pool.js';
import type { Descriptor } from '../oci/descriptor.js';

export { compareTrees, type DiffChange, type DiffStatus, type SideEntry } from '../artifact/diff/tree.js';
export type { ObjectChange, ObjectStatus } from '../artifact/diff/kubernetes.js';

export interface DiffOptions extends RunOptions, RegistryOptions, Omit<ReadCaps, 'maxTags'> {
  /** The artifact (a/): `oci://host/repo[:tag|@digest]`, or `<dir>[:tag|@digest]` with `ociLayout` or `fromOciLayout`. */
  reference: string;
  /** A second artifact (b/) to compare with, instead of `path`; `<dir>[:tag|@digest]` with `ociLayout` or `toOciLayout`. */
  to?: string;
  /** Local directory (or file) to compare (b/); several (`<src>[=<target>]`) as push packs them. */
  path?: string | string[];
  /** `reference` is an OCI image-layout directory (`ociLayout` makes both sides layouts). */
  fromOciLayout?: boolean;
  /** `to` is an OCI image-layout directory. */
  toOciLayout?: boolean;
  ignorePaths?: string[];
  addIgnorePaths?: string[];
  resolveSymlinks?: boolean;
  /** For an index: `os/arch[/variant]`. */
  platform?: string;
  /** `--unified`: a unified diff (`patch`) for every added, removed or changed text file (and object). */
  unified?: boolean;
  /** Group the changes of YAML files by Kubernetes object (`objects` in the result). */
  kubernetes?: boolean;
}

/** One artifact as compared: its manifest digest and the layer read. */
export interface DiffArtifact {
  digest: string;
  layer: Descriptor;
}

export interface DiffResult extends DiffArtifact {
  /** The second artifact, when `to` was given. */
  to?: DiffArtifact;
  differ: boolean;
  /** Sorted by path (byte order). */
  changes: DiffChange[];
  /** With `kubernetes`: the objects of the changed YAML files, added, removed, changed or moved; sorted by id. */
  objects?: ObjectChange[];
}

/** Compare an artifact with a local tree or a second artifact; throws on any trouble (the CLI makes that exit 2). */
export async function diff(opts: DiffOptions): Promise<DiffResult> {
  const emit = emitter(opts.onEvent);
  const [a, b] = await parseSides(opts);
  const conn = connect(opts, opts);
  try {
    const run = { ...opts, signal: conn.signal };
    emit({ type: 'step', message: `comparing ${a.display} with ${b === undefined ? [opts.path].flat().join(', ') : b.display}` });
    const budget = keepBudget();
    const sides = b === undefined ? await withLocal(conn.open(a), a, run, budget, emit) : await twoArtifacts(conn.open(a), conn.open(b), a, b, run, budget, emit);
    if ('same' in sides) return sides.same;
    const changes = compareTrees(sides.b, sides.a);
    const result: DiffResult = { ...sides.artifact, ...(sides.to ? { to: sides.to } : {}), differ: changes.length > 0, changes };
    const warn = (message: string): void => emit({ type: 'warning', message });
    // yaml and jsdiff are loaded only when asked for: a plain diff does not pay for them.
    if (opts.kubernetes) result.objects = await (await import('../artifact/diff/objects.js')).objectChanges(changes, sides.a, sides.b, { unified: opts.unified ?? false, warn });
    if (opts.unified) await (await import('../artifact/diff/patch.js')).addPatches(changes, sides.b, sides.a);
    return result;
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}

/** Both references parsed (and the local path checked) before any network call: SPEC §2. */
async function parseSides(opts: DiffOptions): Promise<[TargetRef, TargetRef | undefined]> {
  const hasPath = opts.path !== undefined && opts.path.length > 0;
  if (opts.to !== undefined && hasPath) throw usageError('give either `path` (a local tree) or a second reference, not both', { option: 'path' });
  if (opts.to === undefined && !hasPath) throw usageError('`path` is required: the local directory to compare (or give a second reference)', { option: 'path' });
  const a = parseTargetRef(opts.reference, (opts.ociLayout ?? false) || (opts.fromOciLayout ?? false));
  if (opts.to !== undefined) return [a, parseTargetRef(opts.to, (opts.ociLayout ?? false) || (opts.toOciLayout ?? false))];
  const path = opts.path ?? '';
  if (readsStdin(path)) throw usageError('diff cannot compare stdin (`path` -); save it to a file first', { option: 'path' });
  await checkSources(path);
  return [a, undefined];
}

interface Sides {
  a: ReadonlyMap<string, SideEntry>;
  b: ReadonlyMap<string, SideEntry>;
  artifact: DiffArtifact;
  to?: DiffArtifact;
}

/** The artifact and the local tree, read at the same time (paired: a local file with the artifact's hash frees its body). */
async function withLocal(target: Promise<Target>, ref: TargetRef, opts: DiffOptions, budget: KeepBudget, emit: OnEvent): Promise<Sides> {
  const [local, remote] = [new TreeSide(budget), new TreeSide(budget)];
  pair(local, remote);
  const [, artifact] = await Promise.all([
    localSide(local, opts, emit),
    target.then(async (t) => {
      const r = await resolveSide(t, ref, opts);
      await readSide(t, r.layer, remote, opts, emit);
      return r;
    }),
  ]);
  return { a: remote.entries, b: local.entries, artifact };
}

/** Two artifacts: both resolved, then (unless their layers are the same blob) both layers read at once. */
async function twoArtifacts(
  ta: Promise<Target>, tb: Promise<Target>, a: TargetRef, b: TargetRef, opts: DiffOptions, budget: KeepBudget, emit: OnEvent,
): Promise<Sides | { same: DiffResult }> {
  const [targetA, targetB] = await Promise.all([ta, tb]);
  const [ra, rb] = await Promise.all([resolveSide(targetA, a, opts), resolveSide(targetB, b, opts)]);
  if (ra.layer.digest === rb.layer.digest) {
    emit({ type: 'info', message: `both artifacts have the same layer ${ra.layer.digest}: nothing to download` });
    return { same: { ...ra, to: rb, differ: false, changes: [], ...(opts.kubernetes ? { objects: [] } : {}) } };
  }
  const [sa, sb] = [new TreeSide(budget), new TreeSide(budget)];
  pair(sa, sb);
  await Promise.all([readSide(targetA, ra.layer, sa, opts, emit), readSide(targetB, rb.layer, sb, opts, emit)]);
  return { a: sa.entries, b: sb.entries, artifact: ra, to: rb };
}

/** The local tree exactly as push would pack it into `side`, each file hashed (a few at a time). */
async function localSide(side: TreeSide, opts: DiffOptions, emit: OnEvent): Promise<void> {
  const entries = await listEntries(packOptionsFor({ ...opts, path: opts.path ?? '' }, emit));
  await mapLimit(entries, DEFAULTS.concurrency, async (e) => side.put(e.path, localEntry(e, await hashEntry(e, opts.signal))), opts.signal);
}

/** Reference → manifest digest and the layer to compare; the layer's size checked against the cap before any download. */
async function resolveSide(target: Target, ref: TargetRef, opts: DiffOptions): Promise<DiffArtifact> {
  const { digest, manifest } = await resolveImage(target, referenceIn(ref), opts.platform);
  const layer = chooseLayer(manifest, {});
  checkLayerSize(layer.size, opts.maxLayerBytes);
  return { digest, layer };
}

/** One artifact's layer entries into `side`, read from the verified stream with the hostile-archive rules of pull. */
async function readSide(target: Target, layer: Descriptor, side: TreeSide, opts: DiffOptions, emit: OnEvent): Promise<void> {
  emit({ type: 'blob:start', action: 'download', digest: layer.digest, total: layer.size });
  const caps: Parameters<typeof readTarEntries>[2] = {};
  if (opts.maxLayerBytes !== undefined) caps.maxLayerBytes = opts.maxLayerBytes;
  if (opts.maxEntries !== undefined) caps.maxEntries = opts.maxEntries;
  if (opts.maxPathBytes !== undefined) caps.maxPathBytes = opts.maxPathBytes;
  if (opts.maxDepth !== undefined) caps.maxDepth = opts.maxDepth;
  if (opts.signal) caps.signal = opts.signal;
  await readTarEntries(await target.fetchBlob(layer), (e) => side.add(e), caps, keepRule(opts));
  emit({ type: 'blob:done', action: 'download', digest: layer.digest, size: layer.size });
  if (side.skipped.length > 0) {
    const shown = side.skipped.slice(0, 5).join(', ') + (side.skipped.length > 5 ? `, and ${side.skipped.length - 5} more` : '');
    emit({ type: 'warning', message: `not compared (links or special files in the artifact, which pull never creates): ${shown}` });
  }
}

/** Which bodies a layer read keeps: text for `unified` up to the display cap, YAML for `kubernetes` up to its cap. */
function keepRule(opts: DiffOptions): (path: string, size: number) => boolean {
  const unified = opts.unified ?? false;
  const kubernetes = opts.kubernetes ?? false;
  return (path, size) => (unified && size <= DEFAULTS.caps.diffTextBytes) || (kubernetes && size <= DEFAULTS.caps.diffYamlBytes && isYamlPath(path));
}
