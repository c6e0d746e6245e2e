/**
 * Issue 15 §1-§4: pulling what other tools write, as a user would, against the real registry.
 * oras-style artifacts (titled files, custom config, artifactType) are built raw (oras is not packaged
 * for Debian); images are built by buildah, saved by podman (`save --format oci-dir`) and pushed
 * zstd-compressed by skopeo. Every file is compared byte for byte.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { containers, type Containers } from '../helpers/containers.js';
import { digestOf, getManifest, putBlob, putManifest } from '../helpers/rawoci.js';
import { buildTar, buildTarGz, dir, file } from '../helpers/tarbuilder.js';

const exec = promisify(execFile);
const TITLE = 'org.opencontainers.image.title';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let ctr: Containers;
let work: string;
/** The two-layer image: podman's layout and the files of each layer. */
let saved: string;
const A = 'a: 1\n# layer zero\n';
const B = 'b: 2\n# layer one \u00e9\n';

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  ctr = await containers();
  work = await tempDir();
  await writeFile(join(work, 'a.yaml'), A);
  await writeFile(join(work, 'b.yaml'), B);
  await ctr.layer('localhost/two:step1', undefined, { '/app/a.yaml': join(work, 'a.yaml') });
  await ctr.layer('localhost/two:v2', 'localhost/two:step1', { '/app/b.yaml': join(work, 'b.yaml') });
  saved = join(work, 'saved');
  await ctr.saveOciDir('localhost/two:v2', saved);
});
after(async () => {
  await reg?.stop();
  await ctr?.close();
});

/** Push an artifact of raw layers the way oras-go writes it; returns `oci://…` of the tag. */
async function pushRaw(repo: string, layers: Array<{ bytes: Buffer; mediaType: string; annotations?: Record<string, string> }>, config = { bytes: Buffer.from('{"x":1}'), mediaType: 'application/vnd.acme.config.v1+json' }, artifactType?: string): Promise<string> {
  const descs = [];
  for (const l of layers) {
    await putBlob(reg.url, repo, l.bytes);
    descs.push({ mediaType: l.mediaType, digest: digestOf(l.bytes), size: l.bytes.length, ...(l.annotations ? { annotations: l.annotations } : {}) });
  }
  await putBlob(reg.url, repo, config.bytes);
  const m = { schemaVersion: 2, mediaType: OCI_MANIFEST, ...(artifactType ? { artifactType } : {}), config: { mediaType: config.mediaType, digest: digestOf(config.bytes), size: config.bytes.length }, layers: descs };
  await putManifest(reg.url, repo, 'v1', Buffer.from(JSON.stringify(m)), OCI_MANIFEST);
  return `oci://${reg.host}/${repo}:v1`;
}

async function pull(ref: string, ...args: string[]) {
  const out = join(await tempDir(), 'out');
  const r = await ocipack(['pull', ref, '-o', out, '--format', 'json', ...args]);
  const json = r.code === 0 ? JSON.parse(r.stdout) as { layer: { index: number; mediaType: string; digest: string; size: number }; operation: string; files?: string[]; layers?: unknown[] } : undefined;
  return { ...r, out, json };
}

async function tree(root: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (e.isDirectory()) Object.assign(out, await tree(join(root, e.name), `${prefix}${e.name}/`));
    else out[`${prefix}${e.name}`] = await readFile(join(root, e.name), 'utf8');
  }
  return out;
}

test('oras-style artifact: each titled layer is written as its file, an unpack layer as its directory; --media-type/--layer narrow', async () => {
  const deploy = 'apiVersion: apps/v1\r\nkind: Deployment\n';
  const notes = 'read me\u0000 raw bytes';
  const conf = buildTarGz([dir('conf'), file('conf/a.yaml', 'conf: a\n')]);
  const ref = await pushRaw('oras/app', [
    { bytes: Buffer.from(deploy), mediaType: 'application/vnd.oci.image.layer.v1.tar', annotations: { [TITLE]: 'deploy.yaml' } },
    { bytes: Buffer.from(notes), mediaType: 'text/plain', annotations: { [TITLE]: 'notes/readme.txt' } },
    { bytes: conf, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', annotations: { [TITLE]: 'conf', 'io.deis.oras.content.unpack': 'true' } },
  ], undefined, 'application/vnd.acme.bundle.v1');
  const all = await pull(ref);
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(await tree(all.out), { 'deploy.yaml': deploy, 'notes/readme.txt': notes, 'conf/a.yaml': 'conf: a\n' });
  assert.equal(all.json!.operation, 'copy');
  assert.deepEqual(all.json!.files, ['deploy.yaml', 'notes/readme.txt', 'conf']);
  assert.equal(all.json!.layer.index, 0);
  const narrowed = await pull(ref, '--media-type', 'text/plain');
  assert.equal(narrowed.code, 0, narrowed.stderr);
  assert.deepEqual(await tree(narrowed.out), { 'notes/readme.txt': notes });
  const one = await pull(ref, '--layer', '0');
  assert.deepEqual(await tree(one.out), { 'deploy.yaml': deploy });
  const unsafe = await pushRaw('oras/evil', [{ bytes: Buffer.from('x'), mediaType: 'text/plain', annotations: { [TITLE]: '../escape.txt' } }]);
  const refused = await pull(unsafe);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /layer 0 \(text\/plain, 1 B\) has an unsafe title "\.\.\/escape\.txt"/);
});

