/**
 * Issue 25 "Bounded, whatever the input": the decompressed cap holds for the sum of every layer one pull
 * writes, temporary space included (SPEC §5). An image of many small gzip layers that each expand to under
 * the (lowered) cap, but together past it, is refused while its layers are read, not after a flattened
 * tar of them all was written to temporary space; a set whose stored sizes alone cannot fit is refused
 * before any blob is downloaded.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { digestOf, putBlob, putManifest } from '../helpers/rawoci.js';
import { buildTar, buildTarGz, file } from '../helpers/tarbuilder.js';

let reg: RunningRegistry;
before(async () => { reg = await startRegistry({ auth: 'none' }); });
after(async () => { await reg?.stop(); });

const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** An image whose layers are `blobs`, pushed as `repo:v1`. */
async function pushImage(repo: string, blobs: Buffer[]): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layers = [];
  for (const b of blobs) layers.push({ mediaType: LAYER, digest: await putBlob(reg.url, repo, b), size: b.length });
  const manifest = {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await putBlob(reg.url, repo, config), size: config.length },
    layers,
  };
  await putManifest(reg.url, repo, 'v1', Buffer.from(JSON.stringify(manifest)), manifest.mediaType);
  return `oci://${reg.host}/${repo}:v1`;
}

async function pullAll(ref: string): Promise<{ code: number; stderr: string; out: string; tmp: string }> {
  const tmp = await tempDir();
  const out = join(await tempDir(), 'rootfs');
  const r = await ocipack(['pull', ref, '-o', out, '--all-layers', '--max-layer-size', '1MiB'], { env: { TMPDIR: tmp } });
  return { ...r, out, tmp };
}

test('--all-layers: 24 layers of 100 KiB each (a few hundred bytes stored) are refused together past a 1 MiB cap', async () => {
  const blobs = Array.from({ length: 24 }, (_, i) => buildTarGz([file(`layer${i}.bin`, Buffer.alloc(100 * 1024))]));
  assert.ok(blobs.every((b) => b.length < 2048), 'each layer is small stored');
  const r = await pullAll(await pushImage('cap/expand', blobs));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /✗ pull failed: layers exceed 1048576 bytes together when decompressed\n {2}hint: raise it with --max-layer-size/);
  assert.deepEqual(await readdir(join(r.tmp, `ocipack-${process.getuid?.() ?? 'user'}`)), [], 'no temporary layer or flattened tar is left');
  await assert.rejects(readdir(r.out), { code: 'ENOENT' });
});

test('--all-layers: layers whose stored sizes together exceed the cap are refused before any download', async () => {
  const blobs = Array.from({ length: 3 }, (_, i) => buildTar([file(`r${i}.bin`, randomBytes(400 * 1024))]));
  const ref = await pushImage('cap/stored', blobs);
  await reg.resetRequests();
  const r = await pullAll(ref);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /✗ pull failed: 3 layers of \d+ bytes cannot fit the 1048576-byte cap on decompressed layers/);
  const layerGets = (await reg.requests()).filter((q) => blobs.some((b) => q.path.includes(digestOf(b))));
  assert.deepEqual(layerGets, [], 'no layer was downloaded');
});

test('--all-layers under the cap together still applies every layer', async () => {
  const blobs = Array.from({ length: 4 }, (_, i) => buildTarGz([file(`l${i}.txt`, `layer ${i}\n`)]));
  const r = await pullAll(await pushImage('cap/fits', blobs));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await readdir(r.out)).sort(), ['l0.txt', 'l1.txt', 'l2.txt', 'l3.txt']);
});
