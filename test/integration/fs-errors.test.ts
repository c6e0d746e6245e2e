/**
 * Filesystem errors with a way out (issue 25): a full disk, a read-only filesystem, a path this user
 * may not write, a mount point inside the output, a missing or non-directory name on the way — each
 * names the path that failed and its real cause, and the hint says what to change (the output's disk,
 * not TMPDIR, when TMPDIR is fine; TMPDIR when it is not). Real mounts (tmpfs with a size, read-only);
 * skipped with the reason when mounts cannot be made.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BIN, ocipack, runProcess, tempDir, type CliResult } from '../helpers/cli.js';
import { exists, snapshot } from '../helpers/hostile.js';
import { asNobody, mountTmpfs, unmountAll } from '../helpers/mounts.js';

let layout: string;

before(async () => {
  const src = await tempDir('ocipack-fserr-src-');
  await mkdir(join(src, 'sub'));
  await writeFile(join(src, 'sub/x.yaml'), 'x: 1\n');
  await writeFile(join(src, 'big.bin'), randomBytes(400 * 1024));
  layout = join(await tempDir('ocipack-fserr-'), 'layout');
  const r = await ocipack(['push', `${layout}:v1`, '--oci-layout', '-f', src]);
  assert.equal(r.code, 0, r.stderr);
});
after(() => unmountAll());

/** The one ✗ line and the hint line. */
function failure(r: CliResult): { line: string; hint: string } {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.split('\n');
  const errs = lines.filter((l) => l.startsWith('✗'));
  assert.equal(errs.length, 1, r.stderr);
  return { line: errs[0]!, hint: lines.find((l) => l.trim().startsWith('hint:')) ?? '' };
}

/** A tmpfs of `size` mounted on a new directory; undefined when the test was skipped. */
async function tmpfs(t: TestContext, size: string, opts = ''): Promise<string | undefined> {
  const dir = join(await tempDir('ocipack-fserr-'), 'mnt');
  await mkdir(dir);
  const skip = mountTmpfs(dir, opts ? `${size},${opts}` : size);
  if (skip) return void t.skip(skip);
  return dir;
}

test('a full output disk: the output is named, the hint asks for space there (not TMPDIR), the output is as it was', async (t) => {
  const disk = await tmpfs(t, '128k');
  if (!disk) return;
  await writeFile(join(disk, 'mine.txt'), 'mine');
  const before = await snapshot(disk);
  const { line, hint } = failure(await ocipack(['pull', `${layout}:v1`, '--oci-layout', '-o', disk]));
  assert.match(line, new RegExp(`cannot write "big\\.bin" in ${disk}: ENOSPC`));
  assert.match(hint, new RegExp(`free space on the disk that holds ${disk}`));
  assert.doesNotMatch(hint, /TMPDIR/);
  assert.deepEqual(await snapshot(disk), before);
});

test('push --oci-layout on a full disk leaves no half layout (a new directory, or an empty one)', async (t) => {
  const disk = await tmpfs(t, '128k');
  if (!disk) return;
  const src = await tempDir('ocipack-fserr-src-');
  await writeFile(join(src, 'big.bin'), randomBytes(400 * 1024));
  const { line, hint } = failure(await ocipack(['push', `${join(disk, 'lay')}:v1`, '--oci-layout', '-f', src]));
  assert.match(line, new RegExp(`cannot write ${disk}/lay/blobs/sha256/[0-9a-f]{64}: ENOSPC`));
  assert.match(hint, new RegExp(`free space on the disk that holds ${disk}/lay/`));
  assert.doesNotMatch(hint, /TMPDIR/);
  assert.deepEqual(await readdir(disk), [], 'the new layout directory is gone');
  await mkdir(join(disk, 'empty'));
  failure(await ocipack(['push', `${join(disk, 'empty')}:v1`, '--oci-layout', '-f', src]));
  assert.deepEqual(await readdir(join(disk, 'empty')), [], 'the empty directory is empty again');
});

