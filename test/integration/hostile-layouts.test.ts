/**
 * Issue 13 §2: an OCI layout directory is untrusted input. The built CLI against a real registry:
 * symlinked blobs and index files, FIFOs and oversized index.json are refused (no hang, no byte of another
 * file uploaded); a right-size wrong-content blob is not "present" and is repaired by a copy; and 12 real
 * processes pushing (8 copying) into one layout at once all land.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { readdir, readFile, rename, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

const exec = promisify(execFile);
let reg: RunningRegistry;
let src: string;
/** A 5 MiB layer, so copies to a registry take the streamed (replayable layout file) path. */
let big: Buffer;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  src = await tempDir();
  big = randomBytes(5 * 1024 * 1024);
  await writeFile(join(src, 'random.bin'), big);
  await writeFile(join(src, 'app.yaml'), 'kind: ConfigMap\n');
});
after(async () => {
  await reg?.stop();
});

/** A fresh layout holding the test artifact under `v1`; returns its dir and the layer blob's path. */
async function layout(): Promise<{ dir: string; layer: string; size: number }> {
  const dir = join(await tempDir(), 'layout');
  const r = await ocipack(['push', `${dir}:v1`, '--oci-layout', '--path', src, '--reproducible', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const m = JSON.parse(await readFile(join(dir, 'blobs', 'sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string; size: number }> };
  const l = m.layers[0]!;
  return { dir, layer: join(dir, 'blobs', 'sha256', l.digest.slice(7)), size: l.size };
}

/** Every file under the registry's storage that contains `needle` (upload data included). */
async function storageHolding(needle: Buffer): Promise<string[]> {
  const hits: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && (await readFile(p)).includes(needle)) hits.push(p);
    }
  };
  await walk(reg.rootDir);
  return hits;
}

test('copy --from-oci-layout with a symlinked blob: refused, and no byte of the link target reaches the registry', async () => {
  const { dir, layer, size } = await layout();
  const secret = Buffer.concat([Buffer.from('PRIVATE-KEY-MATERIAL-'.repeat(4)), randomBytes(size - 84)]);
  const secretFile = join(await tempDir(), 'id_private');
  await writeFile(secretFile, secret);
  await rm(layer);
  await symlink(secretFile, layer);
  const r = await ocipack(['copy', `${dir}:v1`, `oci://${reg.host}/hostile/symlink:v1`, '--from-oci-layout']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /✗ .*blobs\/sha256\/[0-9a-f]{64} is a symbolic link, not a regular file; refusing to read it/);
  assert.ok(!r.stderr.includes(createHash('sha256').update(secret).digest('hex')), 'the error does not print the target file\'s digest');
  assert.deepEqual(await storageHolding(Buffer.from('PRIVATE-KEY-MATERIAL-')), []);
});

test('copy --from-oci-layout with a right-size, wrong-content blob: VERIFY, and its bytes never reach the registry', async () => {
  const { dir, layer } = await layout();
  const bytes = await readFile(layer);
  const marker = Buffer.from('TAMPERED-LAYER-BYTES-'.repeat(4));
  marker.copy(bytes, 1000);
  await writeFile(layer, bytes);
  const r = await ocipack(['copy', `${dir}:v1`, `oci://${reg.host}/hostile/tampered:v1`, '--from-oci-layout']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /✗ .*digest/);
  assert.deepEqual(await storageHolding(marker), []);
});

test('a right-size wrong-content blob in a destination layout is not "present": copy repairs it', async () => {
  const a = await layout();
  const dest = join(await tempDir(), 'dest');
  const first = await ocipack(['copy', `${a.dir}:v1`, `${dest}:v1`, '--from-oci-layout', '--to-oci-layout']);
  assert.equal(first.code, 0, first.stderr);
  const target = join(dest, 'blobs', 'sha256', a.layer.split('/').pop()!);
  const good = await readFile(target);
  const bad = Buffer.from(good);
  bad[100] = (bad[100] ?? 0) ^ 0xff;
  await writeFile(target, bad);
  const again = await ocipack(['copy', `${a.dir}:v1`, `${dest}:v1`, '--from-oci-layout', '--to-oci-layout', '--format', 'json']);
  assert.equal(again.code, 0, again.stderr);
  assert.ok((JSON.parse(again.stdout) as { copied: number }).copied >= 1);
  assert.deepEqual(await readFile(target), good, 'the bad blob was replaced');
  const pulled = join(await tempDir(), 'out');
  const p = await ocipack(['pull', `${dest}:v1`, '--oci-layout', '--output', pulled]);
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual(await readFile(join(pulled, 'random.bin')), big);
});

test('a FIFO index.json is refused at once (no hang); a FIFO or device blob too', async () => {
  const { dir, layer } = await layout();
  await rename(join(dir, 'index.json'), join(dir, 'index.json.real'));
  await exec('mkfifo', [join(dir, 'index.json')]);
  const r = await ocipack(['pull', `${dir}:v1`, '--oci-layout', '--output', join(await tempDir(), 'out')]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /index\.json is a FIFO, not a regular file/);
  await rm(join(dir, 'index.json'));
  await rename(join(dir, 'index.json.real'), join(dir, 'index.json'));
  await rm(layer);
  await exec('mkfifo', [layer]);
  const b = await ocipack(['pull', `${dir}:v1`, '--oci-layout', '--output', join(await tempDir(), 'out')]);
  assert.equal(b.code, 1, b.stderr);
  assert.match(b.stderr, /blobs\/sha256\/[0-9a-f]{64} is a FIFO, not a regular file/);
});

test('index.json or oci-layout as a symlink (to /dev/zero, to another layout) is refused; blobs/ as a symlink too', async () => {
  const { dir } = await layout();
  const other = await layout();
  await rename(join(dir, 'index.json'), join(dir, 'index.json.real'));
  await symlink('/dev/zero', join(dir, 'index.json'));
  const z = await ocipack(['list', dir, '--oci-layout']);
  assert.equal(z.code, 1, z.stderr);
  assert.match(z.stderr, /index\.json is a symbolic link, not a regular file/);
  await rm(join(dir, 'index.json'));
  await rename(join(dir, 'index.json.real'), join(dir, 'index.json'));

  await rename(join(dir, 'oci-layout'), join(dir, 'oci-layout.real'));
  await symlink(join(other.dir, 'oci-layout'), join(dir, 'oci-layout'));
  const m = await ocipack(['list', dir, '--oci-layout']);
  assert.equal(m.code, 1, m.stderr);
  assert.match(m.stderr, /oci-layout is a symbolic link, not a regular file/);
  await rm(join(dir, 'oci-layout'));
  await rename(join(dir, 'oci-layout.real'), join(dir, 'oci-layout'));

  await rm(join(dir, 'blobs'), { recursive: true });
  await symlink(join(other.dir, 'blobs'), join(dir, 'blobs'));
  const b = await ocipack(['pull', `${dir}:v1`, '--oci-layout', '--output', join(await tempDir(), 'out')]);
  assert.equal(b.code, 1, b.stderr);
  assert.match(b.stderr, /blobs is a symbolic link, not a directory/);
});

test('an index.json larger than the cap is refused without reading it all', async () => {
  const { dir } = await layout();
  await truncate(join(dir, 'index.json'), 64 * 1024 * 1024);
  const r = await ocipack(['list', dir, '--oci-layout']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /index\.json is larger than the 16777216-byte cap/);
});

/** Runs the CLI `n` times at once (real processes), each with its own args. */
function parallel(n: number, args: (i: number) => string[]): Promise<CliResult[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => ocipack(args(i))));
}

