/**
 * Progress all the way, on a real pseudo-terminal (`script`): pack shows the tree's total before it
 * reads a byte (and no rate for a few bytes), pull shows files extracted while it downloads and the
 * move into place, copy shows total and per-blob progress; on a pipe a copy prints a plain line per
 * blob instead. Slow transfers come from the fault proxy trickling the real registry's blobs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, ocipackOnTty, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/faultproxy.js';
import { putBlob, putManifest } from '../helpers/rawoci.js';

type Registry = Awaited<ReturnType<typeof startRegistry>>;
let reg: Registry;
let reg2: Registry;
let proxy: FaultProxy;
const TTY_ENV = { NO_COLOR: '1', TERM: 'xterm' };
const BLOB_GET = /\/blobs\/sha256:/;
const FILES = 1500;
/** Drop the spinner's cursor and line control, keep the text. */
const text = (s: string): string => s.replace(/\u001b\[[?\d;]*[A-Za-z]/g, '');

before(async () => {
  [reg, reg2] = await Promise.all([startRegistry(), startRegistry()]);
  proxy = await startFaultProxy({ upstream: reg.host });
});
after(async () => {
  await proxy?.close();
  await Promise.all([reg?.stop(), reg2?.stop()]);
});

test('pack on a terminal: the total the walk found comes first; a tiny tree gets no rate', async () => {
  const big = await tempDir();
  await writeFile(join(big, 'a.bin'), randomBytes(5 * 1024 * 1024));
  await writeFile(join(big, 'b.bin'), randomBytes(1024 * 1024));
  const r = await ocipackOnTty(['push', `oci://${reg.host}/tty/pack:v1`, '-f', big], TTY_ENV);
  assert.equal(r.code, 0, r.stdout);
  assert.match(text(r.stdout), /packing 6\.0 MiB…/, 'the total (6 MiB of files) before the first byte is read');
  const tiny = await tempDir();
  await writeFile(join(tiny, 'x.yaml'), 'a: 1\nb: 2\n');
  const t = await ocipackOnTty(['push', `oci://${reg.host}/tty/tiny:v1`, '-f', tiny], TTY_ENV);
  assert.equal(t.code, 0, t.stdout);
  assert.match(text(t.stdout), /packing 10 B…/);
  assert.doesNotMatch(t.stdout, /B\/s\)/, 'no rate for a few bytes');
});

test('pull on a terminal: files extracted while the layer downloads, then the move into place', async () => {
  const tree = await tempDir();
  for (let d = 0; d < 15; d++) {
    await mkdir(join(tree, `d${d}`));
    for (let f = 0; f < FILES / 15; f++) await writeFile(join(tree, `d${d}`, `f${f}.txt`), randomBytes(48).toString('hex'));
  }
  const push = await ocipack(['push', `oci://${reg.host}/tty/many:v1`, '-f', tree]);
  assert.equal(push.code, 0, push.stderr);
  proxy.script([{ method: 'GET', path: BLOB_GET, action: { trickle: { bytes: 8 * 1024, everyMs: 25 } } }]);
  const out = join(await tempDir(), 'out');
  const r = await ocipackOnTty(['pull', `oci://${proxy.host}/tty/many:v1`, '-o', out], TTY_ENV);
  assert.equal(r.code, 0, r.stdout);
  const shown = text(r.stdout);
  assert.match(shown, /downloading [\d.]+ KiB \/ [\d.]+ KiB[^\n]*, [1-9]\d* files \([\d.]+ (B|KiB)\) extracted/);
  assert.match(shown, new RegExp(`moving ${FILES} files into ${out.replace(/[/.]/g, '\\$&')}`));
  assert.match(shown, /✔ /);
  assert.equal((await readdir(out)).length, 15);
});

/** An image with a config and three 1 MiB layers, placed with plain API calls. */
async function multiBlob(repo: string): Promise<void> {
  const base = `http://${reg.host}`;
  const config = Buffer.from('{}');
  const layers = [randomBytes(1024 * 1024), randomBytes(1024 * 1024), randomBytes(1024 * 1024)];
  const desc = async (b: Buffer, mediaType: string) => ({ mediaType, digest: await putBlob(base, repo, b), size: b.length });
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: await desc(config, 'application/vnd.oci.image.config.v1+json'),
    layers: await Promise.all(layers.map((l) => desc(l, 'application/vnd.oci.image.layer.v1.tar'))),
  };
  await putManifest(base, repo, 'v1', Buffer.from(JSON.stringify(manifest)), manifest.mediaType);
}

test('copy on a terminal: total bytes, rate and blobs done of all, one line per blob in flight', async () => {
  await multiBlob('tty/multi');
  proxy.script([{ method: 'GET', path: BLOB_GET, action: { trickle: { bytes: 32 * 1024, everyMs: 25 } } }]);
  const r = await ocipackOnTty(['copy', `${proxy.host}/tty/multi:v1`, `${reg2.host}/tty/multi:v1`], TTY_ENV);
  assert.equal(r.code, 0, r.stdout);
  const shown = text(r.stdout);
  assert.match(shown, /copying [\d.]+ (KiB|MiB) \/ 3\.0 MiB \([\d.]+ (KiB|MiB)\/s\), [0-3]\/4 blobs/);
  assert.match(shown, /\n {2}sha256:[0-9a-f]{12} [\d.]+ (KiB|MiB) \/ 1\.0 MiB/, 'a line per blob in flight');
  assert.match(shown, /✔ /);
});

test('copy on a pipe: a plain line per blob (n of all, size, digest), no escapes; --quiet prints none', async () => {
  await multiBlob('pipe/multi');
  const r = await ocipack(['copy', `${reg.host}/pipe/multi:v1`, `${reg2.host}/pipe/multi:v1`]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('◦ copied blob'));
  assert.equal(lines.length, 4, r.stderr);
  assert.ok(lines.every((l) => /^◦ copied blob [1-4]\/4 \([\d.]+ (B|KiB|MiB)[^)]*\) sha256:[0-9a-f]{64}$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('◦ copied blob 4/4')));
  assert.doesNotMatch(r.stderr, /\u001b\[/);
  const quiet = await ocipack(['copy', `${reg.host}/pipe/multi:v1`, `${reg2.host}/pipe/quiet:v1`, '--quiet']);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, '');
});
