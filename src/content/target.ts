/** The storage abstraction shared by a remote repository and an OCI image-layout directory. */
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

/** One repository's worth of content-addressed storage plus tags (oras-go's Target, trimmed). */
export interface Target {
  /** Human-readable location for messages, e.g. `ghcr.io/org/app` or `./layout`. */
  readonly name: string;
  /** Tag or digest to the manifest's descriptor. NOT_FOUND when missing. */
  resolve(reference: string): Promise<Descriptor>;
  /**
   * Manifest bytes by tag or digest, capped at `maxManifestBytes`. When `reference` is a digest the
   * bytes must hash to it (VERIFY otherwise); for a tag the descriptor's digest is computed from the bytes.
   */
  fetchManifest(reference: string): Promise<FetchedManifest>;
  /** A stream of the blob that errors with VERIFY at the end if size or digest disagree. */
  fetchBlob(desc: Descriptor): Promise<Readable>;
  /** True when a blob (or manifest, by mediaType) with this digest is stored. */
  exists(desc: Descriptor): Promise<boolean>;
  /** Store a blob whose digest and size are known up front; the store verifies them. */
  pushBlob(desc: Descriptor, body: Body): Promise<void>;
  /** Store manifest bytes, under `tag` when given (by digest only otherwise). */
  pushManifest(desc: Descriptor, bytes: Buffer, tag?: string): Promise<void>;
  /** Every tag, in the store's order. */
  listTags(): Promise<string[]>;
}
