/**
 * Hostile layers and the means to serve them: archives written byte by byte (tarbuilder.ts), a
 * streaming-generated decompression bomb, a 150 000-entry archive, and two ways to publish a layer
 * without any ocipack code: plain distribution-API calls to a real registry, or an OCI layout on disk.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { buildTar, type RawEntry } from './tarbuilder.js';

export const FLUX_CONFIG = 'application/vnd.cncf.flux.config.v1+json';
export const FLUX_LAYER = 'application/vnd.cncf.flux.content.v1.tar+gzip';
const BLOCK = 512;

/** `sha256:<hex>` of some bytes. */
export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** One ustar header block for a regular file of `size` bytes (the size field may lie). */
function fileHeader(name: string, size: number): Buffer {
  return buildTar([{ name, type: '0', mode: 0o644, size, body: Buffer.alloc(0) }], { end: false }).subarray(0, BLOCK);
}

/**
 * A gzip bomb generated as a stream, never held uncompressed: one file entry followed by `total` zero
 * bytes. With `honestHeader` the header announces `total` bytes; without, it announces 0 and the zeros
 * follow as "padding", so only counting real decompressed bytes can stop it.
 */
export async function gzipBomb(total: number, honestHeader: boolean): Promise<Buffer> {
  const zero = Buffer.alloc(1 << 20);
  let sent = 0;
  const src = new Readable({
    read() {
      if (sent === 0) this.push(fileHeader('zeros', honestHeader ? total : 0));
      if (sent >= total) {
        this.push(Buffer.alloc(2 * BLOCK));
        this.push(null);
        return;
      }
      const n = Math.min(zero.length, total - sent);
      sent += n;
      this.push(n === zero.length ? zero : zero.subarray(0, n));
    },
  });
  const out: Buffer[] = [];
  for await (const c of src.pipe(createGzip({ level: 1, chunkSize: 1 << 16 }))) out.push(c as Buffer);
  return Buffer.concat(out);
}

/**
 * A gzipped tar of `n` empty files, `f/<i / 1000>/<i>` (a thousand per directory: ext4 creates files in
 * one huge directory several times slower, which would only slow the test, not change what it proves).
 */
export function manyEmptyFiles(n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) parts.push(fileHeader(`f/${Math.floor(i / 1000)}/${String(i).padStart(6, '0')}`, 0));
  parts.push(Buffer.alloc(2 * BLOCK));
  return gzipSync(Buffer.concat(parts), { level: 1 });
}

/** gzipped tar of raw entries. */
export function tgz(entries: RawEntry[]): Buffer {
  return gzipSync(buildTar(entries));
}

export interface RawArtifact {
  manifest: Buffer;
  digest: string;
  config: Buffer;
  layer: Buffer;
  layerDigest: string;
}

/** A Flux-format manifest around a layer (any bytes), with a size that may be overridden to lie. */
export function artifactFor(layer: Buffer, opts: { layerSize?: number; mediaType?: string; urls?: string[] } = {}): RawArtifact {
  const config = Buffer.from('{}');
  const layerDesc: Record<string, unknown> = { mediaType: opts.mediaType ?? FLUX_LAYER, digest: sha256(layer), size: opts.layerSize ?? layer.length };
  if (opts.urls) layerDesc.urls = opts.urls;
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: FLUX_CONFIG, digest: sha256(config), size: config.length },
    layers: [layerDesc],
    annotations: { 'org.opencontainers.image.source': 'hostile-test', 'org.opencontainers.image.revision': 'r1' },
  }));
  return { manifest, digest: sha256(manifest), config, layer, layerDigest: sha256(layer) };
}

/** POST + monolithic PUT of a blob with plain fetch. */
async function putBlob(base: string, repo: string, bytes: Buffer, headers: Record<string, string>): Promise<void> {
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  if (start.status !== 202) throw new Error(`upload start for ${repo}: ${start.status}`);
  const loc = new URL(start.headers.get('location') ?? '', base);
  loc.searchParams.set('digest', sha256(bytes));
  const put = await fetch(loc, { method: 'PUT', body: bytes, headers: { ...headers, 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`upload of ${repo} blob: ${put.status} ${await put.text()}`);
}

/** Publishes an artifact to a registry (`http://host:port`) as `repo:tag` without ocipack. */
export async function pushRaw(base: string, repo: string, tag: string, art: RawArtifact, authorization?: string): Promise<void> {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  await putBlob(base, repo, art.config, headers);
  await putBlob(base, repo, art.layer, headers);
  const res = await fetch(`${base}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT', body: art.manifest, headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  if (res.status !== 201) throw new Error(`manifest PUT ${repo}:${tag}: ${res.status} ${await res.text()}`);
}

export interface LayoutTamper {
  /** Store these bytes for the layer instead of the real ones (a flipped byte, a truncation). */
  storedLayer?: Buffer;
  /** Store these bytes for the manifest instead of the real ones. */
  storedManifest?: Buffer;
  /** Do not store the layer blob at all. */
  omitLayer?: boolean;
}

/** Writes an OCI image layout holding `art` under `tag`, optionally tampered with. */
export async function writeRawLayout(dir: string, tag: string, art: RawArtifact, tamper: LayoutTamper = {}): Promise<void> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = (digest: string, bytes: Buffer): Promise<void> => writeFile(join(blobs, digest.slice(7)), bytes);
  await put(art.digest, tamper.storedManifest ?? art.manifest);
  await put(sha256(art.config), art.config);
  if (!tamper.omitLayer) await put(art.layerDigest, tamper.storedLayer ?? art.layer);
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: art.digest, size: art.manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}

/** Every path below `root` (sorted), `@` marking symlinks and `/` directories; [] when root is missing. */
export async function listing(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    let ents;
    try {
      ents = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const ent of ents) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      out.push(ent.isSymbolicLink() ? `${r}@` : ent.isDirectory() ? `${r}/` : r);
      if (ent.isDirectory()) await walk(join(dir, ent.name), r);
    }
  };
  await walk(root, '');
  return out.sort();
}

/** Every path below `root` with its kind, mode, inode and (for files) content: what "untouched" means. */
export async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const rel of await listing(root)) {
    const p = join(root, rel.replace(/[/@]$/, ''));
    const st = await lstat(p);
    const body = st.isFile() ? (await readFile(p)).toString('base64') : '';
    out.push(`${rel} ${st.mode.toString(8)} ${st.ino} ${body}`);
  }
  return out;
}

/** True when `path` exists (without following a final symlink). */
export async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}
