/**
 * Images and indexes against the real registry: pull picks `--platform` from an OCI index or a
 * Docker manifest list (default linux/amd64, entries without a platform count as linux/amd64, as
 * go-containerregistry does for Flux), `--layer`/`--media-type` choose the layer, and copy moves a
 * two-platform index whole. The indexes are written by hand and pushed by skopeo (or plain HTTP).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { digestOf, HandLayout, skopeoPush, type Desc } from '../helpers/handlayout.js';

const exec = promisify(execFile);
let reg: Awaited<ReturnType<typeof startRegistry>>;
let reg2: Awaited<ReturnType<typeof startRegistry>>;

const OCI = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
};
const DOCKER = {
  list: 'application/vnd.docker.distribution.manifest.list.v2+json',
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};

type Platform = { os: string; architecture: string; variant?: string };

/** A tar.gz made by GNU tar holding one file `name` with `body`. */
async function tarGz(name: string, body: string): Promise<Buffer> {
  const dir = await tempDir();
  await writeFile(join(dir, name), body);
  const { stdout } = await exec('tar', ['-czf', '-', '-C', dir, '--owner=0', '--group=0', name], { encoding: 'buffer' });
  return stdout;
}

/** One image (config + the given layers) in `layout`, as OCI or Docker schema 2. */
async function image(layout: HandLayout, p: Platform, layerBodies: string[], docker = false): Promise<Desc> {
  const t = docker ? DOCKER : OCI;
  const layers = [];
  for (const [i, body] of layerBodies.entries()) layers.push(await layout.blob(t.layer, await tarGz(`layer${i}.txt`, body)));
  const config = await layout.blob(t.config, JSON.stringify({ architecture: p.architecture, os: p.os, rootfs: { type: 'layers', diff_ids: [] } }));
  const m = await layout.manifest(t.manifest, { schemaVersion: 2, mediaType: t.manifest, config, layers });
  return { mediaType: m.mediaType, digest: m.digest, size: m.size };
}

/** Pushes an index over one image per platform to `repo:tag`; returns the index digest. */
async function pushIndex(repo: string, tag: string, platforms: Array<Platform | undefined>, docker = false): Promise<{ digest: string; children: Desc[]; layout: string }> {
  const layout = new HandLayout(join(await tempDir(), 'layout'));
  const children: Desc[] = [];
  for (const p of platforms) {
    const child = await image(layout, p ?? { os: 'linux', architecture: 'amd64' }, [`content for ${p ? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}` : 'no platform'}\n`], docker);
    children.push(p ? { ...child, platform: p } : child);
  }
  const mt = docker ? DOCKER.list : OCI.index;
  const idx = await layout.manifest(mt, { schemaVersion: 2, mediaType: mt, manifests: children }, tag);
  await layout.save();
  // skopeo 1.9 cannot read a Docker manifest list from an OCI layout: plain HTTP puts it instead.
  if (docker) await layout.pushHttp(reg.url, repo);
  else await skopeoPush(layout.dir, tag, `${reg.host}/${repo}:${tag}`);
  return { digest: idx.digest, children, layout: layout.dir };
}

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  reg2 = await startRegistry({ auth: 'none' });
  await pushIndex('multi/app', 'v1', [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
    { os: 'linux', architecture: 'arm', variant: 'v7' },
  ]);
});
after(async () => {
  await reg?.stop();
  await reg2?.stop();
});

async function pullText(ref: string, extra: string[] = []): Promise<{ code: number; stderr: string; text?: string }> {
  const out = join(await tempDir(), 'out');
  const r = await ocipack(['pull', ref, '-o', out, ...extra]);
  if (r.code !== 0) return { code: r.code, stderr: r.stderr };
  return { code: 0, stderr: r.stderr, text: await readFile(join(out, 'layer0.txt'), 'utf8') };
}

test('an OCI index: linux/amd64 by default, --platform picks arm64 and arm/v7', async () => {
  const ref = `oci://${reg.host}/multi/app:v1`;
  assert.equal((await pullText(ref)).text, 'content for linux/amd64\n');
  assert.equal((await pullText(ref, ['--platform', 'linux/arm64'])).text, 'content for linux/arm64\n');
  assert.equal((await pullText(ref, ['--platform', 'linux/arm/v7'])).text, 'content for linux/arm/v7\n');
  assert.equal((await pullText(ref, ['--platform', 'linux/arm64/v8'])).text, 'content for linux/arm64\n');
});

test('a platform the index lacks is exit 1 naming the ones it has; a malformed one is exit 2 before any request', async () => {
  const ref = `oci://${reg.host}/multi/app:v1`;
  const missing = await pullText(ref, ['--platform', 'linux/s390x']);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /no manifest for platform linux\/s390x in the index \(available: linux\/amd64, linux\/arm64, linux\/arm\/v7\)/);
  const variant = await pullText(ref, ['--platform', 'linux/arm/v6']);
  assert.equal(variant.code, 1, variant.stderr);
  await reg.resetRequests();
  for (const bad of ['linux', 'linux/arm/v7/extra', 'linux/', 'li nux/amd64']) {
    const r = await pullText(ref, ['--platform', bad]);
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /invalid platform/);
  }
  assert.deepEqual(await reg.requests(), []);
});

