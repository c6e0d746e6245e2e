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
  /** Everything written, in order: what `pushHttp` uploads. */
  private readonly written: Array<{ desc: Desc; bytes: Buffer; manifest: boolean; tag?: string }> = [];
  constructor(readonly dir: string) {}

  /** Stores bytes as a blob and returns their descriptor. */
  async blob(mediaType: string, bytes: Buffer | string): Promise<Desc> {
    const d = await this.write(mediaType, bytes);
    this.written.push({ desc: d, bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), manifest: false });
    return d;
  }

  /** Stores a manifest (object serialised as given, or exact bytes); `tag` lists it in index.json. */
  async manifest(mediaType: string, body: object | Buffer, tag?: string): Promise<Desc & { bytes: Buffer }> {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const d = await this.write(mediaType, bytes);
    if (tag !== undefined) this.entries.push({ ...d, annotations: { 'org.opencontainers.image.ref.name': tag } });
    this.written.push(tag === undefined ? { desc: d, bytes, manifest: true } : { desc: d, bytes, manifest: true, tag });
    return { ...d, bytes };
  }

  /**
   * Uploads everything written to `<baseUrl>/v2/<repo>/` with plain HTTP calls (no ocipack code):
   * blobs by POST + one PUT, then manifests in the order written (children first), by tag or digest.
   */
  async pushHttp(baseUrl: string, repo: string): Promise<void> {
    for (const w of this.written.filter((x) => !x.manifest)) {
      const start = await fetch(`${baseUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      const location = start.headers.get('location');
      await start.arrayBuffer();
      if (start.status !== 202 || !location) throw new Error(`blob upload start: ${start.status}`);
      const url = new URL(location, baseUrl);
      url.searchParams.set('digest', w.desc.digest);
      const res = await fetch(url, { method: 'PUT', body: w.bytes, headers: { 'content-type': 'application/octet-stream' } });
      if (res.status !== 201) throw new Error(`blob upload of ${w.desc.digest}: ${res.status} ${await res.text()}`);
    }
    for (const w of this.written.filter((x) => x.manifest)) {
      const res = await fetch(`${baseUrl}/v2/${repo}/manifests/${w.tag ?? w.desc.digest}`, {
        method: 'PUT', body: w.bytes, headers: { 'content-type': w.desc.mediaType },
      });
      if (res.status !== 201) throw new Error(`manifest PUT of ${w.desc.digest}: ${res.status} ${await res.text()}`);
    }
  }

  private async write(mediaType: string, bytes: Buffer | string): Promise<Desc> {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
    const digest = digestOf(buf);
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'blobs', 'sha256', digest.slice(7)), buf);
    return { mediaType, digest, size: buf.length };
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
