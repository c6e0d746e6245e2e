/** The request wrapper against tiny local servers: redirects, credential stripping, retries, capped reads. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { Agent } from 'undici';
import { readCapped } from '../../../src/http/body.js';
import { crossOriginHeaders, redirectTarget, request, type HttpContext } from '../../../src/http/request.js';
import { fakeServer } from '../../helpers/fakes.js';

const dispatcher = new Agent();
after(() => dispatcher.close());
const fast = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1000 };

function ctx(lines: string[] = []): HttpContext {
  return { dispatcher, retry: fast, onDebug: (l) => lines.push(l) };
}

test('redirectTarget resolves relative locations and refuses downgrades and odd schemes', () => {
  const from = new URL('https://r.example/v2/a/blobs/sha256:x');
  assert.equal(redirectTarget(from, '/storage/x?sig=1').href, 'https://r.example/storage/x?sig=1');
  assert.equal(redirectTarget(from, 'https://s3.example/b').host, 's3.example');
  assert.throws(() => redirectTarget(from, 'http://s3.example/b'), /refusing redirect from https to plain http/);
  assert.throws(() => redirectTarget(from, 'ftp://x/'), /unsupported scheme/);
  assert.equal(redirectTarget(new URL('http://127.0.0.1:1/'), 'http://127.0.0.1:2/').port, '2');
});

test('crossOriginHeaders keeps only harmless headers', () => {
  assert.deepEqual(crossOriginHeaders({ authorization: 'Bearer x', 'x-meta': 'y', Accept: 'a', 'user-agent': 'u', cookie: 'c' }), {
    Accept: 'a', 'user-agent': 'u',
  });
});

test('a redirect to another origin drops Authorization and custom headers; same origin keeps them', async () => {
  const seen: Array<Record<string, string | string[] | undefined>> = [];
  const storage = await fakeServer((req, res) => {
    seen.push(req.headers);
    res.end('blob');
  });
  const registry = await fakeServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/first') res.writeHead(307, { location: '/second' }).end();
    else res.writeHead(302, { location: `${storage.url}/data?sig=SIGNED` }).end();
  });
  const lines: string[] = [];
  const res = await request(ctx(lines), {
    method: 'GET', url: new URL(`${registry.url}/first`), headers: { authorization: 'Bearer SECRET', 'x-custom': '1', accept: 'x/y' },
  });
  assert.equal(res.status, 200);
  assert.equal((await readCapped(res.body, 100)).bytes.toString(), 'blob');
  assert.equal(res.url.origin, storage.url);
  assert.equal(seen.length, 3);
  assert.equal(seen[1]?.authorization, 'Bearer SECRET', 'same-origin hop keeps credentials');
  assert.equal(seen[2]?.authorization, undefined);
  assert.equal(seen[2]?.['x-custom'], undefined);
  assert.equal(seen[2]?.accept, 'x/y');
  assert.ok(lines.every((l) => !l.includes('SECRET') && !l.includes('SIGNED')), lines.join('\n'));
});

test('PUT does not follow redirects', async () => {
  const srv = await fakeServer((_req, res) => res.writeHead(307, { location: '/elsewhere' }).end());
  const res = await request(ctx(), { method: 'PUT', url: new URL(`${srv.url}/x`), body: Buffer.from('a') });
  assert.equal(res.status, 307);
  await readCapped(res.body, 10);
});

test('too many redirects fail', async () => {
  const srv = await fakeServer((req, res) => res.writeHead(302, { location: `/r${Number(req.url?.slice(2) || 0) + 1}` }).end());
  await assert.rejects(request(ctx(), { method: 'GET', url: new URL(`${srv.url}/r0`) }), /too many redirects/);
});

test('503 then 200 is retried, replaying a stream body from its factory', async () => {
  const bodies: string[] = [];
  let n = 0;
  const srv = await fakeServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      bodies.push(data);
      if (n++ === 0) res.writeHead(503, { 'retry-after': '0' }).end('busy');
      else res.writeHead(201).end();
    });
  });
  const res = await request(ctx(), { method: 'PUT', url: new URL(`${srv.url}/u`), body: () => Readable.from([Buffer.from('hello')]) });
  assert.equal(res.status, 201);
  await readCapped(res.body, 10);
  assert.deepEqual(bodies, ['hello', 'hello']);
});

test('a one-shot stream body is not retried', async () => {
  let n = 0;
  const srv = await fakeServer((req, res) => {
    n++;
    req.resume();
    req.on('end', () => res.writeHead(503).end());
  });
  const res = await request(ctx(), { method: 'PUT', url: new URL(`${srv.url}/u`), body: Readable.from([Buffer.from('x')]) });
  assert.equal(res.status, 503);
  await readCapped(res.body, 10);
  assert.equal(n, 1);
});

test('retries stop after the configured attempts; Retry-After beyond the cap is not waited for', async () => {
  let n = 0;
  const srv = await fakeServer((req, res) => {
    n++;
    if (req.url === '/long') res.writeHead(429, { 'retry-after': '3600' }).end();
    else res.writeHead(500).end();
  });
  const res = await request(ctx(), { method: 'GET', url: new URL(`${srv.url}/always`) });
  assert.equal(res.status, 500);
  await readCapped(res.body, 10);
  assert.equal(n, 3);
  n = 0;
  const long = await request(ctx(), { method: 'GET', url: new URL(`${srv.url}/long`) });
  assert.equal(long.status, 429);
  await readCapped(long.body, 10);
  assert.equal(n, 1);
});

test('connection refused is retried, then thrown with its code', async () => {
  const srv = await fakeServer(() => undefined);
  const url = srv.url;
  await new Promise<void>((r) => srv.server.close(() => r()));
  const lines: string[] = [];
  await assert.rejects(request(ctx(lines), { method: 'GET', url: new URL(`${url}/`) }), { code: 'ECONNREFUSED' });
  assert.equal(lines.filter((l) => l.startsWith('! ')).length, 2);
});

test('a refused first contact is retried once at most, whatever the retry policy allows', async () => {
  const srv = await fakeServer((_req, res) => res.end('x'));
  const url = srv.url;
  await new Promise<void>((r) => srv.server.close(() => r()));
  const lines: string[] = [];
  const c = { ...ctx(lines), retry: { attempts: 5, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 10 } };
  await assert.rejects(request(c, { method: 'GET', url: new URL(`${url}/`), firstContact: true }), { code: 'ECONNREFUSED' });
  assert.equal(lines.filter((l) => l.startsWith('! ')).length, 1);
  assert.equal(lines.filter((l) => l.startsWith('> GET')).length, 2);
});

test('readCapped stops at the cap and reports an incomplete read', async () => {
  const srv = await fakeServer((_req, res) => res.end('x'.repeat(100_000)));
  const res = await request(ctx(), { method: 'GET', url: new URL(srv.url) });
  const capped = await readCapped(res.body, 10);
  assert.equal(capped.complete, false);
  assert.equal(capped.bytes.length, 10);
  const res2 = await request(ctx(), { method: 'GET', url: new URL(srv.url) });
  const full = await readCapped(res2.body, 200_000);
  assert.equal(full.complete, true);
  assert.equal(full.bytes.length, 100_000);
});
