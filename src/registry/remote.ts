/** A repository on a registry as a Target (oras-go's remote.Repository, trimmed), plus mount and referrers. */
import type { Readable } from 'node:stream';
import { repositoryScope } from '../auth/authorizer.js';
import { emitter, type OnEvent } from '../core/events.js';
import { registryError } from './failure.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestOf, isDigest, verifyBytes } from '../oci/digest.js';
import { sniffMediaType } from '../oci/manifest.js';
import { MANIFEST_MEDIA_TYPES, MT } from '../oci/mediatypes.js';
import type { Reference } from '../oci/reference.js';
import { getBlob, headBlob, startUpload, uploadBlob } from './blobs.js';
import type { RegistryClient } from './client.js';
import { deleteManifest, getManifest, headManifest, putManifest, type RawManifest } from './manifests.js';
import { getReferrers } from './referrers.js';
import { ctxOf, type Repo } from './repo.js';
import { listTags, tagPages, TAG_PAGE_SIZE } from './tags.js';
import type { Body, ConditionalManifestStore, Deleter, FetchedManifest, Mounter, MultiTagPusher, ReferrerIndexer, ReferrerLister, ReferrersApi, TagPager, Target, VersionedManifest } from '../content/target.js';
import { isNotFound } from '../content/read.js';
import { tagSchemaReferrers } from '../content/referrersread.js';

export interface RemoteRepositoryOptions {
  /** Ask for `pull,push` up front so one token serves the whole push. */
  push?: boolean;
  maxManifestBytes: number;
  /** Tags per page when listing (`n=`); mainly for tests of `Link` pagination. */
  tagPageSize?: number;
  /** Most tags a listing collects (default DEFAULTS.caps.tags). */
  maxTags?: number;
  onEvent?: OnEvent;
}

