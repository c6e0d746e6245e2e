/** diff, build and inspect against the real distribution registry, GNU tar and skopeo (issue 4). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';

const exec = promisify(execFile);
let reg: Awaited<ReturnType<typeof startRegistry>>;
let pushed: { ref: string; digest: string };
let src: string;

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A tree with a nested file, an executable, an empty file, and files the default ignores drop. */
async function makeTree(root: string): Promise<void> {
  await mkdir(join(root, 'apps/base'), { recursive: true });
  await mkdir(join(root, '.git'), { recursive: true });
  await writeFile(join(root, 'apps/base/deploy.yaml'), 'kind: Deployment\n');
  await writeFile(join(root, 'apps/run.sh'), '#!/bin/sh\n');
  await chmod(join(root, 'apps/run.sh'), 0o755);
  await writeFile(join(root, 'empty.yaml'), '');
  await writeFile(join(root, 'logo.png'), 'png');
  await writeFile(join(root, '.git/HEAD'), 'ref: main\n');
}

/** Names, sizes, modes and mtimes of everything under root, to prove a command left it alone. */
async function fingerprint(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(root, { recursive: true })).sort()) {
    const s = await stat(join(root, name));
    out.push(`${name} ${s.size} ${s.mode.toString(8)} ${s.mtimeMs}`);
  }
  return out;
}

