/**
 * Resumed blob downloads and restarted uploads against tiny servers that behave as no real registry
 * on this machine does (no Range support, a wrong Content-Range, an upload session that breaks), plus
 * the pure helpers behind them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent } from 'undici';
import { TokenCache } from '../../../src/auth/cache.js';
import { OcipackError, RegistryError } from '../../../src/core/errors.js';
import type { HttpContext } from '../../../src/http/request.js';
import { getBlob, restartsUpload, uploadBlob } from '../../../src/registry/blobs.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { rangeStart } from '../../../src/registry/download.js';
import type { Repo } from '../../../src/registry/repo.js';
import { checkLayerSize } from '../../../src/artifact/tar/unpack.js';
import { hintFor } from '../../../src/cli/hints.js';
import { fakeServer, readAll } from '../../helpers/fakes.js';

const dispatcher = new Agent();
after(() => dispatcher.close());
const blob = randomBytes(300_000);
const desc = { mediaType: 'application/octet-stream', digest: `sha256:${createHash('sha256').update(blob).digest('hex')}`, size: blob.length };

async function registry(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Repo> {
  const { host } = await fakeServer((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    handler(req, res);
  });
  const ctx: HttpContext = { dispatcher, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 10 } };
  const client = new RegistryClient({ host, http: async () => ctx, credential: async () => undefined, cache: new TokenCache() });
  return { client, name: 'a/b', scopes: [] };
}

/** Sends the first `n` bytes with the full Content-Length, then resets the connection. */
function breakAfter(res: ServerResponse, n: number): void {
  res.writeHead(200, { 'content-length': String(blob.length) });
  res.write(blob.subarray(0, n), () => setTimeout(() => res.socket?.resetAndDestroy(), 20));
}

test('rangeStart reads Content-Range', () => {
  assert.equal(rangeStart('bytes 100-299/300'), 100);
  assert.equal(rangeStart('bytes 0-9/*'), 0);
  assert.equal(rangeStart('items 1-2/3'), undefined);
  assert.equal(rangeStart(undefined), undefined);
});

test('a server without Range support: the download restarts and the bytes already passed on are skipped', async () => {
  const ranges: Array<string | undefined> = [];
  const repo = await registry((req, res) => {
    ranges.push(req.headers.range);
    if (ranges.length === 1) breakAfter(res, 100_000);
    else res.writeHead(200, { 'content-length': String(blob.length) }).end(blob);
  });
  assert.deepEqual(await readAll(await getBlob(repo, desc)), blob);
  assert.equal(ranges[0], undefined);
  assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
});

test('a server that honours Range: the download continues from the offset', async () => {
  const ranges: Array<string | undefined> = [];
  const repo = await registry((req, res) => {
    ranges.push(req.headers.range);
    if (ranges.length === 1) return breakAfter(res, 100_000);
    const from = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1]);
    res.writeHead(206, { 'content-range': `bytes ${from}-${blob.length - 1}/${blob.length}`, 'content-length': String(blob.length - from) }).end(blob.subarray(from));
  });
  assert.deepEqual(await readAll(await getBlob(repo, desc)), blob);
  assert.equal(ranges.length, 2);
});

test('a 206 from the wrong offset is refused; a resume answered 404 is NOT_FOUND', async () => {
  let n = 0;
  const repo = await registry((_req, res) => {
    if (n++ === 0) return breakAfter(res, 100_000);
    res.writeHead(206, { 'content-range': `bytes 0-${blob.length - 1}/${blob.length}` }).end(blob);
  });
  await assert.rejects(readAll(await getBlob(repo, desc)), /resumed blob sha256:[0-9a-f]+ at the wrong offset/);
  let m = 0;
  const gone = await registry((_req, res) => {
    if (m++ === 0) return breakAfter(res, 1000);
    res.writeHead(404).end();
  });
  await assert.rejects(readAll(await getBlob(gone, desc)), { code: 'NOT_FOUND' });
});

test('breaks on every try stop after the attempts with a NETWORK error', async () => {
  let n = 0;
  const repo = await registry((_req, res) => {
    n++;
    breakAfter(res, 10_000);
  });
  await assert.rejects(readAll(await getBlob(repo, desc)), (err: OcipackError) => err.code === 'NETWORK');
  assert.equal(n, 3);
});

test('an upload session that fails midway is replaced by a new one; the body is sent whole each time', async () => {
  const sessions: string[] = [];
  const bodies: number[] = [];
  const repo = await registry((req, res) => {
    if (req.method === 'POST') {
      sessions.push(`s${sessions.length}`);
      return void res.writeHead(202, { location: `/v2/a/b/blobs/uploads/${sessions.at(-1)}` }).end();
    }
    let size = 0;
    req.on('data', (c: Buffer) => (size += c.length));
    req.on('end', () => {
      bodies.push(size);
      if (bodies.length === 1) res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN"}]}');
      else res.writeHead(201).end();
    });
  });
  await uploadBlob(repo, desc, blob);
  assert.deepEqual(sessions, ['s0', 's1']);
  assert.deepEqual(bodies, [blob.length, blob.length]);
});

test('restartsUpload: breaks, 408/429/5xx and lost sessions restart; refusals and verification failures do not', () => {
  assert.equal(restartsUpload(new OcipackError('NETWORK', 'x')), true);
  assert.equal(restartsUpload(new RegistryError('REGISTRY', 503, 'x')), true);
  assert.equal(restartsUpload(new RegistryError('NOT_FOUND', 404, 'x', ['BLOB_UPLOAD_UNKNOWN'])), true);
  assert.equal(restartsUpload(new RegistryError('REGISTRY', 400, 'x', ['BLOB_UPLOAD_INVALID'])), true);
  assert.equal(restartsUpload(new RegistryError('REGISTRY', 400, 'x', ['DIGEST_INVALID'])), false);
  assert.equal(restartsUpload(new RegistryError('DENIED', 403, 'x')), false);
  assert.equal(restartsUpload(new OcipackError('VERIFY', 'x')), false);
  assert.equal(restartsUpload(new OcipackError('CANCELLED', 'x')), false);
  assert.equal(restartsUpload(new Error('x')), false);
});

test('checkLayerSize refuses only stored sizes that cannot decompress under the cap', () => {
  const cap = 1024 * 1024;
  checkLayerSize(cap, cap);
  checkLayerSize(cap + 100, cap);
  assert.throws(() => checkLayerSize(cap * 2, cap), (err: OcipackError) => err.code === 'CAP' && /--max-layer-size/.test(hintFor(err) ?? ''));
  checkLayerSize(1024 ** 3);
  assert.throws(() => checkLayerSize(2 * 1024 ** 3), { code: 'CAP' });
});
