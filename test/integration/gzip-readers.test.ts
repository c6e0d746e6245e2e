/**
 * The layer gzip (chunked, sync-flushed deflate from src/artifact/tar/gzip.ts) must be read by every
 * real reader a user may point at it: GNU gzip, Python's gzip module, Node's zlib, and Go
 * (skopeo's containers/image decompresses with Go's compress/flate).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { packToFile, type PackResult } from '../../src/artifact/tar/pack.js';
import { GZIP_CHUNK_BYTES } from '../../src/artifact/tar/gzip.js';
import { tempDir } from '../helpers/cli.js';

const exec = promisify(execFile);
const hex = (d: string) => d.replace(/^sha256:/, '');

let work: string;
let layer: string;
let packed: PackResult;

before(async () => {
  work = await tempDir('ocipack-gzip-readers-');
  const tree = join(work, 'tree');
  await mkdir(join(tree, 'deploy'), { recursive: true });
  const yaml = Array.from({ length: 60_000 }, (_, i) => `- name: app-${i % 113}\n  replicas: ${i % 7}\n`).join('');
  await writeFile(join(tree, 'deploy', 'apps.yaml'), yaml);
  await writeFile(join(tree, 'noise.bin'), createCipheriv('aes-128-ctr', Buffer.alloc(16, 1), Buffer.alloc(16)).update(Buffer.alloc(GZIP_CHUNK_BYTES + 12_345)));
  layer = join(work, 'layer.tar.gz');
  packed = await packToFile({ path: tree }, layer);
  // Several chunks, so the sync-flush joins are exercised.
  assert.ok(packed.tarSize > 2 * GZIP_CHUNK_BYTES, `tar is ${packed.tarSize} bytes`);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('layer gzip is read by real readers', () => {
  it('GNU gzip: -t passes and -dc gives the tar whose digest is diff_ids[0]', async () => {
    await exec('gzip', ['-t', layer]);
    const { stdout } = await exec('sh', ['-c', 'gzip -dc "$1" | sha256sum', 'sh', layer]);
    assert.equal(stdout.split(' ')[0], hex(packed.diffId));
  });

  it('Python gzip module', async () => {
    const script = 'import gzip,hashlib,sys\nwith gzip.open(sys.argv[1]) as f: print(hashlib.sha256(f.read()).hexdigest())';
    const { stdout } = await exec('python3', ['-c', script, layer]);
    assert.equal(stdout.trim(), hex(packed.diffId));
  });

  it('Node zlib streaming gunzip', async () => {
    const hash = createHash('sha256');
    await pipeline(createReadStream(layer), createGunzip(), async function* (src) {
      for await (const c of src) hash.update(c as Buffer);
    });
    assert.equal(`sha256:${hash.digest('hex')}`, packed.diffId);
  });

  it('Go (skopeo --dest-decompress) writes the uncompressed layer under diff_ids[0]', async () => {
    const src = join(work, 'oci');
    await ociLayout(src, packed);
    const dst = join(work, 'dir');
    await exec('skopeo', ['copy', '--dest-decompress', `oci:${src}:t`, `dir:${dst}`]);
    const out = await stat(join(dst, hex(packed.diffId)));
    assert.equal(out.size, packed.tarSize);
    const manifest = JSON.parse(await readFile(join(dst, 'manifest.json'), 'utf8')) as { layers: Array<{ digest: string }> };
    assert.equal(manifest.layers[0]?.digest, packed.diffId);
  });
});

/** A minimal OCI layout holding the layer as an ordinary image layer (skopeo decompresses those). */
async function ociLayout(dir: string, p: PackResult): Promise<void> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (bytes: Buffer) => {
    const d = createHash('sha256').update(bytes).digest('hex');
    await writeFile(join(blobs, d), bytes);
    return { digest: `sha256:${d}`, size: bytes.length };
  };
  await writeFile(join(blobs, hex(p.digest)), await readFile(p.file));
  const config = await put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [p.diffId] }, config: {} })));
  const manifest = await put(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: p.digest, size: p.size }],
  })));
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 't' } }],
  }));
}
