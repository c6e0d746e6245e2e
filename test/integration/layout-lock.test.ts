/**
 * Issue 25 "Bounded, whatever the input": a layout's `index.json.lock` is untrusted like the rest of the
 * layout. A planted symlink (to /dev/zero), FIFO or huge file under that name is refused at once with a
 * clear error and a way out, never read without bound or waited on; a stale lock of a dead writer is taken over.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';

const exec = promisify(execFile);
let src: string;

before(async () => {
  src = await tempDir();
  await writeFile(join(src, 'app.yaml'), 'kind: ConfigMap\n');
});

/** A fresh layout holding `v1`, and a push of `v2` into it once `plant` has put something at its lock path. */
async function pushWithLock(plant: (lock: string) => Promise<void>): Promise<{ r: CliResult; dir: string }> {
  const dir = join(await tempDir(), 'layout');
  const first = await ocipack(['push', `${dir}:v1`, '--oci-layout', '--path', src]);
  assert.equal(first.code, 0, first.stderr);
  await plant(join(dir, 'index.json.lock'));
  return { r: await ocipack(['push', `${dir}:v2`, '--oci-layout', '--path', src]), dir };
}

function assertRefused(r: CliResult, what: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, what);
  assert.match(r.stderr, /no ocipack writer made it\n {2}hint: remove \S+index\.json\.lock if no other ocipack is writing this layout/);
}

const bounded = { timeout: 60_000 };

test('a lock planted as a symlink to /dev/zero is refused, not read', bounded, async () => {
  const { r } = await pushWithLock((lock) => symlink('/dev/zero', lock));
  assertRefused(r, /index\.json\.lock is a symbolic link, not a regular file/);
});

test('a lock planted as a FIFO is refused, not waited on', bounded, async () => {
  const { r } = await pushWithLock((lock) => exec('mkfifo', [lock]).then(() => undefined));
  assertRefused(r, /index\.json\.lock is a FIFO, not a regular file/);
});

test('a huge lock file is refused after reading at most the cap', bounded, async () => {
  const { r } = await pushWithLock(async (lock) => {
    await writeFile(lock, '');
    await truncate(lock, 64 * 1024 * 1024);
  });
  assertRefused(r, /lock file \S+index\.json\.lock is larger than the 4096-byte cap/);
});

test('the lock of a writer that died is taken over: the push lands', bounded, async () => {
  const child = spawn(process.execPath, ['-e', '0']);
  await once(child, 'exit');
  const { r, dir } = await pushWithLock((lock) => writeFile(lock, JSON.stringify({ pid: child.pid, host: hostname(), token: 'gone' })));
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!(await readdir(dir)).includes('index.json.lock'), 'the stale lock is gone');
  const tags = await ocipack(['list', dir, '--oci-layout', '-o', 'json']);
  assert.match(tags.stdout, /"v2"/, tags.stdout);
});
