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

/** A store that answers "what refers to this digest" itself (the referrers API, or its tag-schema fallback). */
export interface ReferrerLister {
  referrers(digest: string, artifactType?: string): Promise<Descriptor[]>;
}

/** A store that can take a blob from another repository of the same registry without a transfer. */
export interface Mounter {
  /** True when mounted; false when the store answered "upload it yourself". */
  mountBlob(desc: Descriptor, fromRepository: string): Promise<boolean>;
}

/** One repository's worth of content-addressed storage plus tags. */
export interface Target extends Fetcher, Pusher, TagLister {}

/** True when `t` lists referrers itself; otherwise read the referrers tag schema's index. */
export function isReferrerLister(t: object): t is ReferrerLister {
  return typeof (t as Partial<ReferrerLister>).referrers === 'function';
}

/** True when `t` can mount blobs from a sibling repository. */
export function isMounter(t: object): t is Mounter {
  return typeof (t as Partial<Mounter>).mountBlob === 'function';
}
