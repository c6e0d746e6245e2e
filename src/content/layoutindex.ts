/**
 * The files of an OCI image layout besides its blobs (image-spec image-layout.md): the `oci-layout`
 * marker and `index.json`, read capped and rewritten under a lock; and the index entries' bookkeeping.
 * Tags are `org.opencontainers.image.ref.name` annotations on index entries, as skopeo (`oci:dir:tag`)
 * and oras write them.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import { withLockFile } from '../core/lock.js';
import type { Descriptor, ImageIndex } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import { ANNOTATIONS, MT } from '../oci/mediatypes.js';
import { ioError } from '../core/errno.js';
import { writeFileAtomic, writeFileExclusive } from '../core/files.js';
import { readRegular } from '../core/untrusted.js';
import { serialized } from './fsutil.js';

export const LAYOUT_FILE = 'oci-layout';
const INDEX_FILE = 'index.json';
const LAYOUT_VERSION = '1.0.0';
/** Beside index.json while one process rewrites it (core/lock.ts). */
const LOCK_FILE = 'index.json.lock';
/** Names a layout being created by another writer may already hold: such a directory counts as empty. */
export const IN_CREATION = /^(?:blobs|index\.json|oci-layout|index\.json\.lock|\.(?:index\.json|oci-layout)\.\d+\.[0-9a-f]+\.tmp)$/;
/** Same grammar as a registry tag (distribution spec), so a layout tag can also be pushed remotely. */
export const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** The reference a layout resolves when none was given: `latest`, else the index's only image (as skopeo). */
export const LAYOUT_DEFAULT_REFERENCE = '';

/** True when `dir` holds an `oci-layout` file with an `imageLayoutVersion` (image-layout.md). */
export async function isLayoutDir(dir: string): Promise<boolean> {
  try {
    const bytes = await readRegular(join(dir, LAYOUT_FILE), DEFAULTS.caps.layoutMarkerBytes, LAYOUT_FILE);
    const parsed = JSON.parse(bytes?.toString('utf8') ?? '') as { imageLayoutVersion?: unknown };
    return typeof parsed?.imageLayoutVersion === 'string';
  } catch {
    return false;
  }
}

/** BAD_INPUT unless the `oci-layout` marker names the one layout version we write and read. */
export async function checkLayoutFile(abs: string, name: string): Promise<void> {
  const bytes = await readRegular(join(abs, LAYOUT_FILE), DEFAULTS.caps.layoutMarkerBytes, `${name}/${LAYOUT_FILE}`);
  const text = bytes?.toString('utf8') ?? '';
  const version = (parseJson(text) as { imageLayoutVersion?: unknown } | undefined)?.imageLayoutVersion;
  if (version !== LAYOUT_VERSION) {
    throw new OcipackError('BAD_INPUT', `${name}: unsupported or missing imageLayoutVersion ${JSON.stringify(version)} (want ${LAYOUT_VERSION})`);
  }
}

/** Create the directory, `oci-layout` and an empty `index.json`, never overwriting either. */
export async function createLayoutFiles(dir: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true }).catch((err: unknown) => {
    throw ioError('cannot create', dir, err);
  });
  await writeFileExclusive(join(dir, LAYOUT_FILE), JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION }));
  await writeFileExclusive(join(dir, INDEX_FILE), JSON.stringify(emptyIndex()));
}

/**
 * Removes a layout this run began (`fresh`: the directory was missing, or empty) when its index lists
 * no manifest yet: the directory, or what was written into the empty one. A failed first push leaves no half layout.
 */
export async function discardUnfinishedLayout(dir: string, name: string, fresh: 'missing' | 'empty'): Promise<void> {
  const index = await readLayoutIndex(dir, name).catch(() => undefined);
  if (index === undefined || index.manifests.length > 0) return;
  if (fresh === 'missing') await rm(dir, { recursive: true, force: true });
  else for (const part of ['blobs', INDEX_FILE, LAYOUT_FILE]) await rm(join(dir, part), { recursive: true, force: true });
}

/** index.json of the layout at `dir` (`name` in messages), capped; an empty index when there is none yet. */
export async function readLayoutIndex(dir: string, name: string): Promise<ImageIndex> {
  const bytes = await readRegular(join(dir, INDEX_FILE), DEFAULTS.caps.layoutIndexBytes, `${name}/${INDEX_FILE}`);
  return bytes === undefined ? emptyIndex() : parseIndex(bytes.toString('utf8'), name);
}

