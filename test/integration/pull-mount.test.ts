/**
 * Pull where containers put the output (issue 25, SPEC §5): a target that is a mount point (a Docker
 * volume, a Kubernetes emptyDir — here a real tmpfs), a bind mount of the same filesystem, a read-only
 * parent (readOnlyRootFilesystem — a read-only bind mount), and a non-root user under a root-owned
 * directory. Staging goes inside the target there; every mode keeps its guarantees: merge, --clean,
 * rollback, a failure leaves the target byte-identical, a killed run's staging is removed by the next pull.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, ocipack, runProcess, tempDir, type CliResult } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/faultproxy.js';
import { artifactFor, listing, pushRaw, snapshot, tgz } from '../helpers/hostile.js';
import { buildTar, dir, file } from '../helpers/tarbuilder.js';
import { asNobody, bindMount, makeReadOnly, mountTmpfs, unmountAll } from '../helpers/mounts.js';

let reg: RunningRegistry;
let proxy: FaultProxy;
let ref: string;
const BLOB = /\/blobs\/sha256:/;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  proxy = await startFaultProxy({ upstream: reg.host });
  await pushRaw(reg.url, 'mount/app', 'v1', artifactFor(tgz([dir('deploy/'), file('deploy/app.yaml', 'new: true\n'), file('new.txt', 'n')])));
  ref = `oci://${reg.host}/mount/app:v1`;
});
after(async () => {
  unmountAll();
  await proxy?.close();
  await reg?.stop();
});

/** The user's files: a git-like tree, a file the artifact replaces, two it does not hold. */
async function fill(out: string): Promise<void> {
  await mkdir(join(out, '.git/refs'), { recursive: true });
  await writeFile(join(out, '.git/HEAD'), 'ref: refs/heads/main\n');
  await writeFile(join(out, 'keep.txt'), 'mine');
  await mkdir(join(out, 'deploy'), { recursive: true });
  await writeFile(join(out, 'deploy/app.yaml'), 'old: true\n');
}

/** `parent/out` as a tmpfs mount point holding the user's files; undefined (the test skipped) when it cannot be made. */
async function mountPoint(t: TestContext): Promise<{ parent: string; out: string } | undefined> {
  const parent = await tempDir('ocipack-mount-');
  const out = join(parent, 'out');
  await mkdir(out);
  const skip = mountTmpfs(out);
  if (skip) return void t.skip(skip);
  await fill(out);
  return { parent, out };
}

/** Nothing of ocipack's is left beside or inside the target. */
async function noLeftovers(parent: string, out: string): Promise<void> {
  assert.deepEqual((await readdir(parent)).filter((n) => n.includes('.ocipack-')), []);
  assert.deepEqual((await readdir(out)).filter((n) => n.includes('.ocipack-')), []);
}

function oneError(r: CliResult, code: number, message: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('✗'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, message);
}

const MERGED = ['.git/', '.git/HEAD', '.git/refs/', 'deploy/', 'deploy/app.yaml', 'keep.txt', 'new.txt'];

test('a tmpfs mount point as the output: merge and --clean work in place and say what they did', async (t) => {
  const m = await mountPoint(t);
  if (!m) return;
  const dev = (await lstat(m.out)).dev;
  const merged = await ocipack(['pull', ref, '-o', m.out, '--format', 'json']);
  assert.equal(merged.code, 0, merged.stderr);
  assert.deepEqual(await listing(m.out), MERGED);
  assert.equal(await readFile(join(m.out, 'deploy/app.yaml'), 'utf8'), 'new: true\n');
  assert.match(merged.stderr, /extracted to .* \(files: 1 added, 1 replaced, 2 kept from before\)/);
  const doc = JSON.parse(merged.stdout) as Record<string, unknown>;
  assert.deepEqual([doc.filesAdded, doc.filesReplaced, doc.filesKept, doc.filesRemoved], [1, 1, 2, 0]);
  await noLeftovers(m.parent, m.out);

  const clean = await ocipack(['pull', ref, '-o', m.out, '--clean', '--format', 'json']);
  assert.equal(clean.code, 0, clean.stderr);
  assert.deepEqual(await listing(m.out), ['deploy/', 'deploy/app.yaml', 'new.txt']);
  assert.match(clean.stderr, /\(files: 0 added, 2 replaced, 2 removed\)/);
  const cdoc = JSON.parse(clean.stdout) as Record<string, unknown>;
  assert.deepEqual([cdoc.filesAdded, cdoc.filesReplaced, cdoc.filesKept, cdoc.filesRemoved], [0, 2, 0, 2]);
  assert.equal((await lstat(m.out)).dev, dev, 'still the mounted filesystem');
  await noLeftovers(m.parent, m.out);
});

test('-o . inside a mount point (the working directory is the volume)', async (t) => {
  const m = await mountPoint(t);
  if (!m) return;
  const r = await ocipack(['pull', ref, '-o', '.'], { cwd: m.out });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await listing(m.out), MERGED);
  await noLeftovers(m.parent, m.out);
});

