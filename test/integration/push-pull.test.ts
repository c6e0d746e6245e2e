/** The walking skeleton end to end: the built CLI against a real distribution registry, skopeo for interop. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, stat, symlink, utimes, writeFile, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';

const exec = promisify(execFile);
let reg: Awaited<ReturnType<typeof startRegistry>>;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
});
after(async () => {
  await reg?.stop();
});

/** A tree with nested dirs, a unicode name, an executable, an empty file, ignored files and a symlink. */
async function makeTree(root: string, mtime: Date): Promise<void> {
  await mkdir(join(root, 'apps/base/nested'), { recursive: true });
  await mkdir(join(root, '.git'), { recursive: true });
  await writeFile(join(root, 'apps/base/deploy.yaml'), 'apiVersion: apps/v1\nkind: Deployment\n');
  await writeFile(join(root, 'apps/base/nested/ünïcødé-名前.yaml'), 'kind: ConfigMap\n');
  await writeFile(join(root, 'apps/run.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'apps/run.sh'), 0o755);
  await writeFile(join(root, 'empty.yaml'), '');
  await writeFile(join(root, 'logo.png'), 'not really a png');
  await writeFile(join(root, '.git/config'), '[core]\n');
  await symlink('apps/base/deploy.yaml', join(root, 'link.yaml'));
  for (const p of ['apps/base/deploy.yaml', 'apps/run.sh', 'empty.yaml', 'apps/base/nested/ünïcødé-名前.yaml']) {
    await utimes(join(root, p), mtime, mtime);
  }
}

/** Relative path → content hash + exec bit, for every regular file under root. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string, rel: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const s = await lstat(abs);
      if (s.isDirectory()) await walk(abs, r);
      else if (s.isSymbolicLink()) out[r] = 'SYMLINK';
      else out[r] = createHash('sha256').update(await readFile(abs)).digest('hex') + ((s.mode & 0o100) ? ' x' : '');
    }
  }
  await walk(root, '');
  return out;
}

test('push then pull round trip through the registry keeps content and exec bits, skips ignored files and symlinks', async () => {
  const src = await tempDir();
  await makeTree(src, new Date('2020-01-01T00:00:00Z'));
  const ref = `oci://${reg.host}/team/app:v1`;
  const pushed = await ocipack(['push', ref, '--path', src, '--source', 'https://example.com/repo', '--revision', 'main@sha1:abc', '-o', 'json']);
  assert.equal(pushed.code, 0, pushed.stderr);
  const info = JSON.parse(pushed.stdout) as { url: string; tagUrl: string; repository: string; tag: string; digest: string };
  assert.match(info.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(info.url, `oci://${reg.host}/team/app@${info.digest}`, 'flux prints the digest URL');
  assert.equal(info.tagUrl, `oci://${reg.host}/team/app:v1`);
  assert.equal(info.repository, `${reg.host}/team/app`);
  assert.equal(info.tag, 'v1');
  assert.match(info.digest, /^sha256:[0-9a-f]{64}$/);
  assert.match(pushed.stderr, /⚠ .*link\.yaml/);
  assert.match(pushed.stderr, new RegExp(`✔ artifact successfully pushed to ${reg.host}/team/app@${info.digest}`));

  const out = join(await tempDir(), 'out');
  const pulled = await ocipack(['pull', ref, '--output', out, '--format', 'json']);
  assert.equal(pulled.code, 0, pulled.stderr);
  const p = JSON.parse(pulled.stdout) as Record<string, string>;
  assert.equal(p.digest, info.digest);
  assert.equal(p.source, 'https://example.com/repo');
  assert.equal(p.revision, 'main@sha1:abc');
  assert.match(pulled.stderr, /✔ revision main@sha1:abc/);

  const want = await snapshot(src);
  delete want['logo.png'];
  delete want['.git/config'];
  delete want['link.yaml'];
  assert.deepEqual(await snapshot(out), want);
  assert.ok(want['apps/run.sh']?.endsWith(' x'));
});

test('the manifest is Flux\'s format: media types, config with diff_ids, annotations', async () => {
  const src = await tempDir();
  await writeFile(join(src, 'a.yaml'), 'a: 1\n');
  const r = await ocipack(['push', `${reg.host}/fmt/app:t`, '-f', src, '--source', 's', '--revision', 'r', '-a', 'team=x=y', '--reproducible', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const { digest } = JSON.parse(r.stdout) as { digest: string };
  const res = await fetch(`${reg.url}/v2/fmt/app/manifests/${digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, digest);
  const m = JSON.parse(bytes.toString()) as { mediaType: string; config: { mediaType: string; digest: string }; layers: { mediaType: string }[]; annotations: Record<string, string> };
  assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(m.config.mediaType, 'application/vnd.cncf.flux.config.v1+json');
  assert.equal(m.layers.length, 1);
  assert.equal(m.layers[0]!.mediaType, 'application/vnd.cncf.flux.content.v1.tar+gzip');
  assert.deepEqual(m.annotations, {
    'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
    'org.opencontainers.image.source': 's',
    'org.opencontainers.image.revision': 'r',
    team: 'x=y',
  });
  const cfg = await (await fetch(`${reg.url}/v2/fmt/app/blobs/${m.config.digest}`)).text();
  assert.match(cfg, /^\{"architecture":"","created":"1970-01-01T00:00:00Z","history":\[\{"created":"0001-01-01T00:00:00Z"\}\],"os":"","rootfs":\{"type":"layers","diff_ids":\["sha256:[0-9a-f]{64}"\]\},"config":\{\}\}$/);
});

test('--reproducible gives the same digest for the same tree with other mtimes and umask', async () => {
  const a = await tempDir();
  const b = await tempDir();
  await makeTree(a, new Date('2001-01-01T00:00:00Z'));
  await makeTree(b, new Date('2024-06-06T06:06:06Z'));
  await chmod(join(b, 'apps/base/deploy.yaml'), 0o600);
  await chmod(join(b, 'apps/run.sh'), 0o700);
  await chmod(join(b, 'apps/base'), 0o700);
  const ra = await ocipack(['push', `${reg.host}/repro/app:a`, '-f', a, '--reproducible', '-o', 'json']);
  const rb = await ocipack(['push', `${reg.host}/repro/app:b`, '-f', b, '--reproducible', '-o', 'json']);
  assert.equal(ra.code, 0, ra.stderr);
  assert.equal(rb.code, 0, rb.stderr);
  assert.equal(JSON.parse(ra.stdout).digest, JSON.parse(rb.stdout).digest);
});

test('skopeo copies what we pushed into an OCI layout, byte for byte', async () => {
  const src = await tempDir();
  await writeFile(join(src, 'x.yaml'), 'x: 1\n');
  const r = await ocipack(['push', `${reg.host}/interop/app:v1`, '-f', src, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const { digest } = JSON.parse(r.stdout) as { digest: string };
  const layout = join(await tempDir(), 'layout');
  await exec('skopeo', ['copy', '--src-tls-verify=false', `docker://${reg.host}/interop/app:v1`, `oci:${layout}:v1`]);
  const { stdout } = await exec('skopeo', ['inspect', '--raw', `oci:${layout}:v1`], { encoding: 'buffer' });
  assert.equal(`sha256:${createHash('sha256').update(stdout).digest('hex')}`, digest);
});

test('we pull a plain OCI image that skopeo pushed from a hand-made layout (empty config, no Flux annotations)', async () => {
  const work = await tempDir();
  const content = join(work, 'content');
  await mkdir(join(content, 'sub'), { recursive: true });
  await writeFile(join(content, 'sub/hello.txt'), 'hello from skopeo\n');
  const layer = join(work, 'layer.tar.gz');
  await exec('tar', ['-czf', layer, '-C', content, '.']);
  const layerBytes = await readFile(layer);
  const layout = join(work, 'layout');
  await mkdir(join(layout, 'blobs/sha256'), { recursive: true });
  const put = async (b: Buffer) => {
    const hex = createHash('sha256').update(b).digest('hex');
    await writeFile(join(layout, 'blobs/sha256', hex), b);
    return `sha256:${hex}`;
  };
  const config = Buffer.from('{}');
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: await put(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await put(layerBytes), size: layerBytes.length }],
  }));
  const md = await put(manifest);
  await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }],
  }));
  await exec('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${reg.host}/foreign/img:v1`]);
  const out = join(work, 'out');
  const r = await ocipack(['pull', `oci://${reg.host}/foreign/img:v1`, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(join(out, 'sub/hello.txt'), 'utf8'), 'hello from skopeo\n');
});

test('--oci-layout push needs no registry and skopeo reads the layout', async () => {
  const src = await tempDir();
  await writeFile(join(src, 'cm.yaml'), 'kind: ConfigMap\n');
  const layout = join(await tempDir(), 'store');
  const r = await ocipack(['push', `${layout}:v2`, '--oci-layout', '-f', src, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const { digest } = JSON.parse(r.stdout) as { digest: string };
  const { stdout } = await exec('skopeo', ['inspect', '--raw', `oci:${layout}:v2`], { encoding: 'buffer' });
  assert.equal(`sha256:${createHash('sha256').update(stdout).digest('hex')}`, digest);
  const out = join(await tempDir(), 'o');
  const p = await ocipack(['pull', `${layout}:v2`, '--oci-layout', '-o', out]);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(await readFile(join(out, 'cm.yaml'), 'utf8'), 'kind: ConfigMap\n');
  assert.ok((await stat(join(layout, 'oci-layout'))).isFile());
});

test('bad input: malformed reference and missing --path are exit 2 before any network call; a missing tag is exit 1', async () => {
  const src = await tempDir();
  const bad = await ocipack(['push', 'oci://127.0.0.1:1/UPPER/case:v1', '-f', src]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^✗ .*lowercase/m);
  const noPath = await ocipack(['push', 'oci://127.0.0.1:1/x/y:v1']);
  assert.equal(noPath.code, 2);
  assert.match(noPath.stderr, /--path/);
  const missing = await ocipack(['pull', `oci://${reg.host}/nope/nothing:v9`, '-o', join(src, 'out')]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim().split('\n').filter((l) => l.startsWith('✗')).length, 1);
  await assert.rejects(stat(join(src, 'out')));
});
