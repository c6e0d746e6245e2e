import { createHash } from 'node:crypto';
/**
 * Issue 6 end to end: the built CLI against the real registry (htpasswd auth) behind a fault-injecting
 * proxy. Every run ends with the expected success, or one clear `✗` line, the right exit code, no
 * output directory (or an existing one untouched) and no temp files left behind.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, ocipack, tempDir, tempLeft, type CliResult } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startFaultProxy, startRecordingOrigin, type FaultProxy, type RecordingOrigin } from '../helpers/faultproxy.js';
import { artifactFor, listing, pushRaw, tgz } from '../helpers/hostile.js';
import { file } from '../helpers/tarbuilder.js';
import { pull } from '../../src/usecases/pull.js';

const USER = 'fault';
const PASS = 'fault-secret-pw';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`;
let reg: RunningRegistry;
let proxy: FaultProxy;
let recorder: RecordingOrigin;
let src: string;
let ref: string;
let blobDigest: string;
let manifestDigest: string;
let tmp: string;
const BLOB = /\/blobs\/sha256:/;

before(async () => {
  reg = await startRegistry({ auth: 'htpasswd', users: { [USER]: PASS } });
  proxy = await startFaultProxy({ upstream: reg.host });
  recorder = await startRecordingOrigin(reg.host, BASIC);
  src = await tempDir();
  await mkdir(join(src, 'deploy'));
  // Incompressible, so the layer blob is about 3 MiB and arrives in many chunks.
  await writeFile(join(src, 'deploy/random.bin'), randomBytes(3 * 1024 * 1024));
  await writeFile(join(src, 'deploy/app.yaml'), 'kind: ConfigMap\n');
  ref = `oci://${proxy.host}/faults/app:v1`;
  proxy.script([]);
  const pushed = await cli(['push', ref, '-f', src, '--reproducible', '-o', 'json']);
  assert.equal(pushed.code, 0, pushed.stderr);
  manifestDigest = (JSON.parse(pushed.stdout) as { digest: string }).digest;
  const m = JSON.parse((await cli(['inspect', ref, '--raw'])).stdout) as { layers: Array<{ digest: string }> };
  blobDigest = m.layers[0]!.digest;
});
after(async () => {
  await proxy?.close();
  await recorder?.close();
  await reg?.stop();
});

/** The CLI with credentials and a private TMPDIR (to prove temp files are cleaned up). */
async function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  tmp = await tempDir('ocipack-faults-tmp-');
  return ocipack([...args, '--creds', `${USER}:${PASS}`], { env: { TMPDIR: tmp, ...env } });
}

/** Pull into a fresh directory; returns the result and the output path. */
async function pullTo(extra: string[] = [], from = ref): Promise<CliResult & { out: string; parent: string }> {
  const parent = await tempDir();
  const out = join(parent, 'out');
  const r = await cli(['pull', from, '-o', out, ...extra]);
  return { ...r, out, parent };
}

async function assertPulled(out: string): Promise<void> {
  assert.deepEqual(await readFile(join(out, 'deploy/random.bin')), await readFile(join(src, 'deploy/random.bin')));
  assert.equal(await readFile(join(out, 'deploy/app.yaml'), 'utf8'), 'kind: ConfigMap\n');
}

/** A failure: exit code, one ✗ line matching `message`, nothing in the parent dir, no temp files. */
async function assertFailed(r: CliResult & { parent: string }, code: number, message: RegExp): Promise<void> {
  assert.equal(r.code, code, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('✗'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0]!, message);
  assert.deepEqual(await listing(r.parent), [], 'no output directory, no staging directory');
  assert.deepEqual(await tempLeft(tmp), [], 'no temp files left');
}

const blobGets = (): typeof proxy.log => proxy.log.filter((l) => l.method === 'GET' && BLOB.test(l.path) && l.path.includes(blobDigest));

test('503 twice on the blob GET, then it passes: pull succeeds after two retries', async () => {
  proxy.script([{ method: 'GET', path: BLOB, times: 2, action: { status: 503, body: 'busy' } }]);
  const r = await pullTo();
  assert.equal(r.code, 0, r.stderr);
  await assertPulled(r.out);
  assert.deepEqual(proxy.log.filter((l) => BLOB.test(l.path) && l.method === 'GET').map((l) => l.status).slice(0, 3), [503, 503, 200]);
});

