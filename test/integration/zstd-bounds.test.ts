/**
 * zstd layers cannot make a pull hold more than its bounds (SPEC §5): a frame whose header claims a huge
 * window is refused before any window is allocated, a small layer that expands past the layer cap stops on
 * the cap, and a long decompression stops within a second of SIGTERM. The frames are written byte by byte
 * (RFC 8878) or by the `zstd` tool, published with plain API calls to a real registry and pulled by the
 * built CLI; peak memory is GNU time's largest resident set of the CLI process.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, runProcess, tempDir, tempLeft, type CliResult } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { artifactFor, listing, pushRaw } from '../helpers/hostile.js';
import { buildTar, file } from '../helpers/tarbuilder.js';

const ZSTD_LAYER = 'application/vnd.oci.image.layer.v1.tar+zstd';
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
/** The bound these tests hold the CLI process to (a pull of a small artifact peaks near 80 MiB). */
const MAX_RSS = 200 * MiB;
/** The most a frame may claim: 2^27 bytes (DEFAULTS.zstdWindowLog). */
const WINDOW_LIMIT = /zstd frame needs a decoding window larger than 134217728 bytes/;

let reg: RunningRegistry;
before(async () => {
  reg = await startRegistry({ auth: 'none' });
});
after(async () => {
  await reg?.stop();
});

/** RFC 8878 §3.1.1.2: a Block_Header, 3 bytes little-endian: Last_Block, Block_Type, Block_Size. */
function block(type: 'raw' | 'rle', size: number, last: boolean, content: Buffer): Buffer {
  const v = (last ? 1 : 0) | ((type === 'raw' ? 0 : 1) << 1) | (size << 3);
  return Buffer.concat([Buffer.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff]), content]);
}

/**
 * A frame (§3.1.1) of a tar's first bytes in one Raw_Block, then `zeros` zero bytes in 128 KiB RLE_Blocks
 * (4 bytes each). Its header has no content size and no checksum, only a Window_Descriptor: `windowLog`
 * is what it claims (§3.1.1.1.2, exponent = windowLog − 10, mantissa 0), whatever its content needs.
 */
function frame(windowLog: number, tarHead: Buffer, zeros = 0): Buffer {
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (windowLog - 10) << 3]), block('raw', tarHead.length, zeros === 0, tarHead)];
  const full = block('rle', 128 * KiB, false, Buffer.from([0]));
  for (let left = zeros; left > 0; left -= 128 * KiB) parts.push(left > 128 * KiB ? full : block('rle', left, true, Buffer.from([0])));
  return Buffer.concat(parts);
}

/** One empty file whose "end of archive" is followed by `total` zero bytes: only counting them can stop it. */
function lyingBomb(total: number): Buffer {
  return frame(17, buildTar([file('zeros', '')], { end: false }), total);
}

interface Pulled extends CliResult {
  work: string;
  out: string;
  tmp: string;
  maxRss: number;
}

function cliEnv(tmp: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.OCIPACK_TEST_HOME ?? process.env.HOME ?? '', NO_COLOR: '1', TMPDIR: tmp };
}

/** Publishes `layer` as zstd/<slug>:v1 and pulls it under GNU time into <work>/out, which holds keep.txt. */
async function pull(slug: string, layer: Buffer, extra: string[] = []): Promise<Pulled> {
  await pushRaw(reg.url, `zstd/${slug}`, 'v1', artifactFor(layer, { mediaType: ZSTD_LAYER }));
  const work = await tempDir('ocipack-zstd-');
  const out = join(work, 'out');
  await mkdir(out);
  await writeFile(join(out, 'keep.txt'), 'old');
  const tmp = await tempDir('ocipack-zstd-tmp-');
  const rss = join(await tempDir('ocipack-zstd-rss-'), 'rss');
  const args = ['-f', '%M', '-o', rss, process.execPath, BIN, 'pull', `oci://${reg.host}/zstd/${slug}:v1`, '-o', out, ...extra];
  const r = await runProcess('/usr/bin/time', args, { env: cliEnv(tmp) });
  // With a non-zero exit, GNU time writes "Command exited with non-zero status N" first.
  const maxRss = Number((await readFile(rss, 'utf8')).trim().split('\n').pop()) * KiB;
  return { ...r, work, out, tmp, maxRss };
}

async function assertRefused(t: TestContext, p: Pulled, message: RegExp): Promise<void> {
  assert.equal(p.code, 1, p.stderr);
  const lines = p.stderr.split('\n').filter((l) => l.startsWith('✗'));
  assert.equal(lines.length, 1, p.stderr);
  assert.match(lines[0]!, message);
  assert.deepEqual(await listing(p.work), ['out/', 'out/keep.txt']);
  assert.deepEqual(await readdir(p.tmp), [], 'no temp files left');
  assertBounded(t, p);
}

