/**
 * The storage capabilities shared by a remote repository and an OCI image-layout directory: small
 * interfaces, composed (oras-go's content.Fetcher/Pusher/TagLister/ReferrerLister, trimmed). A use-case
 * asks for the least it needs; optional ones (referrers API, cross-repository mount) are found with
 * the type guards below, never by asking what kind of store it is.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/descriptor.js';

/** A body that can be sent again on retry: bytes, or a function that reopens the source. */
export type Body = Buffer | (() => Readable);

export interface FetchedManifest {
  /** mediaType (from the content or Content-Type), digest (computed from the bytes) and size. */
  descriptor: Descriptor;
  /** The manifest bytes exactly as stored / served. */
  bytes: Buffer;
}

/** Where blobs are read from: a stream that errors with VERIFY at the end if size or digest disagree. */
export interface BlobSource {
  fetchBlob(desc: Descriptor): Promise<Readable>;
}

/** Reads: tags and digests to descriptors, manifests and blobs, all verified. */
export interface Fetcher extends BlobSource {
  /** Human-readable location for messages, e.g. `ghcr.io/org/app` or `./layout`. */
  readonly name: string;
  /** Tag or digest to the manifest's descriptor. NOT_FOUND when missing. */
  resolve(reference: string): Promise<Descriptor>;
  /**
   * Manifest bytes by tag or digest, capped at `maxManifestBytes`. When `reference` is a digest the
   * bytes must hash to it (VERIFY otherwise); for a tag the descriptor's digest is computed from the bytes.
   */
  fetchManifest(reference: string): Promise<FetchedManifest>;
}

/** Writes: content-addressed blobs and manifests, and tags. */
export interface Pusher {
  /** True when a blob (or manifest, by mediaType) with this digest is stored. */
  exists(desc: Descriptor): Promise<boolean>;
  /** Store a blob whose digest and size are known up front; the store verifies them. */
  pushBlob(desc: Descriptor, body: Body): Promise<void>;
  /** Store manifest bytes, under `tag` when given (by digest only otherwise). */
  pushManifest(desc: Descriptor, bytes: Buffer, tag?: string): Promise<void>;
}

/** The manifest half of a store: what tag and referrer bookkeeping needs. */
export type ManifestStore = Pick<Fetcher, 'name' | 'resolve' | 'fetchManifest'> & Pick<Pusher, 'pushManifest'>;

export interface TagLister {
  /** Every tag, in the store's order. */
  listTags(): Promise<string[]>;
}

/** A store that hands its tags out a page at a time as they arrive (a registry's `Link` pages). */
export interface TagPager {
  tagPages(): AsyncIterable<string[]>;
}

/** True when `t` lists tags page by page. */
export function isTagPager(t: object): t is TagPager {
  return typeof (t as Partial<TagPager>).tagPages === 'function';
}

/** A store that answers "what refers to this digest" itself (the referrers API, or its tag-schema fallback). */
export interface ReferrerLister {
  referrers(digest: string, artifactType?: string): Promise<Descriptor[]>;
}

/** A store with the referrers API itself, asked without its tag-schema fallback (so a caller can tell the two places apart). */
export interface ReferrersApi {
  /** The listing the API answered, or undefined when the store has no referrers API (404). */
  referrersFromApi(digest: string): Promise<Descriptor[] | undefined>;
}

/**
 * A store that keeps the referrers list itself when a manifest with a `subject` is pushed (a registry
 * with the referrers API); one without it needs the client to maintain the tag-schema index.
 */
export interface ReferrerIndexer {
  /** True when `digest`'s referrers are listed by the store itself (the referrers API answered). */
  indexesReferrers(digest: string): Promise<boolean>;
}

/** A manifest read with the version token a conditional write can name (an HTTP `ETag`). */
export interface VersionedManifest {
  manifest: FetchedManifest;
  etag: string | undefined;
}

/**
 * A store whose tag updates can be conditional (`If-Match` / `If-None-Match`), so two writers of one
 * referrers index do not silently drop each other's entry.
 */
export interface ConditionalManifestStore {
  /** The manifest under `tag` and its version token, or undefined when the tag does not exist. */
  fetchManifestVersion(tag: string): Promise<VersionedManifest | undefined>;
  /**
   * Store `bytes` under `tag` only if the tag is still at `etag` (or, with `etag` undefined, still absent);
   * false when that no longer holds. A store that ignores the condition simply writes.
   */
  pushManifestIf(desc: Descriptor, bytes: Buffer, tag: string, etag: string | undefined): Promise<boolean>;
}

/**
 * A store that can put one manifest under several tags in one write: a registry with distribution-spec's
 * `?tag=` parameters on the manifest PUT ("Pushing Manifests with tags"), a layout's one index.json write.
 */