async function manifestOf(ref: string): Promise<{ layers: Array<{ digest: string; size: number }> }> {
  const r = await ocipack(['inspect', ref, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { layers: Array<{ digest: string; size: number }> };
}

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  src = await tempDir();
  await makeTree(src);
  const ref = `oci://${reg.host}/team/diff:v1`;
  const r = await ocipack(['push', ref, '--path', src, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  pushed = { ref, digest: (JSON.parse(r.stdout) as { digest: string }).digest };
});
after(async () => {
  await reg?.stop();
});

test('diff: the pushed tree is the same (exit 0, nothing on stdout); ignored files do not count', async () => {
  const r = await ocipack(['diff', pushed.ref, '--path', src]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /✔ no changes detected/);
  const j = await ocipack(['diff', pushed.ref, '--path', src, '--format', 'json']);
  assert.equal(j.code, 0, j.stderr);
  assert.deepEqual(JSON.parse(j.stdout), { reference: pushed.ref, digest: pushed.digest, path: src, differ: false, changes: [] });
});

test('diff: changed content, changed exec bit, added and removed files (exit 1); --brief; json', async () => {
  const dir = await tempDir();
  await makeTree(dir);
  await writeFile(join(dir, 'apps/base/deploy.yaml'), 'kind: StatefulSet\n');
  await chmod(join(dir, 'apps/run.sh'), 0o644);
  await rm(join(dir, 'empty.yaml'));
  await mkdir(join(dir, 'apps/new'));
  await writeFile(join(dir, 'apps/new/svc.yaml'), 'kind: Service\n');
  await writeFile(join(dir, 'more.png'), 'ignored');
  const r = await ocipack(['diff', pushed.ref, '--path', dir]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, 'changed apps/base/deploy.yaml\nadded apps/new/svc.yaml\nchanged apps/run.sh\nremoved empty.yaml\n');
  assert.match(r.stderr, /⚠ 4 path\(s\) differ/);

  const b = await ocipack(['diff', pushed.ref, '--path', dir, '--brief']);
  assert.equal(b.code, 1, b.stderr);
  assert.equal(b.stdout, `${pushed.ref} and ${dir} differ\n`);

  const j = await ocipack(['diff', pushed.ref, '--path', dir, '--format', 'json']);
  assert.equal(j.code, 1, j.stderr);
  const changes = (JSON.parse(j.stdout) as { changes: unknown[] }).changes;
  assert.deepEqual(changes, [
    { status: 'changed', path: 'apps/base/deploy.yaml', reason: 'content' },
    { status: 'added', path: 'apps/new/svc.yaml' },
    { status: 'changed', path: 'apps/run.sh', reason: 'mode' },
    { status: 'removed', path: 'empty.yaml' },
  ]);

  // --ignore-paths replaces the defaults: logo.png now counts as added, and so does .git/HEAD.
  const i = await ocipack(['diff', pushed.ref, '--path', src, '--ignore-paths', '*.tmp']);
  assert.equal(i.code, 1, i.stderr);
  assert.equal(i.stdout, 'added .git/HEAD\nadded logo.png\n');
  const a = await ocipack(['diff', pushed.ref, '--path', dir, '--add-ignore-paths', 'apps/,empty.yaml']);
  assert.equal(a.code, 1, a.stderr);
  assert.equal(a.stdout, 'removed apps/base/deploy.yaml\nremoved apps/run.sh\nremoved empty.yaml\n');
});

test('diff: any trouble is exit 2 (missing tag, bad reference, missing path, unknown flag, digest mismatch)', async () => {
  const missing = await ocipack(['diff', `oci://${reg.host}/team/diff:nope`, '--path', src]);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /✗ .*nope/);
  const badRef = await ocipack(['diff', 'oci://Bad/Ref', '--path', src]);
  assert.equal(badRef.code, 2);
  const noPath = await ocipack(['diff', pushed.ref, '--path', join(src, 'nothing-here')]);
  assert.equal(noPath.code, 2);
  assert.match(noPath.stderr, /does not exist/);
  const noFlag = await ocipack(['diff', pushed.ref]);
  assert.equal(noFlag.code, 2);
  const unknown = await ocipack(['diff', pushed.ref, '--path', src, '--nope']);
  assert.equal(unknown.code, 2);
  const down = await ocipack(['diff', 'oci://127.0.0.1:1/team/diff:v1', '--path', src, '--timeout', '10s']);
  assert.equal(down.code, 2, down.stderr);

  // A layout whose layer blob was tampered with: the digest check fails, which is exit 2 here, not 3.
  const layout = join(await tempDir(), 'store');
  const p = await ocipack(['push', `${layout}:v1`, '--oci-layout', '--path', src]);
  assert.equal(p.code, 0, p.stderr);
  const layer = await layoutManifest(layout);
  const blob = join(layout, 'blobs/sha256', layer.layers[0]!.digest.slice(7));
  const bytes = await readFile(blob);
  bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff;
  await chmod(blob, 0o644);
  await writeFile(blob, bytes);
  const t = await ocipack(['diff', `${layout}:v1`, '--oci-layout', '--path', src]);
  assert.equal(t.code, 2, t.stderr);
});

test('diff works on an artifact another tool made: GNU tar layer, pushed by skopeo', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'tree/sub'), { recursive: true });
  await writeFile(join(dir, 'tree/a.yaml'), 'a: 1\n');
  await writeFile(join(dir, 'tree/sub/tool'), 'run\n');
  await chmod(join(dir, 'tree/sub/tool'), 0o775);
  await chmod(join(dir, 'tree/a.yaml'), 0o664);
  // GNU tar: `./`-prefixed names, real owners and mtimes, group-write bits.
  await exec('tar', ['-czf', join(dir, 'layer.tgz'), '-C', join(dir, 'tree'), '.']);
  const layerBytes = await readFile(join(dir, 'layer.tgz'));
  const layout = join(dir, 'layout');
  await writeLayout(layout, layerBytes);
  await exec('skopeo', ['--insecure-policy', 'copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${reg.host}/other/tool:v1`], { env: { ...process.env, HOME: dir } });

  const same = await ocipack(['diff', `oci://${reg.host}/other/tool:v1`, '--path', join(dir, 'tree')]);
  assert.equal(same.code, 0, same.stdout + same.stderr);
  await chmod(join(dir, 'tree/sub/tool'), 0o664);
  await writeFile(join(dir, 'tree/b.yaml'), 'b\n');
  const diff = await ocipack(['diff', `oci://${reg.host}/other/tool:v1`, '--path', join(dir, 'tree')]);
  assert.equal(diff.code, 1, diff.stderr);
  assert.equal(diff.stdout, 'added b.yaml\nchanged sub/tool\n');
  const viaLayout = await ocipack(['diff', `${layout}:v1`, '--oci-layout', '--path', join(dir, 'tree'), '--brief']);
  assert.equal(viaLayout.code, 1, viaLayout.stderr);
});

