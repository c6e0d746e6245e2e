/**
 * The one-pass pull (issue 16 §1, SPEC §5) and "extraction never destroys what the user had" (issue 13
 * §3): the built CLI pulls from the real registry, through the fault proxy where a wire fault is needed,
 * into targets that already hold the user's files. Every failure must leave the target byte-identical
 * (same names, bytes, modes and inodes) and no staging directory beside it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/faultproxy.js';
import { artifactFor, listing, pushRaw, snapshot, tgz } from '../helpers/hostile.js';
import { buildTar, dir, file } from '../helpers/tarbuilder.js';

let reg: RunningRegistry;
let proxy: FaultProxy;
const BLOB = /\/blobs\/sha256:/;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  proxy = await startFaultProxy({ upstream: reg.host });
});
after(async () => {
  await proxy?.close();
  await reg?.stop();
});

/** A parent dir with `out/` holding a git-like tree and a file; returns paths. */
async function userTarget(): Promise<{ parent: string; out: string }> {
  const parent = await tempDir('ocipack-stage-');
  const out = join(parent, 'out');
  await mkdir(join(out, '.git/refs'), { recursive: true });
  await writeFile(join(out, '.git/HEAD'), 'ref: refs/heads/main\n');
  await writeFile(join(out, 'keep.txt'), 'mine');
  await mkdir(join(out, 'deploy'));
  await writeFile(join(out, 'deploy/app.yaml'), 'old: true\n');
  await writeFile(join(out, 'conf'), 'a file');
  return { parent, out };
}

async function publish(slug: string, layer: Buffer): Promise<string> {
  await pushRaw(reg.url, `stage/${slug}`, 'v1', artifactFor(layer));
  return `oci://${reg.host}/stage/${slug}:v1`;
}

function oneError(r: CliResult, code: number, message: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('✗'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, message);
}

async function noStaging(parent: string): Promise<void> {
  assert.deepEqual((await readdir(parent)).filter((n) => n.includes('.ocipack-')), []);
}

