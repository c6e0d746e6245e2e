/**
 * Issue 25 "Interrupt and leftovers": a push killed with SIGKILL (no cleanup can run) leaves its temporary
 * layer; its directory's name holds the pid, so the next run recognises it and removes it, and leaves alone
 * what belongs to a live run or is not a directory of ours.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { BIN, ocipack, tempDir } from '../helpers/cli.js';

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await once(child, 'exit');
  return child.pid!;
}

async function tree(): Promise<string> {
  const src = await tempDir();
  await writeFile(join(src, 'a.yaml'), 'kind: ConfigMap\n');
  return src;
}

/** This user's ocipack directory in the temp space `tmp`. */
const homeIn = (tmp: string): string => join(tmp, `ocipack-${process.getuid?.() ?? 'user'}`);

test('the next run removes the temporary directories of runs that are gone, and nothing else; only its own directory is read', async () => {
  const tmp = await tempDir();
  const home = homeIn(tmp);
  await mkdir(home, { mode: 0o700 });
  const dead = await deadPid();
  const gone = join(home, `push-${dead}-aB3dE9`);
  await mkdir(gone);
  await writeFile(join(gone, 'layer.tar.gz'), 'x');
  const live = join(home, `push-${process.pid}-Zz9yX8`);
  await mkdir(live);
  const other = join(home, `pushes-${dead}-aaaaaa`);
  await mkdir(other);
  const link = join(home, `build-${dead}-LiNk00`);
  await symlink(other, link);
  // beside it in the temp space, a dead run's name: not ocipack's to read or remove
  const outside = join(tmp, `ocipack-push-${dead}-aB3dE9`);
  await mkdir(outside);
  const r = await ocipack(['build', '--path', await tree(), '-o', join(await tempDir(), 'a.tgz')], { env: { TMPDIR: tmp } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await readdir(home)).sort(), [`build-${dead}-LiNk00`, `push-${process.pid}-Zz9yX8`, `pushes-${dead}-aaaaaa`].sort());
  assert.deepEqual((await readdir(tmp)).sort(), [`ocipack-push-${dead}-aB3dE9`, `ocipack-${process.getuid?.() ?? 'user'}`].sort());
});

test('a user directory that is not this user\'s alone (a link, or writable by others) is not used: the run works beside it and sweeps nothing', async () => {
  const tmp = await tempDir();
  const elsewhere = await tempDir();
  const dead = await deadPid();
  const planted = join(elsewhere, `push-${dead}-aB3dE9`);
  await mkdir(planted);
  await symlink(elsewhere, homeIn(tmp));
  const r = await ocipack(['build', '--path', await tree(), '-o', join(await tempDir(), 'a.tgz')], { env: { TMPDIR: tmp } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await readdir(elsewhere), [`push-${dead}-aB3dE9`], 'nothing removed through the link');
  const open = await tempDir();
  await mkdir(homeIn(open), { mode: 0o777 });
  await chmod(homeIn(open), 0o777);
  const stale = join(homeIn(open), `push-${dead}-aB3dE9`);
  await mkdir(stale);
  const r2 = await ocipack(['build', '--path', await tree(), '-o', join(await tempDir(), 'b.tgz')], { env: { TMPDIR: open } });
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual(await readdir(homeIn(open)), [`push-${dead}-aB3dE9`], 'a directory others may write is not swept');
});

test('a push killed with SIGKILL leaves its layer, named with its pid; the next run removes it', { timeout: 60_000 }, async () => {
  const tmp = await tempDir();
  // a registry that accepts and never answers: the push packs its layer, then waits
  const server = createServer((s) => s.on('error', () => {}));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  try {
    const args = [BIN, 'push', `oci://127.0.0.1:${port}/left/app:v1`, '--path', await tree()];
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp }, stdio: 'ignore' });
    const exited = once(child, 'exit');
    const mine = `push-${child.pid}-`;
    let layer: string | undefined;
    while (layer === undefined) {
      const dir = (await readdir(homeIn(tmp)).catch(() => [] as string[])).find((n) => n.startsWith(mine));
      const file = dir === undefined ? undefined : join(homeIn(tmp), dir, 'layer.tar.gz');
      if (file !== undefined && (await stat(file).then((s) => s.size > 0, () => false))) layer = file;
      else await delay(20);
    }
    child.kill('SIGKILL');
    await exited;
    assert.ok((await stat(layer)).isFile(), 'SIGKILL leaves the layer');
    const next = await ocipack(['build', '--path', await tree(), '-o', join(await tempDir(), 'b.tgz')], { env: { TMPDIR: tmp } });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(await readdir(homeIn(tmp)), [], 'the killed push\'s directory is gone');
  } finally {
    server.close();
  }
});

test('a closed stderr pipe (EPIPE) does not kill the run: the push lands and leaves no temporary directory', { timeout: 60_000 }, async () => {
  const tmp = await tempDir();
  const layout = join(await tempDir(), 'layout');
  const child = spawn(process.execPath, [BIN, 'push', `${layout}:v1`, '--oci-layout', '--path', await tree()], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.destroy();
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
  assert.deepEqual(await readdir(homeIn(tmp)), [], 'no temporary directory left');
  const listed = await ocipack(['list', layout, '--oci-layout', '-o', 'json']);
  assert.match(listed.stdout, /"v1"/, listed.stderr);
});