test('full temporary space names TMPDIR; a missing TMPDIR is named as the missing directory', async (t) => {
  const tmp = await tmpfs(t, '128k');
  if (!tmp) return;
  const src = await tempDir('ocipack-fserr-src-');
  await writeFile(join(src, 'big.bin'), randomBytes(400 * 1024));
  const dest = join(await tempDir('ocipack-fserr-'), 'lay');
  const full = failure(await ocipack(['push', `${dest}:v1`, '--oci-layout', '-f', src], { env: { TMPDIR: tmp } }));
  assert.match(full.line, new RegExp(`cannot write the packed layer ${tmp}/ocipack-\\d+/push-\\d+-\\w+/layer\\.tar\\.gz: ENOSPC`));
  assert.match(full.hint, /temporary space is full .*set TMPDIR to a directory on a bigger disk/);
  assert.equal(await exists(dest), false, 'no layout was begun');
  const missing = join(tmp, 'nope', 'deeper');
  const gone = failure(await ocipack(['push', `${dest}:v1`, '--oci-layout', '-f', src], { env: { TMPDIR: missing } }));
  assert.match(gone.line, new RegExp(`cannot create a temporary directory in ${missing}: ENOENT \\("${tmp}/nope" does not exist\\)`));
  assert.match(gone.hint, new RegExp(`temporary space ${tmp}/nope does not exist: create it, or set TMPDIR`));
});

test('a read-only output names the filesystem as read-only', async (t) => {
  const ro = await tmpfs(t, '1m', 'ro');
  if (!ro) return;
  const { line, hint } = failure(await ocipack(['pull', `${layout}:v1`, '--oci-layout', '-o', ro]));
  assert.match(line, new RegExp(`cannot write in "${ro}": EROFS`));
  assert.match(hint, new RegExp(`${ro} is on a read-only filesystem`));
});

test('a directory this user may not write is named, with what to change', async (t) => {
  const who = asNobody();
  if ('skip' in who) return t.skip(who.skip);
  const parent = await tempDir('ocipack-fserr-');
  await chmod(parent, 0o755);
  for (const d of [dirname(layout), layout]) await chmod(d, 0o755);
  const out = join(parent, 'out');
  const env = { PATH: process.env.PATH ?? '', HOME: parent, NO_COLOR: '1' };
  const r = await runProcess('setpriv', [...who.prefix, process.execPath, BIN, 'pull', `${layout}:v1`, '--oci-layout', '-o', out], { env });
  const { line, hint } = failure(r);
  assert.match(line, new RegExp(`cannot write in "${parent}" \\(to create "${out}"\\): EACCES`));
  assert.match(hint, new RegExp(`this user may not access ${parent}: check its owner and mode`));
});

test('a name on the way that is a file is named as not a directory (not the output path)', async () => {
  const parent = await tempDir('ocipack-fserr-');
  await writeFile(join(parent, 'file'), 'x');
  const { line, hint } = failure(await ocipack(['pull', `${layout}:v1`, '--oci-layout', '-o', join(parent, 'file/out')]));
  assert.match(line, new RegExp(`ENOTDIR \\("${parent}/file" is not a directory\\)`));
  assert.match(hint, new RegExp(`check the path: ${parent}/file is missing or not a directory`));
});

test('a mount point inside the output is named as another filesystem; the output is left as it was', async (t) => {
  const out = join(await tempDir('ocipack-fserr-'), 'out');
  await mkdir(join(out, 'sub'), { recursive: true });
  const skip = mountTmpfs(join(out, 'sub'), '1m');
  if (skip) return t.skip(skip);
  await writeFile(join(out, 'sub/mine.yaml'), 'mine');
  const before = await snapshot(out);
  const { line, hint } = failure(await ocipack(['pull', `${layout}:v1`, '--oci-layout', '-o', out]));
  assert.match(line, /cannot move the extracted files into .* \(at "sub\/x\.yaml"\): EXDEV; the output was left as it was/);
  assert.match(hint, new RegExp(`${out}/sub is another filesystem inside the output`));
  assert.deepEqual(await snapshot(out), before);
});