test('503 twice on the manifest PUT: push succeeds', async () => {
  proxy.script([{ method: 'PUT', path: /\/manifests\//, times: 2, action: { status: 503 } }]);
  const r = await cli(['push', `oci://${proxy.host}/faults/put503:v1`, '-f', src, '--reproducible']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(proxy.log.filter((l) => l.method === 'PUT' && /manifests/.test(l.path)).map((l) => l.status), [503, 503, 201]);
});

test('429 with Retry-After: 1 is honoured (the retry waits a second), then the pull succeeds', async () => {
  proxy.script([{ method: 'GET', path: BLOB, times: 1, action: { status: 429, headers: { 'retry-after': '1' } } }]);
  const r = await pullTo();
  assert.equal(r.code, 0, r.stderr);
  const [first, second] = blobGets();
  assert.equal(first?.status, 429);
  assert.equal(second?.status, 200);
  assert.ok(second!.at - first!.at >= 950, `waited ${second!.at - first!.at} ms`);
});

test('429 with a Retry-After beyond the cap fails at once with a clear line', async () => {
  proxy.script([{ method: 'GET', path: BLOB, action: { status: 429, headers: { 'retry-after': '3600' } } }]);
  const r = await pullTo();
  await assertFailed(r, 1, /answered 429 for blob sha256:[0-9a-f]+ and asked to retry after 3600 s, longer than the 60 s we wait/);
  assert.equal(blobGets().length, 1, 'not retried, so not waited for');
});

test('503 on every try: exit 1 after the configured attempts, one line', async () => {
  proxy.script([{ method: 'GET', path: BLOB, action: { status: 503 } }]);
  const r = await pullTo();
  await assertFailed(r, 1, /answered 503 for blob sha256:/);
  assert.equal(blobGets().length, 5);
});

test('a connection reset mid-blob on download resumes with Range from the bytes received', async () => {
  proxy.script([{ method: 'GET', path: BLOB, times: 1, action: { resetResponseAfter: 1024 * 1024 } }]);
  const r = await pullTo();
  assert.equal(r.code, 0, r.stderr);
  await assertPulled(r.out);
  const gets = blobGets();
  assert.equal(gets.length, 2);
  assert.equal(gets[0]!.headers.range, undefined);
  const m = /^bytes=(\d+)-$/.exec(String(gets[1]!.headers.range));
  assert.ok(m, `resumed with a Range header: ${String(gets[1]!.headers.range)}`);
  assert.ok(Number(m[1]) > 0 && Number(m[1]) <= 1024 * 1024, m[1]);
  assert.equal(gets[1]!.status, 206);
});

test('a body cut short with its Content-Length kept (connection closed) is resumed too', async () => {
  proxy.script([{ method: 'GET', path: BLOB, times: 2, action: { truncateAfter: 700_000, keepLength: true } }]);
  const r = await pullTo();
  assert.equal(r.code, 0, r.stderr);
  await assertPulled(r.out);
  assert.deepEqual(blobGets().map((g) => g.headers.range === undefined ? 'full' : 'range'), ['full', 'range', 'range']);
});

test('a reset on every try fails with exit 1 after the attempts, nothing written', async () => {
  proxy.script([{ method: 'GET', path: BLOB, action: { resetResponseAfter: 64 * 1024 } }]);
  const r = await pullTo();
  await assertFailed(r, 1, /connection to 127\.0\.0\.1:\d+ broke|cannot reach 127\.0\.0\.1:\d+/);
  assert.equal(blobGets().length, 5);
});

test('a body that ends early without a Content-Length is a size mismatch: exit 3', async () => {
  proxy.script([{ method: 'GET', path: BLOB, action: { truncateAfter: 1000, keepLength: false } }]);
  const r = await pullTo();
  await assertFailed(r, 3, /size mismatch for sha256:[0-9a-f]+: expected \d+ bytes, got 1000/);
});

test('a flipped byte is a digest mismatch: exit 3, an existing output directory untouched', async () => {
  proxy.script([{ method: 'GET', path: BLOB, action: { flipByte: 123_456 } }]);
  const parent = await tempDir();
  const out = join(parent, 'out');
  await mkdir(out);
  await writeFile(join(out, 'keep.txt'), 'mine');
  const r = await cli(['pull', ref, '-o', out]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /✗ .*digest mismatch: expected sha256:[0-9a-f]+, got sha256:/);
  assert.deepEqual(await listing(parent), ['out/', 'out/keep.txt']);
  assert.equal(await readFile(join(out, 'keep.txt'), 'utf8'), 'mine');
  assert.deepEqual(await tempLeft(tmp), []);
});

test('a blob upload reset midway starts a new upload session and the push succeeds', async () => {
  const other = await tempDir();
  await writeFile(join(other, 'big.bin'), randomBytes(2 * 1024 * 1024));
  const target = `oci://${proxy.host}/faults/upload:v1`;
  // The layer's digest (build writes push's exact layer bytes) aims the reset at the layer's PUT, not the config's:
  // the graph writer uploads the two concurrently, biggest first.
  const built = join(await tempDir(), 'layer.tgz');
  assert.equal((await cli(['build', '-p', other, '-o', built])).code, 0);
  const hex = createHash('sha256').update(await readFile(built)).digest('hex');
  const layerPut = new RegExp(`/blobs/uploads/.*digest=sha256(:|%3A)${hex}`, 'i');
  proxy.script([{ method: 'PUT', path: layerPut, times: 1, action: { resetRequestAfter: 512 * 1024 } }]);
  const r = await cli(['push', target, '-f', other, '--reproducible']);
  assert.equal(r.code, 0, r.stderr);
  const uploads = proxy.log.filter((l) => /\/blobs\/uploads\//.test(l.path)).map((l) => `${l.method}${l.fault ? ` ${l.fault}` : ''}`);
  // config: POST, PUT; layer: POST, PUT (reset), POST (new session), PUT. Order between blobs may interleave.
  assert.equal(uploads.filter((u) => u === 'PUT resetRequestAfter').length, 1, uploads.join(', '));
  assert.equal(uploads.filter((u) => u === 'POST').length, 3, uploads.join(', '));
  assert.equal(uploads.filter((u) => u === 'PUT').length, 2, uploads.join(', '));
  proxy.script([]);
  const back = join(await tempDir(), 'back');
  const p = await cli(['pull', target, '-o', back]);
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual(await readFile(join(back, 'big.bin')), await readFile(join(other, 'big.bin')));
});

test('blob GETs redirected to a second origin (another port) arrive there without Authorization or custom headers', async () => {
  proxy.script([{ method: 'GET', path: BLOB, action: { redirect: (req) => `${recorder.url}${req.path}` } }]);
  recorder.log.length = 0;
  const r = await pullTo(['--debug']);
  assert.equal(r.code, 0, r.stderr);
  await assertPulled(r.out);
  const redirected = blobGets();
  assert.ok(redirected.length >= 1);
  assert.ok(redirected.every((g) => g.headers.authorization === BASIC), 'the registry origin got the credentials');
  assert.ok(recorder.log.length >= 1);
  for (const got of recorder.log) {
    assert.equal(got.headers.authorization, undefined, 'no Authorization at the other origin');
    assert.equal(got.headers.cookie, undefined);
    assert.deepEqual(Object.keys(got.headers).filter((h) => !['host', 'connection', 'user-agent', 'accept', 'range'].includes(h)), []);
  }
  assert.ok(!r.stderr.includes(PASS) && !r.stderr.includes(BASIC.slice(6)), 'no secret in the debug trace');
});

test('Content-Encoding on a blob is never decoded: the stored bytes are hashed as they are', async () => {
  proxy.script([{ method: 'GET', path: BLOB, action: { setHeaders: { 'content-encoding': 'gzip' } } }]);
  const r = await pullTo();
  assert.equal(r.code, 0, r.stderr);
  await assertPulled(r.out);
  assert.equal(blobGets()[0]!.headers['accept-encoding'], undefined);
});

test('a Docker-Content-Digest that disagrees with the bytes of a tag fetch is a warning; the computed digest wins', async () => {
  const fake = `sha256:${'0'.repeat(64)}`;
  proxy.script([{ method: 'GET', path: /\/manifests\/v1$/, action: { setHeaders: { 'docker-content-digest': fake } } }]);
  const r = await cli(['inspect', ref, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { digest: string };
  assert.notEqual(out.digest, fake);
  assert.match(r.stderr, new RegExp(`⚠ .*reported digest ${fake}.*but the bytes hash to ${out.digest}; using ${out.digest}`));
});

test('a manifest fetched by digest must hash to it: a flipped byte is exit 3 before any download', async () => {
  proxy.script([{ method: 'GET', path: /\/manifests\/sha256:/, action: { flipByte: 30 } }]);
  const r = await pullTo([], ref.replace(/:v1$/, `@${manifestDigest}`));
  await assertFailed(r, 3, /digest mismatch/);
  assert.equal(blobGets().length, 0, 'no blob was fetched');
});

test('layer urls in a manifest are never contacted', async () => {
  const art = artifactFor(tgz([file('a.txt', 'from the registry')]), { urls: [`${recorder.url}/foreign/layer.tgz`] });
  await pushRaw(reg.url, 'faults/urls', 'v1', art, BASIC);
  recorder.log.length = 0;
  proxy.script([]);
  const out = join(await tempDir(), 'out');
  const r = await cli(['pull', `oci://${proxy.host}/faults/urls:v1`, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(join(out, 'a.txt'), 'utf8'), 'from the registry');
  assert.deepEqual(recorder.log, []);
});

test('--timeout bounds the whole operation even when the server stalls mid-body', async () => {
  proxy.script([{ method: 'GET', path: BLOB, action: { stall: true } }]);
  const r = await pullTo(['--timeout', '2s']);
  // the deadline's own error (not the stalled body's end, which never comes) ended the run
  await assertFailed(r, 1, /timed out after 2s/);
  assert.equal(blobGets().length, 1, 'the stalled GET was the only one: the deadline, not a retry, ended it');
});

test('the idle timeout abandons a response that sends nothing, and resumes count against the attempts', async () => {
  proxy.script([{ method: 'GET', path: BLOB, action: { stall: true } }]);
  const parent = await tempDir();
  await assert.rejects(
    pull({ reference: ref, output: join(parent, 'out'), creds: `${USER}:${PASS}`, env: {}, idleTimeoutMs: 300 }),
    (err: { code?: string; message?: string }) => {
      assert.equal(err.code, 'NETWORK');
      assert.match(err.message ?? '', /sent nothing for too long \(UND_ERR_BODY_TIMEOUT\)/);
      return true;
    },
  );
  // five stalled GETs, each ended by the idle timeout (UND_ERR_BODY_TIMEOUT): none was waited out
  assert.equal(blobGets().length, 5);
  assert.deepEqual(await listing(parent), []);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} mid-download removes the temp files, creates no output and leaves an existing target as it was`, async () => {
    proxy.script([{ method: 'GET', path: BLOB, action: { trickle: { bytes: 16 * 1024, everyMs: 20 } } }]);
    const parent = await tempDir();
    const out = join(parent, 'out');
    await mkdir(out);
    await writeFile(join(out, 'keep.txt'), 'mine');
    tmp = await tempDir('ocipack-faults-tmp-');
    // HOME apart from the output's parent: on Node 22+ the CLI keeps its compile cache in ~/.cache/ocipack
    const child = spawn(process.execPath, [BIN, 'pull', ref, '-o', out, '--creds', `${USER}:${PASS}`], {
      env: { PATH: process.env.PATH ?? '', HOME: await tempDir('ocipack-home-'), NO_COLOR: '1', TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await proxy.waitFor((l) => BLOB.test(l.path) && l.sent > 64 * 1024, 20_000);
    assert.ok((await readdir(parent)).some((n) => n.startsWith('out.ocipack-staging-')), 'the layer is being extracted into staging beside the target');
    child.kill(signal);
    const code = await closed;
    assert.equal(code, signal === 'SIGINT' ? 130 : 143, stderr);
    assert.match(stderr, new RegExp(`✗ .*interrupted by ${signal}`));
    assert.deepEqual(await listing(parent), ['out/', 'out/keep.txt']);
    assert.equal(await readFile(join(out, 'keep.txt'), 'utf8'), 'mine');
    assert.deepEqual(await tempLeft(tmp), [], 'no temp files');
  });
}

test('SIGINT during extraction removes the staging directory beside the target and leaves the target as it was', async () => {
  // 30 000 small files: extraction takes long enough to be interrupted while the staging directory exists.
  const entries = Array.from({ length: 30_000 }, (_, i) => file(`d${Math.floor(i / 500)}/f${i}.yaml`, `n: ${i}\n`));
  await pushRaw(reg.url, 'faults/many', 'v1', artifactFor(tgz(entries)), BASIC);
  proxy.script([]);
  const parent = await tempDir();
  const out = join(parent, 'out');
  await mkdir(out);
  await writeFile(join(out, 'keep.txt'), 'mine');
  tmp = await tempDir('ocipack-faults-tmp-');
  const child = spawn(process.execPath, [BIN, 'pull', `oci://${proxy.host}/faults/many:v1`, '-o', out, '--creds', `${USER}:${PASS}`], {
    env: { PATH: process.env.PATH ?? '', HOME: await tempDir('ocipack-home-'), NO_COLOR: '1', TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const deadline = Date.now() + 30_000;
  let staging: string | undefined;
  while (staging === undefined && Date.now() < deadline) {
    staging = (await readdir(parent)).find((n) => n.startsWith('out.ocipack-staging-'));
    if (staging === undefined) await new Promise((r) => setTimeout(r, 5));
  }
  assert.ok(staging, `no staging directory appeared; ${stderr}`);
  await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGINT');
  const code = await closed;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /✗ .*(interrupted by SIGINT|extraction cancelled)/);
  assert.deepEqual(await listing(parent), ['out/', 'out/keep.txt']);
  assert.deepEqual(await tempLeft(tmp), []);
});
