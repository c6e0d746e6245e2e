/**
 * Writes OCI image-layout directories by hand (image-spec image-layout.md), independent of the code
 * under test, so tests can hand foreign artifacts (Helm charts, multi-platform indexes, referrers)
 * to skopeo and push them to a real registry exactly as other tools lay them out.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
  artifactType?: string;
}

/** sha256 digest string of some bytes. */
export function digestOf(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A layout being written: blobs go to disk at once, index.json on `save()`. */
export class HandLayout {
  private readonly entries: Desc[] = [];
  constructor(readonly dir: string) {}

  /** Stores bytes as a blob and returns their descriptor. */
  async blob(mediaType: string, bytes: Buffer | string): Promise<Desc> {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
    const digest = digestOf(buf);
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'blobs', 'sha256', digest.slice(7)), buf);
    return { mediaType, digest, size: buf.length };
  }

  /** Stores a manifest (object serialised as given, or exact bytes); `tag` lists it in index.json. */
  async manifest(mediaType: string, body: object | Buffer, tag?: string): Promise<Desc & { bytes: Buffer }> {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const d = await this.blob(mediaType, bytes);
    if (tag !== undefined) this.entries.push({ ...d, annotations: { 'org.opencontainers.image.ref.name': tag } });
    return { ...d, bytes };
  }

  /** Writes `oci-layout` and `index.json`. */
  async save(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: this.entries }));
  }
}

/** `skopeo copy --all --preserve-digests oci:<dir>:<tag> docker://<dest>` to a plain-HTTP registry. */
export async function skopeoPush(dir: string, tag: string, dest: string): Promise<void> {
  await exec('skopeo', ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci:${dir}:${tag}`, `docker://${dest}`]);
}