for (const clean of [false, true]) {
  test(`a digest mismatch into a mount point${clean ? ' (--clean)' : ''}: exit 3, the target byte-identical, no staging`, async (t) => {
    const m = await mountPoint(t);
    if (!m) return;
    await pushRaw(reg.url, 'mount/mismatch', 'v1', artifactFor(buildTar([file('a.txt', 'A'.repeat(4096)), file('keep.txt', 'theirs')])));
    proxy.script([{ method: 'GET', path: BLOB, action: { flipByte: 600 } }]);
    const before = await snapshot(m.out);
    const r = await ocipack(['pull', `oci://${proxy.host}/mount/mismatch:v1`, '-o', m.out, ...(clean ? ['--clean'] : [])]);
    oneError(r, 3, /digest|sha256/i);
    assert.ok(proxy.log.some((l) => l.fault === 'flipByte'), 'the flipped blob was served');
    proxy.script([]);
    assert.deepEqual(await snapshot(m.out), before);
    await noLeftovers(m.parent, m.out);
  });
}

test('a failure in the middle of the moves into a mount point rolls back (--clean)', async (t) => {
  const m = await mountPoint(t);
  if (!m) return;
  await pushRaw(reg.url, 'mount/locked', 'v1', artifactFor(tgz([file('keep.txt', 'theirs'), dir('zz/'), file('zz/new.txt', 'z')])));
  await mkdir(join(m.out, 'zz'));
  await writeFile(join(m.out, 'zz/locked.txt'), 'locked');
  if (spawnSync('chattr', ['+i', join(m.out, 'zz')]).status !== 0) return t.skip('chattr +i is not available on tmpfs here');
  try {
    const before = await snapshot(m.out);
    const r = await ocipack(['pull', `oci://${reg.host}/mount/locked:v1`, '-o', m.out, '--clean']);
    oneError(r, 1, /cannot move the extracted files into .*EPERM.*left as it was/);
    assert.deepEqual(await snapshot(m.out), before);
    await noLeftovers(m.parent, m.out);
  } finally {
    spawnSync('chattr', ['-i', join(m.out, 'zz')]);
  }
});

test('a killed run\'s staging inside a mount point is removed by the next pull; a live run\'s survives even --clean', async (t) => {
  const m = await mountPoint(t);
  if (!m) return;
  const dead = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString();
  const stale = `.ocipack-staging-${dead}-0123456789ab`;
  const live = `.ocipack-staging-${process.pid}-0123456789ab`;
  for (const d of [stale, live]) {
    await mkdir(join(m.out, d, 'sub'), { recursive: true });
    await writeFile(join(m.out, d, 'sub/half.bin'), 'half');
  }
  const r = await ocipack(['pull', ref, '-o', m.out, '--clean']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await listing(m.out), [`${live}/`, `${live}/sub/`, `${live}/sub/half.bin`, 'deploy/', 'deploy/app.yaml', 'new.txt']);
});

test('a bind mount of the same filesystem (same st_dev, renames across it fail with EXDEV): staging goes inside', async (t) => {
  const parent = await tempDir('ocipack-mount-');
  const out = join(parent, 'out');
  await mkdir(out);
  await mkdir(join(parent, 'src'));
  const skip = bindMount(join(parent, 'src'), out);
  if (skip) return t.skip(skip);
  await fill(out);
  assert.equal((await lstat(out)).dev, (await lstat(parent)).dev, 'one filesystem');
  const r = await ocipack(['pull', ref, '-o', out, '--clean']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await listing(out), ['deploy/', 'deploy/app.yaml', 'new.txt']);
  await noLeftovers(parent, out);
});

test('a read-only parent (readOnlyRootFilesystem) with a writable output: pull works; a new output there names the parent', async (t) => {
  const parent = await tempDir('ocipack-mount-');
  const out = join(parent, 'out');
  await mkdir(out);
  const writable = await tempDir('ocipack-mount-');
  await fill(writable);
  // The parent read-only, the output a writable bind mount of a directory of the same filesystem.
  const skip = makeReadOnly(parent) ?? bindMount(writable, out);
  if (skip) return t.skip(skip);
  assert.equal((await lstat(out)).dev, (await lstat(parent)).dev, 'one filesystem: only trying tells');
  const r = await ocipack(['pull', ref, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await listing(out), MERGED);
  await noLeftovers(parent, out);

  const fresh = await ocipack(['pull', ref, '-o', join(parent, 'new')]);
  oneError(fresh, 1, new RegExp(`cannot write in "${parent}".*EROFS`));
  assert.match(fresh.stderr, new RegExp(`hint: ${parent} is on a read-only filesystem`));
});

test('a non-root user under a root-owned directory: pull into the user\'s own output works (staging inside)', async (t) => {
  const who = asNobody();
  if ('skip' in who) return t.skip(who.skip);
  const parent = await tempDir('ocipack-mount-');
  await chmod(parent, 0o755);
  const out = join(parent, 'out');
  const home = join(parent, 'home');
  for (const d of [out, home]) {
    await mkdir(d);
    await chown(d, 65534, 65534);
  }
  const env = { PATH: process.env.PATH ?? '', HOME: home, NO_COLOR: '1' };
  const r = await runProcess('setpriv', [...who.prefix, process.execPath, BIN, 'pull', ref, '-o', out], { env });
  if (r.code !== 0 && /EACCES.*(ocipack\.cjs|node_modules|dist)/.test(r.stderr)) return t.skip('uid 65534 cannot read the built CLI here');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await listing(out), ['deploy/', 'deploy/app.yaml', 'new.txt']);
  assert.equal((await lstat(join(out, 'new.txt'))).uid, 65534);
  await noLeftovers(parent, out);
});
