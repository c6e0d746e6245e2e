/**
 * An OCI image-layout directory as a Target (image-spec image-layout.md): an `oci-layout` marker,
 * `index.json` listing the roots, and content-addressed blobs under `blobs/<alg>/<hex>`. Tags are
 * `org.opencontainers.image.ref.name` annotations on index entries, as skopeo (`oci:dir:tag`) and
 * oras write them.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { Descriptor, ImageIndex } from '../oci/descriptor.js';
import { DigestStream, isDigest, parseDigest, verifyBytes } from '../oci/digest.js';
import { ANNOTATIONS, MT } from '../oci/mediatypes.js';
import { REF_NAME_GRAMMAR } from '../oci/reference.js';
import { ioError } from '../core/errno.js';
import { writeFileAtomic, writeFileExclusive } from '../core/files.js';
import { checkRealDir, openRegular, openRegularSync, readRegular } from '../core/untrusted.js';
import { dirState, fileSize, serialized } from './fsutil.js';
import { withLockFile } from '../core/lock.js';
import { cancelled, UPLOAD_READ_BYTES } from './bodies.js';
import { isVerifiedBody, type Body, type Deleter, type FetchedManifest, type ReplayableSource, type Target } from './target.js';

const LAYOUT_FILE = 'oci-layout';
const INDEX_FILE = 'index.json';
const LAYOUT_VERSION = '1.0.0';
/** Beside index.json while one process rewrites it (core/lock.ts). */
const LOCK_FILE = 'index.json.lock';
/** Names a layout being created by another writer may already hold: such a directory counts as empty. */
const IN_CREATION = /^(?:blobs|index\.json|oci-layout|index\.json\.lock|\.(?:index\.json|oci-layout)\.\d+\.[0-9a-f]+\.tmp)$/;
/** Same grammar as a registry tag (distribution spec), so a layout tag can also be pushed remotely. */
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** The reference a layout resolves when none was given: `latest`, else the index's only image (as skopeo). */
export const LAYOUT_DEFAULT_REFERENCE = '';

export interface LayoutOpenOptions {
  /** Allow a missing (or empty) directory; the layout files are written on the first push. */
  create: boolean;
  /** Cap for manifest reads (SPEC §5); defaults to DEFAULTS.caps.manifestBytes. */
  maxManifestBytes?: number;
}

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

/** A Target over an OCI image-layout directory; every read is size- and digest-checked. */
export class OciLayoutStore implements Target, ReplayableSource, Deleter {
  readonly name: string;
  /** Absolute path of the layout directory. */
  readonly dir: string;
  private readonly maxManifestBytes: number;
  private ready: Promise<void> | undefined;
  /** `digest size` of blob files hashed (or written) in this run that matched. */
  private readonly verified = new Set<string>();

  private constructor(dir: string, name: string, maxManifestBytes: number) {
    this.dir = dir;
    this.name = name;
    this.maxManifestBytes = maxManifestBytes;
  }

  /** Open a layout; NOT_FOUND for a missing dir and BAD_INPUT for a non-layout one unless `create`. */
  static async open(dir: string, opts: LayoutOpenOptions): Promise<OciLayoutStore> {
    const abs = resolvePath(dir);
    const kind = await dirState(abs, LAYOUT_FILE, (name) => IN_CREATION.test(name));
    if (kind === 'file') throw new OcipackError('BAD_INPUT', `${dir} is a file, not an OCI layout directory`);
    if (kind === 'marked') await checkLayoutFile(abs, dir);
    else if (!opts.create) {
      if (kind === 'missing') throw new OcipackError('NOT_FOUND', `OCI layout directory ${dir} does not exist`, { context: { path: dir, next: 'layout-missing' } });
      throw new OcipackError('BAD_INPUT', `${dir} is not an OCI image layout (no ${LAYOUT_FILE} file)`);
    } else if (kind === 'other') {
      throw new OcipackError('BAD_INPUT', `${dir} is not empty and not an OCI image layout; refusing to write into it`);
    }
    // Blobs are opened with O_NOFOLLOW, which guards only the last name: the directories above must be real too.
    for (const sub of ['blobs', 'blobs/sha256', 'blobs/sha512']) await checkRealDir(join(abs, sub));
    return new OciLayoutStore(abs, dir, opts.maxManifestBytes ?? DEFAULTS.caps.manifestBytes);
  }