function assertBounded(t: TestContext, p: Pulled): void {
  const shown = `peak RSS ${(p.maxRss / MiB).toFixed(1)} MiB`;
  t.diagnostic(shown);
  assert.ok(p.maxRss > 0 && p.maxRss < MAX_RSS, shown);
}

const small = buildTar([file('app.yaml', 'kind: ConfigMap\n'), file('data.txt', 'x'.repeat(3000))]);

test('a frame claiming the largest allowed window (128 MiB) reads, without using that memory', async (t) => {
  const p = await pull('window-27', frame(27, small));
  assert.equal(p.code, 0, p.stderr);
  assert.equal(await readFile(join(p.out, 'app.yaml'), 'utf8'), 'kind: ConfigMap\n');
  assertBounded(t, p);
});

for (const windowLog of [28, 31]) {
  test(`a few-KB frame whose header claims a 2^${windowLog}-byte window fails at once on the window cap`, async (t) => {
    const layer = frame(windowLog, small);
    assert.ok(layer.length < 8 * KiB);
    await assertRefused(t, await pull(`window-${windowLog}`, layer), WINDOW_LIMIT);
  });
}

test('a single-segment frame whose content size (its window) claims 2 GiB fails the same way', async (t) => {
  // Frame_Header_Descriptor 0xa0: FCS_Field_Size 4 bytes, Single_Segment; the content size is the window.
  const fcs = Buffer.alloc(4);
  fcs.writeUInt32LE(2 * GiB);
  const layer = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0]), fcs, block('raw', small.length, true, small)]);
  await assertRefused(t, await pull('single-segment', layer), WINDOW_LIMIT);
});

test('a zstd layer (from the zstd tool) expanding past --max-layer-size fails on the cap, memory bounded', async (t) => {
  const tar = buildTar([file('zeros', Buffer.alloc(64 * MiB))]);
  const layer = execFileSync('zstd', ['-q', '-c', '-19'], { input: tar, maxBuffer: 16 * MiB });
  assert.ok(layer.length < 64 * KiB, `${layer.length} bytes`);
  const p = await pull('cap-honest', layer, ['--max-layer-size', '16MiB']);
  await assertRefused(t, p, /layer exceeds 16777216 bytes when decompressed/);
  assert.match(p.stderr, /hint: raise it with --max-layer-size/);
});

test('a 1.25 GiB zstd bomb whose tar header lies is stopped by counting what the decoder gives', async (t) => {
  const layer = lyingBomb(1.25 * GiB);
  assert.ok(layer.length < 64 * KiB, `${layer.length} bytes`);
  await assertRefused(t, await pull('cap-lying', layer), /layer exceeds 1073741824 bytes when decompressed/);
});

test('SIGTERM during a long zstd decompression: the run ends within a second, target untouched', async (t) => {
  await pushRaw(reg.url, 'zstd/long', 'v1', artifactFor(lyingBomb(256 * GiB), { mediaType: ZSTD_LAYER }));
  const work = await tempDir('ocipack-zstd-');
  const out = join(work, 'out');
  await mkdir(out);
  await writeFile(join(out, 'keep.txt'), 'old');
  const tmp = await tempDir('ocipack-zstd-tmp-');
  const child = spawn(process.execPath, [BIN, 'pull', `oci://${reg.host}/zstd/long:v1`, '-o', out, '--max-layer-size', '1024GiB'], { env: cliEnv(tmp) });
  let stderr = '';
  const started = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (/extracting layer 0 .*zstd-compressed tar/.test(stderr)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the CLI ended (${code}) before the signal:\n${stderr}`)));
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: performance.now() })));
  await started;
  // Well into the decompression (the whole frame takes far longer than this to decode).
  await new Promise((r) => setTimeout(r, 500));
  const sent = performance.now();
  child.kill('SIGTERM');
  const { code, at } = await exited;
  const ms = at - sent;
  t.diagnostic(`exited ${ms.toFixed(0)} ms after SIGTERM`);
  assert.ok(ms < 1000, `exited ${ms.toFixed(0)} ms after SIGTERM`);
  assert.equal(code, 143, stderr);
  assert.match(stderr, /✗ .*interrupted by SIGTERM/);
  assert.deepEqual(await listing(work), ['out/', 'out/keep.txt']);
  assert.deepEqual(await tempLeft(tmp), [], 'no temp files left');
});
