/**
 * Issue 25 "Interrupt and leftovers": a push killed with SIGKILL (no cleanup can run) leaves its temporary
 * layer; its directory's name holds the pid, so the next run recognises it and removes it, and leaves alone
 * what belongs to a live run or is not a directory of ours.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
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

test('the next run removes the temporary directories of runs that are gone, and nothing else', async () => {
  const tmp = await tempDir();
  const dead = await deadPid();
  const gone = join(tmp, `ocipack-push-${dead}-aB3dE9`);
  await mkdir(gone);
  await writeFile(join(gone, 'layer.tar.gz'), 'x');
  const live = join(tmp, `ocipack-push-${process.pid}-Zz9yX8`);
  await mkdir(live);
  const legacyFresh = join(tmp, 'ocipack-stdin-q1w2e3');
  await mkdir(legacyFresh);
  const other = join(tmp, `ocipack-pushes-${dead}-aaaaaa`);
  await mkdir(other);
  const link = join(tmp, `ocipack-build-${dead}-LiNk00`);
  await symlink(other, link);
  const r = await ocipack(['build', '--path', await tree(), '-o', join(await tempDir(), 'a.tgz')], { env: { TMPDIR: tmp } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await readdir(tmp)).sort(), [`ocipack-build-${dead}-LiNk00`, `ocipack-push-${process.pid}-Zz9yX8`, `ocipack-pushes-${dead}-aaaaaa`, 'ocipack-stdin-q1w2e3'].sort());
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
    const mine = `ocipack-push-${child.pid}-`;
    let layer: string | undefined;
    while (layer === undefined) {
      const dir = (await readdir(tmp)).find((n) => n.startsWith(mine));
      const file = dir === undefined ? undefined : join(tmp, dir, 'layer.tar.gz');
      if (file !== undefined && (await stat(file).then((s) => s.size > 0, () => false))) layer = file;
      else await delay(20);
    }
    child.kill('SIGKILL');
    await exited;
    assert.ok((await stat(layer)).isFile(), 'SIGKILL leaves the layer');
    const next = await ocipack(['build', '--path', await tree(), '-o', join(await tempDir(), 'b.tgz')], { env: { TMPDIR: tmp } });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(await readdir(tmp), [], 'the killed push\'s directory is gone');
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
  assert.deepEqual(await readdir(tmp), [], 'no temporary directory left');
  const listed = await ocipack(['list', layout, '--oci-layout', '-o', 'json']);
  assert.match(listed.stdout, /"v1"/, listed.stderr);
});