  /** Tag or digest → descriptor: the index entry, or for an unlisted digest the stored manifest. */
  async resolve(reference: string): Promise<Descriptor> {
    const entry = await this.lookup(reference);
    if (entry) return entryDescriptor(entry);
    return (await this.fetchManifest(reference)).descriptor;
  }

  /** Manifest bytes by tag or digest, capped and verified against the digest (and the entry's size). */
  async fetchManifest(reference: string): Promise<FetchedManifest> {
    const entry = await this.lookup(reference);
    const digest = entry?.digest ?? reference;
    const bytes = await this.readManifestBlob(digest, entry?.size);
    const mediaType = entry?.mediaType ?? detectMediaType(bytes, digest);
    return { descriptor: { mediaType, digest, size: bytes.length }, bytes };
  }

  /** A stream of the blob that fails with VERIFY at the end when size or digest disagree. */
  async fetchBlob(desc: Descriptor): Promise<Readable> {
    const file = await openRegular(this.blobPath(desc.digest));
    if (file === undefined) throw notFound(`blob ${desc.digest}`, this.name);
    const verifier = new DigestStream({ digest: desc.digest, size: desc.size }, { holdLast: true });
    return pipeline(file.handle.createReadStream(), verifier, () => undefined);
  }

  /**
   * True when the blob is there as a regular file with the descriptor's size AND content (hashed once per
   * run): a right-size, wrong-content file is not "present", so a copy into the layout replaces it.
   */
  async exists(desc: Descriptor): Promise<boolean> {
    if (!isDigest(desc.digest)) return false;
    if (this.verified.has(`${desc.digest} ${desc.size}`)) return true;
    let file;
    try {
      file = await openRegular(this.blobPath(desc.digest));
    } catch {
      return false;
    }
    if (file === undefined) return false;
    try {
      if (file.size !== desc.size) return false;
      const hash = createHash(parseDigest(desc.digest).algorithm);
      for await (const chunk of file.handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
      const ok = `${parseDigest(desc.digest).algorithm}:${hash.digest('hex')}` === desc.digest;
      if (ok) this.verified.add(`${desc.digest} ${desc.size}`);
      return ok;
    } catch {
      return false;
    } finally {
      await file.handle.close().catch(() => undefined);
    }
  }

  /** Store a blob: written to a temp file in `blobs/<alg>/`, renamed only after the digest check. */
  async pushBlob(desc: Descriptor, body: Body): Promise<void> {
    const path = this.blobPath(desc.digest);
    await this.ensureLayout();
    if (await this.exists(desc)) return;
    await mkdir(dirname(path), { recursive: true }).catch((err: unknown) => { throw ioError('cannot create', dirname(path), err); });
    if (Buffer.isBuffer(body)) {
      verifyBytes(body, { digest: desc.digest, size: desc.size });
      await writeFileAtomic(path, body);
      this.verified.add(`${desc.digest} ${desc.size}`);
      return;
    }
    // A body that verifies itself (a registry download) is not hashed a second time (issue 16 §6).
    const verified = isVerifiedBody(body) ? body() : pipeline(body(), new DigestStream({ digest: desc.digest, size: desc.size }), () => undefined);
    try {
      await writeFileAtomic(path, verified);
      this.verified.add(`${desc.digest} ${desc.size}`);
    } finally {
      verified.destroy();
    }
  }

  /** Store manifest bytes as a blob, then list them in index.json (under `tag` when given). */
  async pushManifest(desc: Descriptor, bytes: Buffer, tag?: string): Promise<void> {
    if (tag !== undefined && !TAG_RE.test(tag) && !REF_NAME_GRAMMAR.test(tag)) throw usageError(`invalid tag ${JSON.stringify(tag.slice(0, 140))}`);
    verifyBytes(bytes, { digest: desc.digest, size: desc.size });
    const mediaType = desc.mediaType || detectMediaType(bytes, desc.digest);
    await this.pushBlob({ ...desc, mediaType }, bytes);
    await this.updateIndex((entries) => withEntry(entries, { ...desc, mediaType }, tag));
  }

  /** The index entries as written (with their `ref.name`), for `list --oci-layout`. */
  async indexEntries(): Promise<Descriptor[]> {
    return (await this.readIndex()).manifests;
  }

  /**
   * Remove a tag (its index entry), or a manifest by digest: every index entry naming it and its blob.
   * Blobs only it referenced stay until something collects them, as in a registry.
   */
  async delete(reference: string): Promise<void> {
    const byDigest = looksLikeDigest(reference);
    if (byDigest) parseDigest(reference);
    let found = false;
    await this.updateIndex((entries) => {
      const keep = entries.filter((e) => !(byDigest ? e.digest === reference : refName(e) === reference));
      found = keep.length !== entries.length;
      return found ? keep : null;
    });
    if (byDigest) {
      const blob = this.blobPath(reference);
      if ((await fileSize(blob)) !== undefined) {
        await rm(blob, { force: true });
        found = true;
      }
    }
    if (!found) throw notFound(byDigest ? `manifest ${reference}` : `tag ${JSON.stringify(reference)}`, this.name);
  }

  /** Every `ref.name` in index.json, in index order, without duplicates. */
  async listTags(): Promise<string[]> {
    const names = (await this.readIndex()).manifests.map(refName).filter((n): n is string => n !== undefined);
    return [...new Set(names)];
  }

  /** A replayable body reading the blob file, checked against `desc` as it streams (VERIFY at the end); undefined when absent. */
  async blobBody(desc: Descriptor, signal?: AbortSignal): Promise<Body | undefined> {
    const path = this.blobPath(desc.digest);
    if (!(await this.exists(desc))) {
      const there = await openRegular(path);
      if (there === undefined) return undefined;
      await there.handle.close();
      // Hashed before upload: a wrong blob never starts streaming to the destination.
      throw new OcipackError('VERIFY', `blob ${desc.digest} in OCI layout ${this.name} does not match its size or digest`);
    }
    // A regular file only, never through a symlink; the last chunk is held back until size and digest
    // matched, so a wrong blob never reaches the destination whole (VERIFY instead).
    return () => {
      const { fd } = openRegularSync(path);
      const verifier = new DigestStream({ digest: desc.digest, size: desc.size }, { holdLast: true });
      const onAbort = (): void => void verifier.destroy(cancelled(signal as AbortSignal));
      signal?.addEventListener('abort', onAbort, { once: true });
      verifier.once('close', () => signal?.removeEventListener('abort', onAbort));
      return pipeline(createReadStream('', { fd, highWaterMark: UPLOAD_READ_BYTES }), verifier, () => undefined);
    };
  }

  /** The path of a blob; a malformed digest is a usage error, so no path ever leaves `blobs/`. */
  blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.dir, 'blobs', algorithm, hex);
  }

  /** The index entry a reference names: by digest, or by `ref.name` for a tag (NOT_FOUND if none). */
  private async lookup(reference: string): Promise<Descriptor | undefined> {
    const { manifests } = await this.readIndex();
    if (reference === LAYOUT_DEFAULT_REFERENCE) return defaultEntry(manifests, this.name);
    if (looksLikeDigest(reference)) {
      parseDigest(reference);
      return manifests.find((e) => e.digest === reference);
    }
    const entry = manifests.find((e) => refName(e) === reference);
    if (!entry) throw notFound(`tag ${JSON.stringify(reference)}`, this.name);
    return entry;
  }

  private async readManifestBlob(digest: string, size: number | undefined): Promise<Buffer> {
    let bytes: Buffer | undefined;
    try {
      bytes = await readRegular(this.blobPath(digest), this.maxManifestBytes, `manifest ${digest}`);
    } catch (err) {
      if (err instanceof OcipackError && err.code === 'CAP') {
        throw new OcipackError('CAP', `manifest ${digest} is more than the ${this.maxManifestBytes}-byte cap`, {
          context: { option: 'maxManifestBytes', next: 'raise-cap' },
        });
      }
      throw err;
    }
    if (bytes === undefined) throw notFound(`manifest ${digest}`, this.name);
    verifyBytes(bytes, size === undefined ? { digest } : { digest, size });
    return bytes;
  }

  private async readIndex(): Promise<ImageIndex> {
    const bytes = await readRegular(join(this.dir, INDEX_FILE), DEFAULTS.caps.layoutIndexBytes, `${this.name}/${INDEX_FILE}`);
    return bytes === undefined ? emptyIndex() : parseIndex(bytes.toString('utf8'), this.name);
  }

  /**
   * Read-modify-write of index.json, serialised per directory in this process and, through a lock file,
   * across processes (two `push --oci-layout` at once both land); `change` returns null for "no change".
   */
  private updateIndex(change: (entries: Descriptor[]) => Descriptor[] | null): Promise<void> {
    return serialized(join(this.dir, INDEX_FILE), () => withLockFile(join(this.dir, LOCK_FILE), async () => {
      const index = await this.readIndex();
      const next = change(index.manifests);
      if (next === null) return;
      const out: ImageIndex = { ...index, schemaVersion: 2, mediaType: MT.ociIndex, manifests: next };
      await writeFileAtomic(join(this.dir, INDEX_FILE), JSON.stringify(out));
    }));
  }

  /** Create the directory, `oci-layout` and an empty `index.json` once, never overwriting either. */
  private ensureLayout(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true }).catch((err: unknown) => {
        throw ioError('cannot create', this.dir, err);
      });
      await writeFileExclusive(join(this.dir, LAYOUT_FILE), JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION }));
      await writeFileExclusive(join(this.dir, INDEX_FILE), JSON.stringify(emptyIndex()));
    })();
    this.ready.catch(() => { this.ready = undefined; });
    return this.ready;
  }
}

