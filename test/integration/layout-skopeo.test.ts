/**
 * Interop of OciLayoutStore with the real `skopeo` (Debian package `skopeo`): layouts we write are
 * read and copied by skopeo's `oci:` transport, and layouts skopeo writes are read (and verified) by us.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { copyGraph } from '../../src/content/copy.js';
import { OciLayoutStore } from '../../src/content/layout.js';
import type { Descriptor, ImageManifest } from '../../src/oci/descriptor.js';
import { digestOf } from '../../src/oci/digest.js';
import { MT } from '../../src/oci/mediatypes.js';
import { readAll } from '../helpers/fakes.js';

const run = promisify(execFile);
let work = '';
let home = '';

async function skopeo(...args: string[]): Promise<string> {
  const env = { ...process.env, HOME: home, TMPDIR: work };
  const { stdout } = await run('skopeo', ['--insecure-policy', ...args], { env, timeout: 60_000, maxBuffer: 16 << 20, encoding: 'buffer' });
  return stdout.toString('utf8');
}

interface Image { manifest: Buffer; desc: Descriptor; config: Buffer; layer: Buffer }

/** A minimal runnable-looking OCI image: one tar+gzip layer holding hello.txt, and its image config. */
async function buildImage(): Promise<Image> {
  const src = join(work, 'rootfs');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'hello.txt'), 'hello from ocipack\n');
  // Written by GNU tar (another writer than ours), owner and time fixed as a portable archive has them.
  const { stdout: tar } = await run('tar', ['-c', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', src, 'hello.txt'], { encoding: 'buffer' });
  const layer = gzipSync(tar);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digestOf(tar)] },
  }));
  const m: ImageManifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: digestOf(config), size: config.length },
    layers: [{ mediaType: MT.ociLayerTarGzip, digest: digestOf(layer), size: layer.length }],
  };
  const manifest = Buffer.from(JSON.stringify(m));
  return { manifest, desc: { mediaType: MT.ociManifest, digest: digestOf(manifest), size: manifest.length }, config, layer };
}

async function writeImage(store: OciLayoutStore, img: Image, tag: string): Promise<void> {
  const m = JSON.parse(img.manifest.toString()) as ImageManifest;
  await store.pushBlob(m.config, img.config);
  await store.pushBlob(m.layers[0] as Descriptor, img.layer);
  await store.pushManifest(img.desc, img.manifest, tag);
}

/** Everything a manifest references can be fetched from `store` and passes the digest check. */
async function assertComplete(store: OciLayoutStore, tag: string, img: Image): Promise<void> {
  const fetched = await store.fetchManifest(tag);
  const m = JSON.parse(fetched.bytes.toString()) as ImageManifest;
  assert.deepEqual(await readAll(await store.fetchBlob(m.config)), img.config);
  assert.equal(m.layers.length, 1);
  assert.deepEqual(await readAll(await store.fetchBlob(m.layers[0] as Descriptor)), img.layer);
}

describe('OCI layout interop with skopeo', () => {
  let img: Image;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ocipack-skopeo-'));
    home = join(work, 'home');
    await mkdir(home);
    try {
      await run('skopeo', ['--version']);
    } catch (err) {
      throw new Error(`skopeo is required for this test; install the Debian package "skopeo" (${String(err)})`);
    }
    img = await buildImage();
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('skopeo reads and copies a layout we wrote', async () => {
    const dir = join(work, 'ours');
    await writeImage(await OciLayoutStore.open(dir, { create: true }), img, 'v1');
    const raw = await skopeo('inspect', '--raw', `oci:${dir}:v1`);
    assert.equal(raw, img.manifest.toString('utf8'));
    const info = JSON.parse(await skopeo('inspect', `oci:${dir}:v1`)) as { Digest: string; Architecture: string; Os: string; Layers: string[] };
    assert.equal(info.Digest, img.desc.digest);
    assert.equal(info.Architecture, 'amd64');
    assert.equal(info.Os, 'linux');
    assert.deepEqual(info.Layers, [digestOf(img.layer)]);

    const copy = join(work, 'skopeo-copy');
    await skopeo('copy', '--quiet', `oci:${dir}:v1`, `oci:${copy}:v1`);
    const theirs = await OciLayoutStore.open(copy, { create: false });
    assert.equal((await theirs.resolve('v1')).digest, img.desc.digest);
    await assertComplete(theirs, 'v1', img);
  });

  it('we read, verify and copy a layout skopeo wrote', async () => {
    const a = join(work, 'a');
    await writeImage(await OciLayoutStore.open(a, { create: true }), img, 't');
    const b = join(work, 'b');
    await skopeo('copy', '--quiet', `oci:${a}:t`, `oci:${b}:t2`);
    const store = await OciLayoutStore.open(b, { create: false });
    assert.deepEqual(await store.listTags(), ['t2']);
    const desc = await store.resolve('t2');
    assert.equal(desc.mediaType, MT.ociManifest);
    await assertComplete(store, 't2', img);

    const c = join(work, 'c');
    const dst = await OciLayoutStore.open(c, { create: true });
    const result = await copyGraph(store, dst, desc, { tag: 'copied' });
    assert.equal(result.copied, 3);
    const raw = await skopeo('inspect', '--raw', `oci:${c}:copied`);
    assert.equal(digestOf(Buffer.from(raw)), desc.digest);
  });

  it('keeps skopeo tags and ours side by side in one index.json', async () => {
    const dir = join(work, 'shared');
    const store = await OciLayoutStore.open(dir, { create: true });
    await writeImage(store, img, 'ours');
    await skopeo('copy', '--quiet', `oci:${dir}:ours`, `oci:${dir}:theirs`);
    assert.deepEqual([...(await store.listTags())].sort(), ['ours', 'theirs']);
    await store.pushManifest(img.desc, img.manifest, 'third');
    for (const tag of ['ours', 'theirs', 'third']) {
      assert.equal(await skopeo('inspect', '--raw', `oci:${dir}:${tag}`), img.manifest.toString('utf8'));
    }
  });
});
