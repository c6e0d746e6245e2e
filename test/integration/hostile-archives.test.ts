/**
 * Hostile layers (SPEC §5), published to the real registry with plain API calls and pulled by the
 * built CLI into a directory that already holds a file. For every case: the exit code, one clear line,
 * nothing written outside the target, no link of any kind created, the existing target as it was
 * (or, for the cases that are merely skipped or sanitised, extracted without the dangerous part).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { artifactFor, exists, gzipBomb, listing, manyEmptyFiles, pushRaw, tgz } from '../helpers/hostile.js';
import { dir, file, type RawEntry } from '../helpers/tarbuilder.js';

let reg: RunningRegistry;
before(async () => {
  reg = await startRegistry({ auth: 'none' });
});
after(async () => {
  await reg?.stop();
});

const ABS = `/tmp/ocipack-hostile-${randomBytes(4).toString('hex')}`;
const GiB = 1024 ** 3;

interface Outcome {
  work: string;
  out: string;
  tmp: string;
  r: CliResult;
}

/** Publishes `layer` as `hostile/<slug>:v1` and pulls it into `<work>/out`, which holds `keep.txt`. */
async function pullLayer(slug: string, layer: Buffer, extra: string[] = []): Promise<Outcome> {
  await pushRaw(reg.url, `hostile/${slug}`, 'v1', artifactFor(layer));
  const work = await tempDir('ocipack-hostile-');
  const out = join(work, 'out');
  await mkdir(out);
  await mkdir(join(work, 'outside'));
  await writeFile(join(out, 'keep.txt'), 'old');
  const tmp = await tempDir('ocipack-hostile-tmp-');
  const r = await ocipack(['pull', `oci://${reg.host}/hostile/${slug}:v1`, '-o', out, ...extra], { env: { TMPDIR: tmp } });
  return { work, out, tmp, r };
}

/** Nothing changed: the target holds only keep.txt with its old content, `outside` is empty, no link anywhere. */
async function assertUntouched(o: Outcome): Promise<void> {
  assert.deepEqual(await listing(o.work), ['out/', 'out/keep.txt', 'outside/']);
  assert.equal(await readFile(join(o.out, 'keep.txt'), 'utf8'), 'old');
  assert.deepEqual(await readdir(o.tmp), [], 'no temp files left');
  assert.equal(await exists(ABS), false, `${ABS} was created`);
}

function assertOneError(r: CliResult, code: number, message: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('✗'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, message);
}