/**
 * The index entries after storing `desc`: untagged, it is added unless already listed (as oras-go
 * does, so untagged roots stay discoverable); tagged, the entry that held the tag is replaced in
 * place and an untagged entry for the same digest is folded in. Other entries are kept.
 */
function withEntry(entries: Descriptor[], desc: Descriptor, tag: string | undefined): Descriptor[] | null {
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
function entryDescriptor(entry: Descriptor): Descriptor {
  return indexEntry(entry, undefined);
}

/** A digest, or something meant as one (`sha256:...`) that parseDigest should reject loudly. */
function looksLikeDigest(reference: string): boolean {
  return isDigest(reference) || /^sha(256|512):/.test(reference);
}

/** No reference given: the `latest` entry, else the only entry (tagged or not), else NOT_FOUND naming the tags. */
function defaultEntry(manifests: Descriptor[], name: string): Descriptor {
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

function refName(e: Descriptor): string | undefined {
  return e.annotations?.[ANNOTATIONS.refName];
}

function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] };
}

function parseIndex(text: string, name: string): ImageIndex {
  const parsed = parseJson(text) as { manifests?: unknown } | undefined;
  const manifests = parsed?.manifests;
  const ok = Array.isArray(manifests) && manifests.every((e: unknown) => typeof (e as Descriptor | null)?.digest === 'string');
  if (!ok) throw new OcipackError('BAD_INPUT', `${name}/${INDEX_FILE} is not an OCI image index`);
  return parsed as ImageIndex;
}