test('build writes exactly the layer push uploaded, atomically, without touching the source tree', async () => {
  const before = await fingerprint(src);
  const outDir = await tempDir();
  const out = join(outDir, 'artifact.tgz');
  await writeFile(out, 'old content');
  const r = await ocipack(['build', '--path', src, '-o', out, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /✔ artifact successfully built at /);
  const built = await readFile(out);
  const info = JSON.parse(r.stdout) as { digest: string; size: number; diffId: string };
  const layer = (await manifestOf(pushed.ref)).layers[0]!;
  assert.equal(sha256(built), layer.digest);
  assert.equal(built.length, layer.size);
  assert.equal(info.digest, layer.digest);
  const blob = await fetch(`${reg.url}/v2/team/diff/blobs/${layer.digest}`);
  assert.deepEqual(Buffer.from(await blob.arrayBuffer()), built);
  assert.deepEqual(await fingerprint(src), before, 'source tree unchanged');
  assert.deepEqual(await readdir(outDir), ['artifact.tgz'], 'no temp file left beside the output');
  // --path - packs one file read from stdin, as push does: stdin.yaml (kustomize-controller reads *.yaml), bytes kept.
  const input = 'a: 1\r\n\u00e9\u0000tail-without-newline';
  const one = await ocipack(['build', '--path', '-', '-o', join(outDir, 'one.tgz')], { input });
  assert.equal(one.code, 0, one.stderr);
  const list = await exec('tar', ['-tzvf', join(outDir, 'one.tgz')]);
  assert.match(list.stdout, / stdin\.yaml$/m);
  assert.equal((await exec('tar', ['-xzOf', join(outDir, 'one.tgz'), 'stdin.yaml'])).stdout, input);
  const named = await ocipack(['build', '-f', '-', '--stdin-name', 'prod.yml', '-o', join(outDir, 'two.tgz')], { input });
  assert.equal(named.code, 0, named.stderr);
  assert.match((await exec('tar', ['-tzf', join(outDir, 'two.tgz')])).stdout, /^prod\.yml$/m);
});

test('build: bad input is exit 2 and writes nothing', async () => {
  const outDir = await tempDir();
  const cases: Array<[string[], RegExp]> = [
    [['build', '-o', join(outDir, 'a.tgz')], /--path is required/],
    [['build', '--path', join(src, 'missing'), '-o', join(outDir, 'a.tgz')], /does not exist/],
    [['build', '--path', src, '-o', join(outDir, 'no/such/dir/a.tgz')], /does not exist/],
    [['build', '--path', src, '-o', outDir], /is a directory/],
  ];
  for (const [args, msg] of cases) {
    const r = await ocipack(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
  }
  assert.deepEqual(await readdir(outDir), []);
  // A FIFO (like a device) at the output path is refused, not replaced by the rename into place.
  const fifoDir = await tempDir();
  const fifo = join(fifoDir, 'out.tgz');
  execFileSync('mkfifo', [fifo]);
  const r = await ocipack(['build', '--path', src, '-o', fifo]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--output .* is not a regular file/);
  assert.ok((await lstat(fifo)).isFIFO());
  assert.deepEqual(await readdir(fifoDir), ['out.tgz']);
});

test('inspect: --raw prints the served bytes (they hash to the digest); human and json summaries', async () => {
  const raw = await ocipack(['inspect', pushed.ref, '--raw']);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(sha256(Buffer.from(raw.stdout)), pushed.digest);
  const served = await fetch(`${reg.url}/v2/team/diff/manifests/v1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(raw.stdout, await served.text());

  const human = await ocipack(['inspect', pushed.ref]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`^Digest: +${pushed.digest}$`, 'm'));
  assert.match(human.stdout, /^Media type: +application\/vnd\.oci\.image\.manifest\.v1\+json$/m);
  assert.match(human.stdout, /^Config: +application\/vnd\.cncf\.flux\.config\.v1\+json sha256:[0-9a-f]{64} \(\d+ B\)$/m);
  assert.match(human.stdout, /^ {2}0 {2}application\/vnd\.cncf\.flux\.content\.v1\.tar\+gzip {2}sha256:[0-9a-f]{64} {2}\d+ B/m);
  assert.match(human.stdout, /^ {2}org\.opencontainers\.image\.created: /m);

  const j = await ocipack(['inspect', `oci://${reg.host}/team/diff@${pushed.digest}`, '-o', 'json']);
  assert.equal(j.code, 0, j.stderr);
  const m = JSON.parse(j.stdout) as Record<string, unknown>;
  assert.equal(m.reference, `${reg.host}/team/diff@${pushed.digest}`);
  assert.equal(m.digest, pushed.digest);
  assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(m.artifactType, 'application/vnd.cncf.flux.config.v1+json');
  assert.equal((m.config as { mediaType: string }).mediaType, 'application/vnd.cncf.flux.config.v1+json');
  assert.equal((m.layers as unknown[]).length, 1);
  assert.ok(typeof (m.annotations as Record<string, string>)['org.opencontainers.image.created'] === 'string');
  assert.equal('raw' in m, false);

  const both = await ocipack(['inspect', pushed.ref, '--raw', '-o', 'json']);
  assert.equal(both.code, 2);
  const missing = await ocipack(['inspect', `oci://${reg.host}/team/diff:nope`]);
  assert.equal(missing.code, 1);
});

test('inspect an index and an --oci-layout reference', async () => {
  const layout = join(await tempDir(), 'store');
  const p = await ocipack(['push', `${layout}:v1`, '--oci-layout', '--path', src, '--format', 'json']);
  assert.equal(p.code, 0, p.stderr);
  const digest = (JSON.parse(p.stdout) as { digest: string }).digest;
  const raw = await ocipack(['inspect', `${layout}:v1`, '--oci-layout', '--raw']);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(sha256(Buffer.from(raw.stdout)), digest);

  const index = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: pushed.digest, size: (await manifestRaw(pushed.ref)).length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }],
    annotations: { 'org.example': 'multi' },
  });
  const put = await fetch(`${reg.url}/v2/team/diff/manifests/idx`, { method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: index });
  assert.equal(put.status, 201);
  const human = await ocipack(['inspect', `oci://${reg.host}/team/diff:idx`]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^Media type: +application\/vnd\.oci\.image\.index\.v1\+json$/m);
  assert.match(human.stdout, new RegExp(`^ {2}0 {2}linux/arm64/v8 {2}application/vnd\\.oci\\.image\\.manifest\\.v1\\+json {2}${pushed.digest}`, 'm'));
  assert.match(human.stdout, /^ {2}org\.example: multi$/m);
});

async function manifestRaw(ref: string): Promise<Buffer> {
  const r = await ocipack(['inspect', ref, '--raw']);
  assert.equal(r.code, 0, r.stderr);
  return Buffer.from(r.stdout);
}

async function layoutManifest(layout: string): Promise<{ layers: Array<{ digest: string; size: number }> }> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  return JSON.parse(await readFile(join(layout, 'blobs/sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string; size: number }> };
}

/** An OCI layout holding `layer` as an ordinary image layer with a minimal image config, tagged v1. */
async function writeLayout(dir: string, layer: Buffer): Promise<void> {
  const blobs = join(dir, 'blobs/sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (b: Buffer): Promise<string> => {
    const d = sha256(b);
    await writeFile(join(blobs, d.slice(7)), b);
    return d;
  };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await put(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await put(layer), size: layer.length }],
  }));
  const md = await put(manifest);
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }],
  }));
}