const refused: Array<[string, RawEntry[], RegExp]> = [
  ['dotdot', [file('../outside/evil', 'x')], /refusing path with a "\.\." segment "\.\.\/outside\/evil"/],
  ['absolute', [file(`${ABS}/evil`, 'x')], /refusing absolute path "\/tmp\/ocipack-hostile-/],
  ['dotdot-middle', [file('a/../../outside/evil', 'x')], /refusing path with a "\.\." segment/],
  ['backslash', [file('..\\outside\\evil', 'x')], /refusing entry name with a backslash/],
  ['nul-pax', [{ ...file('innocent', 'x'), pax: { path: Buffer.from('ok\0/../../outside/evil') } }], /refusing entry name with a NUL byte/],
  ['nul-gnu', [{ ...file('innocent', 'x'), gnuLongName: Buffer.from('ok\0../outside/evil\0') }], /refusing entry name with a NUL byte/],
  ['drive-letter', [file('C:/evil', 'x')], /refusing path with a drive letter/],
  ['symlink-then-file', [{ name: 'link', type: '2', linkname: '/tmp' }, file('link/evil', 'x')], /refusing entry "link\/evil" below symlink "link"/],
  ['relative-symlink-then-file', [{ name: 'up', type: '2', linkname: '../outside' }, file('up/evil', 'x')], /refusing entry "up\/evil" below symlink "up"/],
  ['hardlink-outside', [file('a.txt', 'a'), { name: 'hl', type: '1', linkname: '../outside/target' }], /refusing hard link entry "hl"/],
  ['hardlink-inside', [file('a.txt', 'a'), { name: 'hl', type: '1', linkname: 'a.txt' }], /refusing hard link entry "hl"/],
  ['char-device', [{ name: 'null', type: '3' }], /refusing device entry "null"/],
  ['block-device', [{ name: 'sda', type: '4' }], /refusing device entry "sda"/],
  ['fifo', [{ name: 'pipe', type: '6' }], /refusing FIFO entry "pipe"/],
  ['duplicate', [file('keep.txt', 'first'), file('keep.txt', 'second')], /refusing duplicate entry "keep\.txt"/],
  ['duplicate-dot-slash', [file('a', '1'), file('./a', '2')], /refusing duplicate entry "a"/],
  ['pax-path-override', [{ ...file('innocent.txt', 'x'), pax: { path: '../outside/evil' } }], /refusing path with a "\.\." segment "\.\.\/outside\/evil"/],
  ['pax-path-absolute', [{ ...file('innocent.txt', 'x'), pax: { path: `${ABS}/evil` } }], /refusing absolute path/],
  ['gnu-long-name', [{ ...file('innocent.txt', 'x'), gnuLongName: `${'d/'.repeat(60)}${'../'.repeat(61)}outside/evil\0` }], /refusing path with a "\.\." segment/],
  ['ustar-prefix', [{ ...file('evil', 'x'), prefix: '../outside' }], /refusing path with a "\.\." segment "\.\.\/outside\/evil"/],
  ['late-hostile-entry', [file('keep.txt', 'new'), file('added.txt', 'x'), file('../outside/evil', 'x')], /refusing path with a "\.\." segment/],
];

for (const [slug, entries, message] of refused) {
  test(`refuses ${slug}: exit 1, one line, nothing outside, no link, target untouched`, async () => {
    const o = await pullLayer(slug, tgz([dir('ok/'), file('ok/fine.txt', 'fine'), ...entries]));
    assertOneError(o.r, 1, message);
    await assertUntouched(o);
  });
}

test('a lone symlink (relative escape) is skipped with a warning naming it; no link is created', async () => {
  const o = await pullLayer('lone-symlink', tgz([file('a.txt', 'a'), { name: 'esc', type: '2', linkname: '../../../../etc/passwd' }, { name: 'abs', type: '2', linkname: '/etc' }]));
  assert.equal(o.r.code, 0, o.r.stderr);
  assert.match(o.r.stderr, /⚠ skipping "esc": symlink to "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd"/);
  assert.match(o.r.stderr, /⚠ skipping "abs": symlink to "\/etc"/);
  assert.deepEqual(await listing(o.work), ['out/', 'out/a.txt', 'out/keep.txt', 'outside/']);
});

test('setuid, setgid and sticky bits are stripped; unreadable files and directories become owner-accessible', async () => {
  const o = await pullLayer('modes', tgz([file('suid', '#!/bin/sh\n', 0o4755), file('sgid', 'x', 0o2755), file('locked', 'x', 0o000), dir('sticky/', 0o1777), dir('closed/', 0o000), file('closed/in.txt', 'in')]));
  assert.equal(o.r.code, 0, o.r.stderr);
  for (const name of ['suid', 'sgid', 'locked', 'sticky', 'closed', 'closed/in.txt']) {
    const { mode } = await stat(join(o.out, name));
    assert.equal(mode & 0o7000, 0, `${name}: ${mode.toString(8)}`);
    assert.equal(mode & 0o600, 0o600, `${name}: ${mode.toString(8)}`);
  }
  assert.equal((await stat(join(o.out, 'closed'))).mode & 0o700, 0o700);
  assert.equal((await stat(join(o.out, 'suid'))).mode & 0o777, 0o755);
});

test('a 1.25 GiB decompression bomb (honest header) fails on the layer cap', async () => {
  const bomb = await gzipBomb(1.25 * GiB, true);
  assert.ok(bomb.length < 8 * 1024 * 1024, `bomb is ${bomb.length} bytes compressed`);
  const o = await pullLayer('bomb-honest', bomb);
  assertOneError(o.r, 1, /layer exceeds 1073741824 bytes when decompressed/);
  assert.match(o.r.stderr, /hint: raise it with --max-layer-size/);
  await assertUntouched(o);
});

test('a 1.25 GiB bomb whose header lies (size 0) is stopped by counting the real decompressed bytes', async () => {
  const bomb = await gzipBomb(1.25 * GiB, false);
  const o = await pullLayer('bomb-lying', bomb);
  assertOneError(o.r, 1, /layer exceeds 1073741824 bytes when decompressed/);
  await assertUntouched(o);
});

test('--max-layer-size raises the cap: the same lying bomb passes a 2GiB cap and only a zero-byte file is written', async () => {
  const bomb = await gzipBomb(64 * 1024 * 1024, false);
  const small = await pullLayer('bomb-small', bomb, ['--max-layer-size', '32MiB']);
  assertOneError(small.r, 1, /layer exceeds 33554432 bytes/);
  await assertUntouched(small);
  const raised = await pullLayer('bomb-small-raised', bomb, ['--max-layer-size', '2GiB']);
  assert.equal(raised.r.code, 0, raised.r.stderr);
  assert.equal((await stat(join(raised.out, 'zeros'))).size, 0);
});

test('150 000 empty files hit the 100 000-entry cap and leave nothing behind', async () => {
  const many = manyEmptyFiles(150_000);
  const o = await pullLayer('many-files', many);
  assertOneError(o.r, 1, /layer exceeds 100000 entries/);
  assert.match(o.r.stderr, /hint: raise it with --max-entries/);
  await assertUntouched(o);
});

test('path length and depth caps, and their flags', async () => {
  const long = `${'p'.repeat(200)}/`.repeat(20) + 'x'.repeat(100);
  assert.ok(Buffer.byteLength(long) > 4096);
  const o = await pullLayer('long-path', tgz([{ ...file('x', 'x'), pax: { path: long } }]));
  assertOneError(o.r, 1, /entry path exceeds 4096 bytes/);
  assert.match(o.r.stderr, /hint: raise it with --max-path-length/);
  await assertUntouched(o);
  const medium = `${'m'.repeat(150)}/f.txt`;
  const lowered = await pullLayer('medium-path', tgz([{ ...file('x', 'm'), pax: { path: medium } }]), ['--max-path-length', '100']);
  assertOneError(lowered.r, 1, /entry path exceeds 100 bytes/);
  await assertUntouched(lowered);
  const deep = `${'d/'.repeat(65)}f`;
  const d = await pullLayer('deep', tgz([{ ...file('x', 'x'), pax: { path: deep } }]));
  assertOneError(d.r, 1, /entry path is deeper than 64 directories/);
  await assertUntouched(d);
  const dOk = await pullLayer('deep-ok', tgz([{ ...file('x', 'deep'), pax: { path: deep } }]), ['--max-depth', '100']);
  assert.equal(dOk.r.code, 0, dOk.r.stderr);
  assert.equal(await readFile(join(dOk.out, deep), 'utf8'), 'deep');
});

test('a symlink already in the target is replaced, never written through', async () => {
  await pushRaw(reg.url, 'hostile/existing-link', 'v1', artifactFor(tgz([dir('d/'), file('d/evil', 'x')])));
  const work = await tempDir('ocipack-hostile-');
  const out = join(work, 'out');
  await mkdir(join(work, 'outside'));
  await mkdir(out);
  await symlink('../outside', join(out, 'd'));
  const r = await ocipack(['pull', `oci://${reg.host}/hostile/existing-link:v1`, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await listing(work), ['out/', 'out/d/', 'out/d/evil', 'outside/']);
});