/** The media type a manifest declares, or the one its shape implies (image-spec manifest.md, image-index.md). */
function detectMediaType(bytes: Buffer, digest: string): string {
  const m = parseJson(bytes.toString('utf8')) as { mediaType?: unknown; manifests?: unknown; config?: unknown } | undefined;
  if (typeof m?.mediaType === 'string' && m.mediaType !== '') return m.mediaType;
  if (Array.isArray(m?.manifests)) return MT.ociIndex;
  if (typeof m?.config === 'object' && m.config !== null) return MT.ociManifest;
  throw new OcipackError('BAD_INPUT', `${digest} is not an OCI manifest or index`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function checkLayoutFile(abs: string, name: string): Promise<void> {
  const bytes = await readRegular(join(abs, LAYOUT_FILE), DEFAULTS.caps.layoutMarkerBytes, `${name}/${LAYOUT_FILE}`);
  const text = bytes?.toString('utf8') ?? '';
  const version = (parseJson(text) as { imageLayoutVersion?: unknown } | undefined)?.imageLayoutVersion;
  if (version !== LAYOUT_VERSION) {
    throw new OcipackError('BAD_INPUT', `${name}: unsupported or missing imageLayoutVersion ${JSON.stringify(version)} (want ${LAYOUT_VERSION})`);
  }
}

function notFound(what: string, name: string): OcipackError {
  return new OcipackError('NOT_FOUND', `${what} not found in OCI layout ${name}`);
}