export interface MultiTagPusher {
  /** Store `bytes` by digest under `tags`; resolves to the tags the store confirmed (the caller PUTs the rest one by one). */
  pushManifestTags(desc: Descriptor, bytes: Buffer, tags: readonly string[]): Promise<string[]>;
}

/** A store that can take a blob from another repository of the same registry without a transfer. */
export interface Mounter {
  /** True when mounted; false when the store answered "upload it yourself". */
  mountBlob(desc: Descriptor, fromRepository: string): Promise<boolean>;
}

/**
 * A store that may hold a manifest without all of its blobs, or with a corrupt one (a layout directory
 * anyone may edit); a registry keeps a manifest only while it holds its blobs. A copy into such a store
 * walks the whole graph even when the manifest is there.
 */
export interface PartialGraphStore {
  readonly holdsPartialGraphs: true;
}

/**
 * A store that writes a blob in one pass and never asks for its body again (a local file: no retry),
 * so a stream that checks itself (a Fetcher's fetchBlob, erroring at its end on a size or digest
 * mismatch) is written as it comes: no refetch body, no second hash.
 */
export interface StreamSink {
  pushVerifiedStream(desc: Descriptor, stream: Readable): Promise<void>;
}

/** A store whose root entries (with their tags as annotations) can be listed whole, untagged ones included. */
export interface EntryLister {
  /** The entries as stored, each with its `org.opencontainers.image.ref.name` when tagged. */
  indexEntries(): Promise<Descriptor[]>;
}

/** A source that can hand out a replayable body for a blob (a file it reopens, bytes it holds), so no spool copy is needed. */
export interface ReplayableSource {
  /** A body the destination may reopen on retry, or undefined when the blob must be fetched as a stream. */
  blobBody(desc: Descriptor, signal?: AbortSignal): Promise<Body | undefined>;
}

/** What copyGraph reads from: a Fetcher that can also say whether it holds a blob. */
export type GraphSource = Fetcher & Pick<Pusher, 'exists'>;

/** A store that can remove a tag, or a manifest by digest (with every tag that names it). */
export interface Deleter {
  delete(reference: string): Promise<void>;
  /** True when a tag delete removes that tag alone, always (a layout); a registry may refuse and need the manifest deleted. */
  readonly deletesTagsAlone?: boolean;
}

/** True when `t` can delete tags and manifests. */
export function isDeleter(t: object): t is Deleter {
  return typeof (t as Partial<Deleter>).delete === 'function';
}

/** One repository's worth of content-addressed storage plus tags. */
export interface Target extends Fetcher, Pusher, TagLister {}

/** True when `t` lists referrers itself; otherwise read the referrers tag schema's index. */
export function isReferrerLister(t: object): t is ReferrerLister {
  return typeof (t as Partial<ReferrerLister>).referrers === 'function';
}

/** True when `t` hands out replayable blob bodies. */
export function isReplayableSource(t: object): t is ReplayableSource {
  return typeof (t as Partial<ReplayableSource>).blobBody === 'function';
}

/** True when a manifest present in `t` does not promise its blobs (see PartialGraphStore). */
export function holdsPartialGraphs(t: object): t is PartialGraphStore {
  return (t as Partial<PartialGraphStore>).holdsPartialGraphs === true;
}

/** True when `t` writes self-checking streams in one pass (see StreamSink). */
export function isStreamSink(t: object): t is StreamSink {
  return typeof (t as Partial<StreamSink>).pushVerifiedStream === 'function';
}

/** True when `t` lists its root entries whole (see EntryLister). */
export function isEntryLister(t: object): t is EntryLister {
  return typeof (t as Partial<EntryLister>).indexEntries === 'function';
}

/** True when `t` can write several tags of a manifest at once (see MultiTagPusher). */
export function isMultiTagPusher(t: object): t is MultiTagPusher {
  return typeof (t as Partial<MultiTagPusher>).pushManifestTags === 'function';
}

/** True when `t` can mount blobs from a sibling repository. */
export function isMounter(t: object): t is Mounter {
  return typeof (t as Partial<Mounter>).mountBlob === 'function';
}

/** True when `t` can be asked for the referrers API's answer alone. */
export function hasReferrersApi(t: object): t is ReferrersApi {
  return typeof (t as Partial<ReferrersApi>).referrersFromApi === 'function';
}

/** True when `t` keeps referrers lists itself when it answers (see ReferrerIndexer). */
export function isReferrerIndexer(t: object): t is ReferrerIndexer {
  return typeof (t as Partial<ReferrerIndexer>).indexesReferrers === 'function';
}

/** True when `t` can update a tag conditionally. */
export function isConditionalStore(t: object): t is ConditionalManifestStore {
  return typeof (t as Partial<ConditionalManifestStore>).pushManifestIf === 'function';
}