test('a Docker manifest list is followed the same way', async () => {
  await pushIndex('docker/app', 'v1', [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }], true);
  assert.equal((await pullText(`${reg.host}/docker/app:v1`, ['--platform', 'linux/arm64'])).text, 'content for linux/arm64\n');
  assert.equal((await pullText(`${reg.host}/docker/app:v1`)).text, 'content for linux/amd64\n');
});

test('index entries without a platform count as linux/amd64', async () => {
  await pushIndex('noplat/app', 'v1', [undefined, { os: 'linux', architecture: 'arm64' }]);
  assert.equal((await pullText(`${reg.host}/noplat/app:v1`)).text, 'content for no platform\n');
  assert.equal((await pullText(`${reg.host}/noplat/app:v1`, ['--platform', 'linux/arm64'])).text, 'content for linux/arm64\n');
  const r = await pullText(`${reg.host}/noplat/app:v1`, ['--platform', 'windows/amd64']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /available: linux\/amd64, linux\/arm64/);
});

test('--layer and --media-type choose an image layer', async () => {
  const layout = new HandLayout(join(await tempDir(), 'layout'));
  const first = await layout.blob(OCI.layer, await tarGz('first.txt', 'one\n'));
  const second = await layout.blob('application/vnd.example.data.tar+gzip', await tarGz('second.txt', 'two\n'));
  const config = await layout.blob(OCI.config, '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  await layout.manifest(OCI.manifest, { schemaVersion: 2, mediaType: OCI.manifest, config, layers: [first, second] }, 'v1');
  await layout.save();
  await skopeoPush(layout.dir, 'v1', `${reg.host}/layers/app:v1`);
  const ref = `${reg.host}/layers/app:v1`;
  for (const [args, file, body] of [[[], 'first.txt', 'one\n'], [['--layer', '1'], 'second.txt', 'two\n'], [['--media-type', 'application/vnd.example.data.tar+gzip'], 'second.txt', 'two\n']] as const) {
    const out = join(await tempDir(), 'out');
    const r = await ocipack(['pull', ref, '-o', out, ...args]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(join(out, file), 'utf8'), body);
  }
  const oob = await ocipack(['pull', ref, '-o', join(await tempDir(), 'o'), '--layer', '2']);
  assert.equal(oob.code, 2);
  assert.match(oob.stderr, /--layer 2 is out of range: the manifest has 2 layer\(s\)/);
});

test('copy moves a two-platform index whole, to another registry and to a layout skopeo reads', async () => {
  const { digest, children } = await pushIndex('two/app', 'v2', [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }]);
  const r = await ocipack(['copy', `oci://${reg.host}/two/app:v2`, `oci://${reg2.host}/mirror/app`, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { digest: string; tag: string; copied: number };
  assert.equal(j.digest, digest);
  assert.equal(j.tag, 'v2');
  assert.equal(j.copied, 7, 'index + 2 manifests + 2 configs + 2 layers');
  for (const c of children) {
    const res = await fetch(`${reg2.url}/v2/mirror/app/manifests/${c.digest}`, { headers: { accept: OCI.manifest } });
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(digestOf(bytes), c.digest);
    const m = JSON.parse(bytes.toString()) as { config: Desc; layers: Desc[] };
    for (const b of [m.config, ...m.layers]) assert.equal((await fetch(`${reg2.url}/v2/mirror/app/blobs/${b.digest}`, { method: 'HEAD' })).status, 200);
  }
  assert.equal((await pullText(`${reg2.host}/mirror/app:v2`, ['--platform', 'linux/arm64'])).text, 'content for linux/arm64\n');
  const layout = join(await tempDir(), 'layout');
  const toLayout = await ocipack(['copy', `${reg2.host}/mirror/app:v2`, `${layout}:v2`, '--to-oci-layout']);
  assert.equal(toLayout.code, 0, toLayout.stderr);
  const { stdout } = await exec('skopeo', ['inspect', '--raw', `oci:${layout}:v2`], { encoding: 'buffer' });
  assert.equal(digestOf(stdout), digest);
  const copied = join(await tempDir(), 'skopeo-copy');
  await mkdir(copied);
  await exec('skopeo', ['copy', '--all', '--preserve-digests', `oci:${layout}:v2`, `oci:${copied}:v2`]);
  assert.equal(digestOf((await exec('skopeo', ['inspect', '--raw', `oci:${copied}:v2`], { encoding: 'buffer' })).stdout), digest);
});