/** True for the media types served from the manifests endpoint. */
export function isManifestMediaType(mediaType: string): boolean {
  return (MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

/** A manifest's media type: its own `mediaType` field, else the Content-Type served, else guessed from its shape. */
export function manifestMediaType(bytes: Buffer, contentType: string | undefined): string {
  return sniffMediaType(bytes, contentType) ?? MT.ociManifest;
}

/** True when the registry reported a digest of the same algorithm that differs from ours. */
function disagrees(served: string | undefined, ours: string): boolean {
  return served !== undefined && served !== ours && served.split(':')[0] === ours.split(':')[0];
}

/** One repository of a registry, reached through the session's client for its host. */
export class RemoteRepository implements Target, TagPager, ReferrerLister, ReferrersApi, ReferrerIndexer, ConditionalManifestStore, Mounter, Deleter, MultiTagPusher {
  readonly name: string;
  readonly reference: Reference;
  private readonly repo: Repo;
  private readonly opts: RemoteRepositoryOptions;
  private readonly emit: OnEvent;
  /** Upload sessions a refused mount (202) opened, reused by the next pushBlob of that digest. */
  private readonly pendingUploads = new Map<string, URL>();
  /** Blobs exists() found missing, so the pushBlob that follows skips its own HEAD. */
  private readonly justMissing = new Set<string>();

  constructor(client: RegistryClient, reference: Reference, opts: RemoteRepositoryOptions) {
    this.reference = reference;
    this.name = `${reference.registry}/${reference.repository}`;
    this.repo = { client, name: reference.repository, scopes: [repositoryScope(reference.repository, opts.push ?? false)] };
    this.opts = opts;
    this.emit = emitter(opts.onEvent);
  }

  /** Tag or digest to a descriptor, by HEAD when the registry says enough, else by GET. */
  async resolve(reference: string): Promise<Descriptor> {
    const head = await headManifest(this.repo, reference);
    if (!head) throw registryError(404, Buffer.alloc(0), ctxOf(this.repo, `manifest ${reference}`));
    const digest = isDigest(reference) ? reference : head.digest;
    if (digest !== undefined && isDigest(digest) && head.size !== undefined && head.contentType !== undefined && isManifestMediaType(head.contentType)) {
      return { mediaType: head.contentType, digest, size: head.size };
    }
    return (await this.fetchManifest(reference)).descriptor;
  }

  /** Manifest bytes exactly as served plus their Content-Type; verified when `reference` is a digest. */
  async fetchManifestRaw(reference: string): Promise<RawManifest> {
    const raw = await getManifest(this.repo, reference, this.opts.maxManifestBytes);
    if (isDigest(reference)) verifyBytes(raw.bytes, { digest: reference });
    return raw;
  }

  /** Manifest by tag or digest; for a tag the digest is computed from the bytes, whatever the registry says. */
  async fetchManifest(reference: string): Promise<FetchedManifest> {
    return this.described(reference, await this.fetchManifestRaw(reference));
  }

  private described(reference: string, raw: RawManifest): FetchedManifest {
    const digest = isDigest(reference) ? reference : digestOf(raw.bytes);
    if (disagrees(raw.servedDigest, digest)) {
      this.emit({ type: 'warning', message: `${this.repo.client.host} reported digest ${raw.servedDigest} for ${this.name}:${reference}, but the bytes hash to ${digest}; using ${digest}` });
    }
    const descriptor: Descriptor = { mediaType: manifestMediaType(raw.bytes, raw.contentType), digest, size: raw.bytes.length };
    return { descriptor, bytes: raw.bytes };
  }

  /** A stream of the blob, failing with VERIFY at the end when size or digest disagree. */
  fetchBlob(desc: Descriptor): Promise<Readable> {
    return getBlob(this.repo, desc);
  }

  /** HEAD on the manifests endpoint for manifest media types, on the blobs endpoint otherwise. */
  async exists(desc: Descriptor): Promise<boolean> {
    if (isManifestMediaType(desc.mediaType)) return (await headManifest(this.repo, desc.digest)) !== undefined;
    const found = await headBlob(this.repo, desc.digest);
    if (!found) this.justMissing.add(desc.digest);
    return found;
  }

  /**
   * Uploads a blob unless the registry already has it (HEAD first, unless exists() just said it is
   * missing: copy asks that first, and a second HEAD per blob is a round trip for nothing); POST then
   * one monolithic PUT, restarted with a new session after a break.
   */
  async pushBlob(desc: Descriptor, body: Body): Promise<void> {
    const knownMissing = this.justMissing.delete(desc.digest);
    if (!knownMissing && (await headBlob(this.repo, desc.digest))) return;
    const location = this.pendingUploads.get(desc.digest);
    this.pendingUploads.delete(desc.digest);
    await uploadBlob(this.repo, desc, body, location);
  }

  /** PUTs manifest bytes (checked against `desc` first) under `tag`, or by digest. */
  async pushManifest(desc: Descriptor, bytes: Buffer, tag?: string): Promise<void> {
    verifyBytes(bytes, { digest: desc.digest, size: desc.size });
    const served = (await putManifest(this.repo, tag ?? desc.digest, bytes, desc.mediaType)).digest;
    if (disagrees(served, desc.digest)) {
      this.emit({ type: 'warning', message: `${this.repo.client.host} reported digest ${served} for the manifest pushed as ${desc.digest}` });
    }
  }

  /** One PUT by digest with every tag as a `?tag=` parameter; the tags the registry confirmed with `OCI-Tag` headers. */
  async pushManifestTags(desc: Descriptor, bytes: Buffer, tags: readonly string[]): Promise<string[]> {
    verifyBytes(bytes, { digest: desc.digest, size: desc.size });
    const r = await putManifest(this.repo, desc.digest, bytes, desc.mediaType, { tags });
    if (disagrees(r.digest, desc.digest)) {
      this.emit({ type: 'warning', message: `${this.repo.client.host} reported digest ${r.digest} for the manifest pushed as ${desc.digest}` });
    }
    return r.tags;
  }

  /** The manifest under `tag` with the registry's `ETag`, or undefined on 404. */
  async fetchManifestVersion(tag: string): Promise<VersionedManifest | undefined> {
    let raw: RawManifest;
    try {
      raw = await this.fetchManifestRaw(tag);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    return { manifest: this.described(tag, raw), etag: raw.etag };
  }

  /** PUT under `tag` with `If-Match: <etag>` (or `If-None-Match: *` for a new tag); false on 412. */
  async pushManifestIf(desc: Descriptor, bytes: Buffer, tag: string, etag: string | undefined): Promise<boolean> {
    verifyBytes(bytes, { digest: desc.digest, size: desc.size });
    const r = await putManifest(this.repo, tag, bytes, desc.mediaType, etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: etag });
    return !r.preconditionFailed;
  }

  /** True when the registry answers the referrers API for `digest` (distribution-spec v1.1), so it indexes subjects itself. */
  async indexesReferrers(digest: string): Promise<boolean> {
    return (await getReferrers(this.repo, digest, this.opts.maxManifestBytes)) !== undefined;
  }

  /** DELETE a tag, or a manifest by digest; the registry's refusal (405 UNSUPPORTED) surfaces as its RegistryError. */
  delete(reference: string): Promise<void> {
    return deleteManifest(this.repo, reference);
  }

  /** Every tag, following `Link` pages. */
  listTags(): Promise<string[]> {
    return listTags(this.repo, this.opts.tagPageSize ?? TAG_PAGE_SIZE, this.opts.maxTags);
  }

  /** The tags one `Link` page at a time, as they arrive. */
  tagPages(): AsyncIterable<string[]> {
    return tagPages(this.repo, this.opts.tagPageSize ?? TAG_PAGE_SIZE, this.opts.maxTags);
  }

  /**
   * Cross-repository mount from another repository of the same registry: true when mounted (201);
   * false when the registry opened an upload instead (202), which the next pushBlob then uses.
   */
  async mountBlob(desc: Descriptor, fromRepository: string): Promise<boolean> {
    const repo: Repo = { ...this.repo, scopes: [...this.repo.scopes, repositoryScope(fromRepository)] };
    const started = await startUpload(repo, { digest: desc.digest, from: fromRepository });
    if (started.mounted) return true;
    this.pendingUploads.set(desc.digest, started.location);
    return false;
  }

  /**
   * Manifests that refer to `digest` (their `subject`), optionally of one artifact type: the referrers
   * API, or the referrers tag schema when the registry has no such API; both read by the one reader
   * (oci/referrers.ts: an unreadable index is BAD_MANIFEST, an entry naming the subject is dropped).
   */
  async referrers(digest: string, artifactType?: string): Promise<Descriptor[]> {
    const page = await getReferrers(this.repo, digest, this.opts.maxManifestBytes, artifactType);
    if (!page) return tagSchemaReferrers(this, digest, artifactType === undefined ? { onEvent: this.emit } : { artifactType, onEvent: this.emit });
    for (const message of page.notes) this.emit({ type: 'warning', message });
    return page.manifests;
  }

  /** The referrers API's listing of `digest` alone (no tag-schema fallback), or undefined when the registry has no such API (404). */
  async referrersFromApi(digest: string): Promise<Descriptor[] | undefined> {
    const page = await getReferrers(this.repo, digest, this.opts.maxManifestBytes);
    if (!page) return undefined;
    for (const message of page.notes) this.emit({ type: 'warning', message });
    return page.manifests;
  }
}
