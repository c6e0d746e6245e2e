/**
 * An artifact assembled in this process — what push, push --chart and sign have made — as a source
 * for copyGraph, so every write to a registry or layout goes through the one graph writer: blobs
 * first (skipping what the destination has), the manifest last, the same events everywhere.
 */
import { Readable } from 'node:stream';
import { OcipackError } from '../core/errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { DigestStream } from '../oci/digest.js';
import { copyGraph, type CopyOptions, type CopyResult } from './copy.js';
import type { Body, FetchedManifest, Fetcher, ReplayableSource, Target } from './target.js';

export class StagedArtifact implements Fetcher, ReplayableSource {
  readonly name = 'the local artifact';
  private readonly blobs = new Map<string, { desc: Descriptor; body: Body }>();
  private readonly manifests = new Map<string, FetchedManifest>();

  /** A blob of the artifact; a function body is reopened for every upload attempt. */
  addBlob(desc: Descriptor, body: Body): this {
    this.blobs.set(desc.digest, { desc, body });
    return this;
  }

  /** A manifest of the artifact (the root one last, or any order: copyGraph walks from the root). */
  addManifest(desc: Descriptor, bytes: Buffer): this {
    this.manifests.set(desc.digest, { descriptor: desc, bytes });
    return this;
  }

  async resolve(reference: string): Promise<Descriptor> {
    return this.manifest(reference).descriptor;
  }

  async fetchManifest(reference: string): Promise<FetchedManifest> {
    return this.manifest(reference);
  }

  async fetchBlob(desc: Descriptor): Promise<Readable> {
    const body = this.body(desc);
    const stream = Buffer.isBuffer(body) ? Readable.from([body]) : body();
    return stream.pipe(new DigestStream({ digest: desc.digest, size: desc.size }));
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return this.blobs.has(desc.digest) || this.manifests.has(desc.digest);
  }

  async blobBody(desc: Descriptor): Promise<Body | undefined> {
    return this.blobs.get(desc.digest)?.body;
  }

  private body(desc: Descriptor): Body {
    const b = this.blobs.get(desc.digest);
    if (!b) throw new OcipackError('NOT_FOUND', `blob ${desc.digest} is not part of the artifact`);
    return b.body;
  }

  private manifest(reference: string): FetchedManifest {
    const m = this.manifests.get(reference);
    if (!m) throw new OcipackError('NOT_FOUND', `manifest ${reference} is not part of the artifact`);
    return m;
  }
}

/** Write a staged artifact to `dst` through the graph writer; `root` is its top manifest. */
export function writeArtifact(staged: StagedArtifact, dst: Target, root: Descriptor, opts: CopyOptions = {}): Promise<CopyResult> {
  return copyGraph(staged, dst, root, opts);
}
