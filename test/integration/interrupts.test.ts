/**
 * Issue 13 §4: Ctrl-C (a real ^C typed into a pseudo-terminal made by `script`) or SIGTERM during push, pull
 * and copy on a terminal, where ora's spinner and its signal-exit hook are live, runs the same abort and
 * cleanup as a piped run: one `✗` line, exit 130 (SIGINT) or 143 (SIGTERM), no temp file or staging left.
 * The real registry sits behind the fault proxy, which stalls or trickles transfers so the interrupt lands mid-flight.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN, ocipack, tempDir, tempLeft } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/faultproxy.js';

const exec = promisify(execFile);
let reg: RunningRegistry;
let proxy: FaultProxy;
const BLOB_GET = /\/blobs\/sha256:/;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  proxy = await startFaultProxy({ upstream: reg.host });
  const src = await tempDir();
  await writeFile(join(src, 'big.bin'), randomBytes(12 * 1024 * 1024));
  const r = await ocipack(['push', `oci://${reg.host}/intr/app:v1`, '--path', src]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await proxy?.close();
  await reg?.stop();
});

interface PtyRun {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  closed: Promise<number | null>;
}

/** The CLI on a pseudo-terminal (util-linux `script`), TERM set so the spinner runs, TMPDIR private. */
function onPty(args: string[], tmp: string, home: string): PtyRun {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', `exec ${quoted}`, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: tmp, TERM: 'xterm-256color' }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, output: () => out, closed };
}

/** The pid of the ocipack process `script` runs (its only child, after `exec`). */
async function cliPid(run: PtyRun): Promise<number> {
  const { stdout } = await exec('pgrep', ['-P', String(run.child.pid)]);
  return Number(stdout.trim().split('\n')[0]);
}

/** Waits for the proxy to see the request, failing with what the CLI printed so far. */
async function reached(run: PtyRun, pred: Parameters<FaultProxy['waitFor']>[0]): Promise<void> {
  await Promise.race([
    proxy.waitFor(pred, 60_000),
    run.closed.then((c) => { throw new Error(`the CLI ended (${c}) before the interrupt:\n${run.output()}`); }),
  ]).catch((err: Error) => { throw new Error(`${err.message}\noutput so far:\n${run.output()}`); });
}

async function interrupt(run: PtyRun, how: 'ctrl-c' | 'SIGTERM'): Promise<void> {
  if (how === 'ctrl-c') run.child.stdin.write('\x03');
  else process.kill(await cliPid(run), 'SIGTERM');
}

function assertOneErrorLine(out: string, signal: string): void {
  // eslint-disable-next-line no-control-regex
  const plain = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  assert.equal(plain.split('✗').length - 1, 1, `one ✗ line:\n${plain}`);
  assert.match(plain, new RegExp(`✗ .*interrupted by ${signal}`));
}