/**
 * Read-modify-write of index.json, serialised per directory in this process and, through a lock file,
 * across processes (two `push --oci-layout` at once both land); `change` returns null for "no change".
 */
export function updateLayoutIndex(dir: string, name: string, change: (entries: Descriptor[]) => Descriptor[] | null): Promise<void> {
  return serialized(join(dir, INDEX_FILE), () => withLockFile(join(dir, LOCK_FILE), async () => {
    const index = await readLayoutIndex(dir, name);
    const next = change(index.manifests);
    if (next === null) return;
    const out: ImageIndex = { ...index, schemaVersion: 2, mediaType: MT.ociIndex, manifests: next };
    await writeFileAtomic(join(dir, INDEX_FILE), JSON.stringify(out));
  }));
}

/**
 * The index entries after storing `desc`: untagged, it is added unless already listed (as oras-go
 * does, so untagged roots stay discoverable); tagged, the entry that held the tag is replaced in
 * place and an untagged entry for the same digest is folded in. Other entries are kept.
 */
export function withEntry(entries: Descriptor[], desc: Descriptor, tag: string | undefined): Descriptor[] | null {
  const entry = indexEntry(desc, tag);
  if (tag === undefined) return entries.some((e) => e.digest === desc.digest) ? null : [...entries, entry];
  if (entries.some((e) => e.digest === desc.digest && refName(e) === tag)) return null;
  const at = entries.findIndex((e) => refName(e) === tag);
  const keep = entries.map((e, i) => (i === at ? entry : e))
    .filter((e) => e === entry || refName(e) !== tag)
    .filter((e) => !(e.digest === desc.digest && refName(e) === undefined));
  return at === -1 ? [...keep, entry] : keep;
}

function indexEntry(desc: Descriptor, tag: string | undefined): Descriptor {
  const entry: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  if (desc.artifactType !== undefined) entry.artifactType = desc.artifactType;
  if (desc.platform !== undefined) entry.platform = desc.platform;
  const annotations = { ...desc.annotations };
  delete annotations[ANNOTATIONS.refName];
  if (tag !== undefined) annotations[ANNOTATIONS.refName] = tag;
  if (Object.keys(annotations).length > 0) entry.annotations = annotations;
  return entry;
}

/** An index entry as a caller sees it: without the layout's own `ref.name` bookkeeping. */
export function entryDescriptor(entry: Descriptor): Descriptor {
  return indexEntry(entry, undefined);
}

/** A digest, or something meant as one (`sha256:...`) that parseDigest should reject loudly. */
export function looksLikeDigest(reference: string): boolean {
  return isDigest(reference) || /^sha(256|512):/.test(reference);
}

/** No reference given: the `latest` entry, else the only entry (tagged or not), else NOT_FOUND naming the tags. */
export function defaultEntry(manifests: Descriptor[], name: string): Descriptor {
  const latest = manifests.find((e) => refName(e) === DEFAULTS.defaultTag);
  if (latest) return latest;
  if (manifests.length === 1) return manifests[0]!;
  const names = [...new Set(manifests.map(refName).filter((n): n is string => n !== undefined))];
  const shown = names.slice(0, 8).map((n) => JSON.stringify(n)).join(', ') + (names.length > 8 ? ', …' : '');
  const what = manifests.length === 0 ? 'it holds no image' : `it holds ${manifests.length} images${names.length > 0 ? ` (ref names ${shown})` : ''}`;
  throw new OcipackError('NOT_FOUND', `no tag given and no "latest" in OCI layout ${name}; ${what}`, {
    context: { path: name, next: 'layout-choose-image' },
  });
}

/** The tag an index entry carries (its `ref.name` annotation). */
export function refName(e: Descriptor): string | undefined {
  return e.annotations?.[ANNOTATIONS.refName];
}

function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] };
}

/** index.json is the layout's own file, not a manifest a store served: one that is not an index is BAD_INPUT. */
function parseIndex(text: string, name: string): ImageIndex {
  const parsed = parseJson(text) as { manifests?: unknown } | undefined;
  const manifests = parsed?.manifests;
  const ok = Array.isArray(manifests) && manifests.every((e: unknown) => typeof (e as Descriptor | null)?.digest === 'string');
  if (!ok) throw new OcipackError('BAD_INPUT', `${name}/${INDEX_FILE} is not an OCI image index`);
  return parsed as ImageIndex;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