test('an entry ".git" (a file) over a .git directory is refused naming it; the target is untouched; --overwrite-dirs replaces it', async () => {
  const ref = await publish('git-file', tgz([file('.git', 'gitdir: /elsewhere\n'), file('deploy/app.yaml', 'new: true\n')]));
  const { parent, out } = await userTarget();
  const before = await snapshot(out);
  const r = await ocipack(['pull', ref, '-o', out]);
  oneError(r, 1, /refusing to replace directory "\.git" with a file/);
  assert.match(r.stderr, /--overwrite-dirs/);
  assert.deepEqual(await snapshot(out), before);
  await noStaging(parent);

  const forced = await ocipack(['pull', ref, '-o', out, '--overwrite-dirs']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(await readFile(join(out, '.git'), 'utf8'), 'gitdir: /elsewhere\n');
  assert.equal(await readFile(join(out, 'keep.txt'), 'utf8'), 'mine');
  await noStaging(parent);
});

test('a directory entry over a file of the target is refused naming it (the reverse conflict)', async () => {
  const ref = await publish('dir-over-file', tgz([dir('conf/'), file('conf/x.yaml', 'x')]));
  const { parent, out } = await userTarget();
  const before = await snapshot(out);
  const r = await ocipack(['pull', ref, '-o', out]);
  oneError(r, 1, /refusing to replace file "conf" with a directory/);
  assert.deepEqual(await snapshot(out), before);
  await noStaging(parent);
});

test('merge keeps the user\'s other files; --clean makes the target exactly the artifact, in place', async () => {
  const ref = await publish('clean', tgz([dir('deploy/'), file('deploy/app.yaml', 'new: true\n'), file('new.txt', 'n')]));
  const { parent, out } = await userTarget();
  const ino = (await lstat(out)).ino;
  const merged = await ocipack(['pull', ref, '-o', out]);
  assert.equal(merged.code, 0, merged.stderr);
  assert.deepEqual(await listing(out), ['.git/', '.git/HEAD', '.git/refs/', 'conf', 'deploy/', 'deploy/app.yaml', 'keep.txt', 'new.txt']);
  assert.equal(await readFile(join(out, 'deploy/app.yaml'), 'utf8'), 'new: true\n');
  const clean = await ocipack(['pull', ref, '-o', out, '--clean']);
  assert.equal(clean.code, 0, clean.stderr);
  assert.deepEqual(await listing(out), ['deploy/', 'deploy/app.yaml', 'new.txt']);
  assert.equal((await lstat(out)).ino, ino, 'the target directory itself stays (it may be the working directory)');
  await noStaging(parent);
});

/** `chattr +i` makes a directory refuse renames even for root: a real failure in the middle of the moves. */
function immutable(path: string, on: boolean): boolean {
  return spawnSync('chattr', [on ? '+i' : '-i', path]).status === 0;
}

for (const clean of [false, true]) {
  test(`a failure in the middle of the moves${clean ? ' (--clean)' : ''} rolls back: the target is byte-identical`, async (t) => {
    const ref = await publish(`mid-merge-${clean}`, tgz([
      dir('deploy/'), file('deploy/app.yaml', 'new: true\n'), file('keep.txt', 'theirs'), file('new.txt', 'n'), dir('zz/'), file('zz/new.txt', 'z'),
    ]));
    const { parent, out } = await userTarget();
    await mkdir(join(out, 'zz'));
    await writeFile(join(out, 'zz/locked.txt'), 'locked');
    if (!immutable(join(out, 'zz'), true)) return t.skip('chattr +i is not available here');
    try {
      const before = await snapshot(out);
      const r = await ocipack(['pull', ref, '-o', out, ...(clean ? ['--clean'] : [])]);
      oneError(r, 1, /cannot move the extracted files into .*EPERM.*left as it was/);
      assert.deepEqual(await snapshot(out), before);
      await noStaging(parent);
    } finally {
      immutable(join(out, 'zz'), false);
    }
  });
}

test('a digest mismatch found after a full, valid extraction: exit 3, nothing in the target, no staging', async () => {
  // A plain tar layer: flipping a byte of a file body keeps the archive valid, so only the digest can tell.
  const layer = buildTar([file('a.txt', 'A'.repeat(4096)), file('b.txt', 'B')]);
  await pushRaw(reg.url, 'stage/mismatch', 'v1', artifactFor(layer));
  const ref = `oci://${proxy.host}/stage/mismatch:v1`;
  for (const existing of [false, true]) {
    proxy.script([{ method: 'GET', path: BLOB, action: { flipByte: 600 } }]);
    const parent = await tempDir('ocipack-stage-');
    const out = join(parent, 'out');
    if (existing) {
      await mkdir(out);
      await writeFile(join(out, 'keep.txt'), 'mine');
    }
    const before = await listing(parent);
    const r = await ocipack(['pull', ref, '-o', out]);
    oneError(r, 3, /digest|sha256/i);
    assert.ok(proxy.log.some((l) => l.fault === 'flipByte'), 'the flipped blob was served');
    assert.deepEqual(await listing(parent), before);
  }
  proxy.script([]);
});

test('a bad entry early in a large layer stops the download there', async () => {
  const big = randomBytes(40 * 1024 * 1024);
  const layer = gzipSync(buildTar([file('first.bin', randomBytes(256 * 1024)), file('../escape', 'x'), file('big.bin', big)]), { level: 1 });
  await pushRaw(reg.url, 'stage/bad-early', 'v1', artifactFor(layer));
  proxy.script([]);
  const { parent, out } = await userTarget();
  const before = await snapshot(out);
  const r = await ocipack(['pull', `oci://${proxy.host}/stage/bad-early:v1`, '-o', out]);
  oneError(r, 1, /refusing path with a "\.\." segment/);
  const get = proxy.log.find((l) => l.method === 'GET' && BLOB.test(l.path) && l.path.includes(artifactFor(layer).layerDigest));
  assert.ok(get, 'the blob was requested');
  assert.ok(get.sent < layer.length / 2, `${get.sent} of ${layer.length} bytes were sent`);
  assert.deepEqual(await snapshot(out), before);
  await noStaging(parent);
});

test('caps hold on the stream: a layer that passes the cap after files were written to staging fails there and leaves nothing', async () => {
  const mib = (c: string): Buffer => Buffer.alloc(1024 * 1024, c);
  const ref = await publish('cap-mid', tgz([file('a', mib('a')), file('b', mib('b')), file('c', mib('c'))]));
  const { parent, out } = await userTarget();
  const before = await snapshot(out);
  const r = await ocipack(['pull', ref, '-o', out, '--max-layer-size', '2600KiB']);
  oneError(r, 1, /layer exceeds 2662400 bytes when decompressed/);
  assert.deepEqual(await snapshot(out), before);
  await noStaging(parent);
  const entries = await ocipack(['pull', ref, '-o', out, '--max-entries', '2']);
  oneError(entries, 1, /layer exceeds 2 entries/);
  assert.deepEqual(await snapshot(out), before);
  await noStaging(parent);
});

test('a killed run\'s staging directory is removed by the next pull; a live run\'s is left alone', async () => {
  const ref = await publish('stale', tgz([file('x.txt', 'x')]));
  const parent = await tempDir('ocipack-stage-');
  const out = join(parent, 'out');
  const dead = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString();
  const staleDir = join(parent, `out.ocipack-staging-${dead}-0123456789ab`);
  const liveDir = join(parent, `out.ocipack-staging-${process.pid}-0123456789ab`);
  const other = join(parent, `other.ocipack-staging-${dead}-0123456789ab`);
  for (const d of [staleDir, liveDir, other]) {
    await mkdir(join(d, 'sub'), { recursive: true });
    await writeFile(join(d, 'sub/half.bin'), 'half');
  }
  const r = await ocipack(['pull', ref, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await readdir(parent)).sort(), ['other.ocipack-staging-' + dead + '-0123456789ab', 'out', `out.ocipack-staging-${process.pid}-0123456789ab`]);
  assert.deepEqual(await listing(out), ['x.txt']);
});

test('a pull whose manifest cannot be had leaves nothing beside or in the target (its staging is made while the manifest is asked for)', async () => {
  const url = await publish('early-stage', await tgz([file('a.yaml', 'a: 1\n')]));
  const missing = url.replace(/:v1$/, ':nope');
  // a fresh target beside an existing parent, and an existing target
  const parent = await tempDir('ocipack-stage-');
  const fresh = await ocipack(['pull', missing, '-o', join(parent, 'out')]);
  oneError(fresh, 1, /not found|nope/i);
  assert.deepEqual(await readdir(parent), [], 'nothing made beside it');
  const user = await userTarget();
  const before = await snapshot(user.out);
  const refused = await ocipack(['pull', missing, '-o', user.out]);
  oneError(refused, 1, /not found|nope/i);
  assert.deepEqual(await snapshot(user.out), before);
  await noStaging(user.parent);
  // and through a wire fault on the manifest: a reset connection
  proxy.script([{ path: /\/manifests\//, action: { reset: true } }]);
  try {
    const reset = await ocipack(['pull', url.replace(reg.host, proxy.host), '-o', join(parent, 'out2')]);
    assert.equal(reset.code, 1, reset.stderr);
    assert.deepEqual(await readdir(parent), [], 'nothing made beside it');
  } finally {
    proxy.script([]);
  }
});