for (const how of ['ctrl-c', 'SIGTERM'] as const) {
  const signal = how === 'ctrl-c' ? 'SIGINT' : 'SIGTERM';
  const code = how === 'ctrl-c' ? 130 : 143;

  test(`push on a terminal, ${how} while the layer uploads: one ✗ line, exit ${code}, the temp layer is gone, the upload session cancelled`, async () => {
    const src = await tempDir();
    await writeFile(join(src, 'fresh.bin'), randomBytes(8 * 1024 * 1024));
    const tmp = await tempDir('ocipack-intr-tmp-');
    proxy.script([{ method: 'PUT', path: /\/blobs\/uploads\//, action: { hold: true } }]);
    const run = onPty(['push', `oci://${proxy.host}/intr/push-${how.toLowerCase()}:v1`, '--path', src], tmp, await tempDir());
    await reached(run, (l) => l.method === 'PUT' && l.fault === 'hold');
    assert.ok((await tempLeft(tmp)).length > 0, 'the packed layer waits in TMPDIR');
    await interrupt(run, how);
    assert.equal(await run.closed, code, run.output());
    assertOneErrorLine(run.output(), signal);
    assert.deepEqual(await tempLeft(tmp), [], 'no temp layer left');
    // distribution-spec "Cancel an upload": each open session is ended with a DELETE on its Location
    const sessionOf = (path: string): string => path.split('?')[0]!;
    const held = proxy.log.filter((l) => l.method === 'PUT' && l.fault === 'hold').map((l) => sessionOf(l.path));
    const deletes = proxy.log.filter((l) => l.method === 'DELETE');
    const trace = proxy.log.map((l) => `${l.method} ${l.path} ${l.status ?? ''}`).join('\n');
    assert.ok(held.length > 0 && held.every((h) => deletes.some((d) => sessionOf(d.path) === h)), trace);
    assert.ok(deletes.every((d) => d.status === 204 && d.path.includes('/blobs/uploads/')), trace);
  });

  test(`pull on a terminal, ${how} mid-download: one ✗ line, exit ${code}, no output, staging or temp file`, async () => {
    const parent = await tempDir();
    const tmp = await tempDir('ocipack-intr-tmp-');
    proxy.script([{ method: 'GET', path: BLOB_GET, action: { trickle: { bytes: 16 * 1024, everyMs: 20 } } }]);
    const run = onPty(['pull', `oci://${proxy.host}/intr/app:v1`, '-o', join(parent, 'out')], tmp, parent);
    await reached(run, (l) => BLOB_GET.test(l.path) && l.sent > 256 * 1024);
    await interrupt(run, how);
    assert.equal(await run.closed, code, run.output());
    assertOneErrorLine(run.output(), signal);
    assert.deepEqual((await readdir(parent)).filter((n) => n.startsWith('out')), [], 'no output and no staging directory');
    assert.deepEqual(await tempLeft(tmp), []);
  });

  test(`copy on a terminal, ${how} mid-transfer: one ✗ line, exit ${code}, the spooled blob is gone`, async () => {
    const tmp = await tempDir('ocipack-intr-tmp-');
    proxy.script([{ method: 'GET', path: BLOB_GET, action: { trickle: { bytes: 16 * 1024, everyMs: 20 } } }]);
    const run = onPty(['copy', `oci://${proxy.host}/intr/app:v1`, `oci://${reg.host}/intr/copy-${how.toLowerCase()}:v1`], tmp, await tempDir());
    await reached(run, (l) => BLOB_GET.test(l.path) && l.sent > 256 * 1024);
    await interrupt(run, how);
    assert.equal(await run.closed, code, run.output());
    assertOneErrorLine(run.output(), signal);
    assert.deepEqual(await tempLeft(tmp), [], 'no spooled blob left');
  });
}

test('SIGINT while a pull merges its files into place: never a success line; exit 130; the target holds the artifact', { timeout: 120_000 }, async () => {
  const src = await tempDir();
  const count = 20_000;
  for (let i = 0; i < count; i++) writeFileSync(join(src, `f${i}.yaml`), `n: ${i}\n`);
  const layout = join(await tempDir(), 'layout');
  const pushed = await ocipack(['push', `${layout}:v1`, '--oci-layout', '--path', src]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const out = join(await tempDir(), 'out');
  await mkdir(out);
  await writeFile(join(out, 'keep.txt'), 'mine\n');
  // an existing target: the files are merged one by one (a journaled, synchronous move), not renamed at once
  const child = spawn(process.execPath, [BIN, 'pull', `${layout}:v1`, '--oci-layout', '-o', out], { env: { PATH: process.env.PATH ?? '', HOME: await tempDir(), NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  // the merge has begun once a file of the artifact is there (not the staging directory, which an existing target
  // briefly holds while the pull checks that renames into it work: a signal then came before the merge)
  while (!(await readdir(out)).some((n) => n.startsWith('f'))) await delay(5);
  child.kill('SIGINT');
  assert.equal(await closed, 130, stderr);
  assert.doesNotMatch(stderr, /✔/, stderr);
  assert.match(stderr, /✗ .*interrupted by SIGINT/);
  assert.match(stderr, /⚠ stopped after the files were moved into .*: it holds the artifact/);
  assert.equal((await readdir(out)).length, count + 1, 'the move completed: the target is the artifact merged, not half of it');
});