test('a raw layer: copied as <digest-hex><ext> with a note; --layer-operation copy names it by title; extract names the layer', async () => {
  const body = Buffer.from('kind: ConfigMap\nmetadata: {name: x}\n');
  const ref = await pushRaw('raw/app', [{ bytes: body, mediaType: 'application/yaml' }]);
  const copied = await pull(ref);
  assert.equal(copied.code, 0, copied.stderr);
  const name = `${digestOf(body).slice(7)}.yaml`;
  assert.deepEqual(await readdir(copied.out), [name]);
  assert.deepEqual(await readFile(join(copied.out, name)), body);
  assert.match(copied.stderr, /layer 0 \(application\/yaml, \d+ B\) is not a tar archive; writing it as a file/);
  const extract = await pull(ref, '--layer-operation', 'extract');
  assert.equal(extract.code, 2, extract.stderr);
  assert.match(extract.stderr, /layer 0 \(application\/yaml, \d+ B\): invalid tar archive/);
  const plain = buildTar([file('plain/x.txt', 'uncompressed\n')]);
  const tarRef = await pushRaw('raw/tar', [{ bytes: plain, mediaType: 'application/vnd.oci.image.layer.v1.tar' }]);
  const untarred = await pull(tarRef);
  assert.equal(untarred.code, 0, untarred.stderr);
  assert.deepEqual(await tree(untarred.out), { 'plain/x.txt': 'uncompressed\n' });
  assert.match(untarred.stderr, /extracting layer 0 \(application\/vnd\.oci\.image\.layer\.v1\.tar, \d+ B\): uncompressed tar/);
  const asFile = await pull(tarRef, '--layer-operation', 'copy');
  assert.deepEqual(await readFile(join(asFile.out, `${digestOf(plain).slice(7)}.tar`)), plain);
});

test('skopeo --dest-compress-format zstd of a buildah two-layer image: layer 0 with a warning, --layer 1, --all-layers', async () => {
  await exec('skopeo', ['copy', '--dest-tls-verify=false', '--dest-compress', '--dest-compress-format', 'zstd', `oci:${saved}:localhost/two:v2`, `docker://${reg.host}/zstd/two:v2`]);
  const m = JSON.parse((await getManifest(reg.url, 'zstd/two', 'v2'))!.toString()) as { layers: Array<{ mediaType: string }> };
  assert.deepEqual(m.layers.map((l) => l.mediaType), ['application/vnd.oci.image.layer.v1.tar+zstd', 'application/vnd.oci.image.layer.v1.tar+zstd']);
  const ref = `oci://${reg.host}/zstd/two:v2`;
  const first = await pull(ref);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /image has 2 layers; extracted layer 0 \(application\/vnd\.oci\.image\.layer\.v1\.tar\+zstd, \d+ B\), 1 not extracted/);
  assert.match(first.stderr, /zstd-compressed tar \(decoded by (node:zlib|fzstd)\)/);
  assert.deepEqual(await tree(first.out), { 'app/a.yaml': A });
  assert.deepEqual(Object.keys(first.json!.layer).sort(), ['digest', 'index', 'mediaType', 'size']);
  assert.equal(first.json!.layer.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
  const second = await pull(ref, '--layer', '1');
  assert.deepEqual(await tree(second.out), { 'app/b.yaml': B });
  assert.equal(second.json!.layer.index, 1);
  const both = await pull(ref, '--all-layers');
  assert.equal(both.code, 0, both.stderr);
  assert.deepEqual(await tree(both.out), { 'app/a.yaml': A, 'app/b.yaml': B });
  assert.equal(both.json!.layers?.length, 2);
});

test('podman save --format oci-dir: <dir>@tag=<ref.name> and the only image, with and without --all-layers', async () => {
  const byName = await pull(`${saved}@tag=localhost/two:v2`, '--oci-layout', '--all-layers');
  assert.equal(byName.code, 0, byName.stderr);
  assert.deepEqual(await tree(byName.out), { 'app/a.yaml': A, 'app/b.yaml': B });
  const only = await pull(saved, '--oci-layout', '--verbose');
  assert.equal(only.code, 0, only.stderr);
  assert.deepEqual(await tree(only.out), { 'app/a.yaml': A });
  assert.match(only.stderr, /image has 2 layers/);
  assert.match(only.stderr, /gzip-compressed tar/);
});
