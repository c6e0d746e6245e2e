/**
 * An OCI image-layout directory as a Target (image-spec image-layout.md): content-addressed blobs
 * under `blobs/<alg>/<hex>`, every read size- and digest-checked; the `oci-layout` marker and
 * `index.json` (roots and their `ref.name` tags) are layoutindex.ts's.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { DigestStream, isDigest, parseDigest, verifyBytes } from '../oci/digest.js';
import { badManifest, sniffMediaType } from '../oci/manifest.js';
import { REF_NAME_GRAMMAR } from '../oci/reference.js';
import { ioError } from '../core/errno.js';
import { writeFileAtomic } from '../core/files.js';
import { checkRealDir, openRegular, openRegularSync, readRegular } from '../core/untrusted.js';
import { dirState, fileSize } from './fsutil.js';
import { cancelled, UPLOAD_READ_BYTES } from './bodies.js';
import {
  checkLayoutFile, createLayoutFiles, defaultEntry, discardUnfinishedLayout, entryDescriptor, IN_CREATION, LAYOUT_DEFAULT_REFERENCE, LAYOUT_FILE,
  looksLikeDigest, readLayoutIndex, refName, TAG_RE, updateLayoutIndex, withEntry,
} from './layoutindex.js';
import type { Body, Deleter, EntryLister, FetchedManifest, MultiTagPusher, PartialGraphStore, ReplayableSource, StreamSink, Target } from './target.js';

export { isLayoutDir, LAYOUT_DEFAULT_REFERENCE } from './layoutindex.js';

export interface LayoutOpenOptions {
  /** Allow a missing (or empty) directory; the layout files are written on the first push. */
  create: boolean;
  /** Cap for manifest reads (SPEC §5); defaults to DEFAULTS.caps.manifestBytes. */
  maxManifestBytes?: number;
}

/** A Target over an OCI image-layout directory; every read is size- and digest-checked. */
export class OciLayoutStore implements Target, ReplayableSource, Deleter, PartialGraphStore, StreamSink, EntryLister, MultiTagPusher {
  readonly name: string;
  /** Anyone may edit the directory: a manifest here does not promise its blobs are here and intact. */
  readonly holdsPartialGraphs = true as const;
  /** Absolute path of the layout directory. */
  readonly dir: string;
  private readonly maxManifestBytes: number;
  private ready: Promise<void> | undefined;
  /** `digest size` of blob files hashed (or written) in this run that matched. */
  private readonly verified = new Set<string>();
  /** This run makes the layout: the directory was missing, or held nothing of a layout yet. */
  private readonly fresh: 'missing' | 'empty' | undefined;

  private constructor(dir: string, name: string, maxManifestBytes: number, fresh?: 'missing' | 'empty') {
    this.dir = dir;
    this.name = name;
    this.maxManifestBytes = maxManifestBytes;
    this.fresh = fresh;
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
    const fresh = kind === 'missing' || kind === 'empty' ? kind : undefined;
    return new OciLayoutStore(abs, dir, opts.maxManifestBytes ?? DEFAULTS.caps.manifestBytes, fresh);
  }

  /**
   * After a failed write: a layout this run began (the directory was missing or empty) whose index
   * still lists nothing is removed again — the directory, or what was written into the empty one — so a
   * failed first push (a full disk) leaves no half layout. A layout that was already there is left alone.
   */
  async discardIfUnfinished(): Promise<void> {
    if (this.fresh !== undefined) await discardUnfinishedLayout(this.dir, this.name, this.fresh);
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
  pushBlob(desc: Descriptor, body: Body): Promise<void> {
    if (Buffer.isBuffer(body)) return this.writeBlob(desc, body);
    return this.writeBlob(desc, () => pipeline(body(), new DigestStream({ digest: desc.digest, size: desc.size }), () => undefined));
  }

  /** Store a stream that checks itself (a Fetcher's fetchBlob) as it comes: not hashed a second time (issue 16 §6). */
  pushVerifiedStream(desc: Descriptor, stream: Readable): Promise<void> {
    return this.writeBlob(desc, () => stream);
  }

  /** Write a blob file unless an intact one is there; bytes are checked first, a stream must check itself (renamed only when it ended cleanly). */
  private async writeBlob(desc: Descriptor, body: Buffer | (() => Readable)): Promise<void> {
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
    const stream = body();
    try {
      await writeFileAtomic(path, stream);
      this.verified.add(`${desc.digest} ${desc.size}`);
    } finally {
      stream.destroy();
    }
  }

  /** Store manifest bytes as a blob, then list them in index.json (under `tag` when given). */
  async pushManifest(desc: Descriptor, bytes: Buffer, tag?: string): Promise<void> {
    await this.pushManifestTags(desc, bytes, tag === undefined ? [] : [tag]);
  }

  /** Store manifest bytes as a blob, then list them in index.json under every tag (by digest when none) in one write. */
  async pushManifestTags(desc: Descriptor, bytes: Buffer, tags: readonly string[]): Promise<string[]> {
    const bad = tags.find((t) => !TAG_RE.test(t) && !REF_NAME_GRAMMAR.test(t));
    if (bad !== undefined) throw usageError(`invalid tag ${JSON.stringify(bad.slice(0, 140))}`);
    verifyBytes(bytes, { digest: desc.digest, size: desc.size });
    const stored = { ...desc, mediaType: desc.mediaType || detectMediaType(bytes, desc.digest) };
    await this.pushBlob(stored, bytes);
    await updateLayoutIndex(this.dir, this.name, (entries) => {
      let out: Descriptor[] | null = null;
      for (const tag of tags.length === 0 ? [undefined] : tags) out = withEntry(out ?? entries, stored, tag) ?? out;
      return out;
    });
    return [...tags];
  }

  /** The index entries as written (with their `ref.name`), for `list --oci-layout`. */
  async indexEntries(): Promise<Descriptor[]> {
    return (await readLayoutIndex(this.dir, this.name)).manifests;
  }

  /** A tag delete removes that index entry alone. */
  readonly deletesTagsAlone = true;

  /**
   * Remove a tag (its index entry), or a manifest by digest: every index entry naming it and its blob.
   * Blobs only it referenced stay until something collects them, as in a registry.
   */
  async delete(reference: string): Promise<void> {
    const byDigest = looksLikeDigest(reference);
    if (byDigest) parseDigest(reference);
    let found = false;
    await updateLayoutIndex(this.dir, this.name, (entries) => {
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
    const names = (await readLayoutIndex(this.dir, this.name)).manifests.map(refName).filter((n): n is string => n !== undefined);
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
    const { manifests } = await readLayoutIndex(this.dir, this.name);
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

  /** Create the directory, `oci-layout` and an empty `index.json` once, never overwriting either. */
  private ensureLayout(): Promise<void> {
    this.ready ??= createLayoutFiles(this.dir);
    this.ready.catch(() => { this.ready = undefined; });
    return this.ready;
  }
}


/** The media type a manifest declares, or the one its shape implies; BAD_MANIFEST when neither says (exit 1: bad stored data). */
function detectMediaType(bytes: Buffer, digest: string): string {
  const mediaType = sniffMediaType(bytes);
  if (mediaType === undefined) throw badManifest({ where: digest }, 'is neither an image manifest nor an index');
  return mediaType;
}

function notFound(what: string, name: string): OcipackError {
  return new OcipackError('NOT_FOUND', `${what} not found in OCI layout ${name}`);
}