async function tagsIn(dir: string): Promise<string[]> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
  return index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'] ?? '').sort();
}

test('12 parallel `push --oci-layout` into one fresh directory all land (lock file), and no lock is left', async () => {
  const dir = join(await tempDir(), 'shared');
  const rs = await parallel(12, (i) => ['push', `${dir}:t${String(i).padStart(2, '0')}`, '--oci-layout', '--path', src, '--annotations', `n=${i}`]);
  for (const r of rs) assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await tagsIn(dir), Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`));
  assert.deepEqual((await readdir(dir)).sort(), ['blobs', 'index.json', 'oci-layout']);
});

test('8 parallel `copy --to-oci-layout` from the registry into one directory all land', async () => {
  const seed = await ocipack(['push', `oci://${reg.host}/par/app:base`, '--path', src, '--reproducible']);
  assert.equal(seed.code, 0, seed.stderr);
  for (let i = 0; i < 8; i++) {
    const t = await ocipack(['tag', `oci://${reg.host}/par/app:base`, '--tag', `c${i}`]);
    assert.equal(t.code, 0, t.stderr);
  }
  const dir = join(await tempDir(), 'copies');
  const rs = await parallel(8, (i) => ['copy', `oci://${reg.host}/par/app:c${i}`, `${dir}:c${i}`, '--to-oci-layout']);
  for (const r of rs) assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await tagsIn(dir), Array.from({ length: 8 }, (_, i) => `c${i}`));
});

test('a stale lock left by a killed writer (its pid is gone) does not block the next push', async () => {
  const { dir } = await layout();
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => dead.on('exit', r));
  await writeFile(join(dir, 'index.json.lock'), JSON.stringify({ pid: dead.pid, host: (await import('node:os')).hostname(), token: 'x' }));
  const r = await ocipack(['push', `${dir}:v2`, '--oci-layout', '--path', src]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await tagsIn(dir), ['v1', 'v2']);
  await assert.rejects(stat(join(dir, 'index.json.lock')));
});
