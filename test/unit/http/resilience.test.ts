/** Issue 6 pieces of the HTTP layer: proxy choice for messages, Retry-After notes, CA lists, idle timeout, no-retry requests. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatcher, proxyFor, proxyInUse, tlsOptions } from '../../../src/http/dispatcher.js';
import { retryAfterNote } from '../../../src/http/retry.js';
import { readCapped } from '../../../src/http/body.js';
import { networkError } from '../../../src/http/errors.js';
import { request } from '../../../src/http/request.js';
import { fakeServer } from '../../helpers/fakes.js';

test('proxyFor mirrors undici: https falls back to HTTP_PROXY, NO_PROXY hosts, suffixes, ports and *', () => {
  const u = (s: string): URL => new URL(s);
  assert.equal(proxyFor(u('https://r.example/v2/'), {}), undefined);
  assert.equal(proxyFor(u('https://r.example/v2/'), { HTTPS_PROXY: 'http://p:3128' }), 'http://p:3128/');
  assert.equal(proxyFor(u('https://r.example/v2/'), { HTTP_PROXY: 'http://p:80' }), 'http://p/');
  assert.equal(proxyFor(u('http://r.example/v2/'), { HTTPS_PROXY: 'http://p:3128' }), undefined);
  assert.equal(proxyFor(u('https://r.example/'), { https_proxy: 'http://user:secret@p:3128' }), 'http://p:3128/', 'credentials never shown');
  const env = { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'internal.example, .corp.example,127.0.0.1:5000' };
  assert.equal(proxyFor(u('https://internal.example/'), env), undefined);
  assert.equal(proxyFor(u('https://reg.internal.example/'), env), undefined);
  assert.equal(proxyFor(u('https://a.corp.example/'), env), undefined);
  assert.equal(proxyFor(u('https://127.0.0.1:5000/'), env), undefined);
  assert.equal(proxyFor(u('https://127.0.0.1:5001/'), env), 'http://p:3128/');
  assert.equal(proxyFor(u('https://notinternal.example/'), env), 'http://p:3128/');
  assert.equal(proxyFor(u('https://x/'), { HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }), undefined);
});

test('proxyInUse names the variable the proxy came from; networkError blames the proxy for a failed connection only', () => {
  const u = (s: string): URL => new URL(s);
  assert.deepEqual(proxyInUse(u('https://r/'), { https_proxy: 'http://a:secret@p:3128' }), { url: 'http://p:3128/', variable: 'https_proxy' });
  assert.deepEqual(proxyInUse(u('https://r/'), { HTTP_PROXY: 'http://p:80' }), { url: 'http://p/', variable: 'HTTP_PROXY' });
  assert.deepEqual(proxyInUse(u('http://r/'), { HTTPS_PROXY: 'http://p:1', http_proxy: 'http://q:2' }), { url: 'http://q:2/', variable: 'http_proxy' });
  const place = { host: 'ghcr.io', proxy: { url: 'http://p:3128/', variable: 'HTTPS_PROXY' } };
  const refused = networkError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), place);
  assert.equal(refused.message, 'cannot reach the proxy p:3128 (HTTPS_PROXY) on the way to ghcr.io (ECONNREFUSED)');
  assert.deepEqual(refused.context, { host: 'p:3128', next: 'proxy-unreachable' });
  const tunnel = networkError(Object.assign(new Error('Proxy response (403) !== 200 when HTTP Tunneling'), { code: 'UND_ERR_ABORTED' }), place);
  assert.equal(tunnel.code, 'NETWORK');
  assert.equal(tunnel.message, 'the proxy p:3128 (HTTPS_PROXY) answered 403 when asked for a tunnel to ghcr.io');
  const cert = networkError(Object.assign(new Error('cert'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), place);
  assert.equal(cert.message, 'TLS certificate of ghcr.io through proxy http://p:3128/ not trusted (SELF_SIGNED_CERT_IN_CHAIN)');
  assert.equal(networkError(Object.assign(new Error('c'), { code: 'ECONNREFUSED' }), 'ghcr.io').message, 'cannot reach ghcr.io (ECONNREFUSED)');
});

test('retryAfterNote explains a retryable status that was not retried because of a long Retry-After', () => {
  assert.equal(retryAfterNote(429, '3600'), 'asked to retry after 3600 s, longer than the 60 s we wait');
  assert.equal(retryAfterNote(503, '61'), 'asked to retry after 61 s, longer than the 60 s we wait');
  assert.equal(retryAfterNote(503, '60'), undefined);
  assert.equal(retryAfterNote(503, undefined), undefined);
  assert.equal(retryAfterNote(404, '3600'), undefined, 'not a retryable status');
  assert.match(retryAfterNote(429, new Date(Date.now() + 2 * 3600_000).toUTCString()) ?? '', /asked to retry after 72\d\d s/);
});

test('tlsOptions: NODE_EXTRA_CA_CERTS from the given env is added unless Node loaded that file itself; --ca-file on top; unreadable extra is skipped with a warning', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-ca-'));
  after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'extra.pem'), 'EXTRA-PEM');
  await writeFile(join(dir, 'file.pem'), 'FILE-PEM');
  const env = { NODE_EXTRA_CA_CERTS: join(dir, 'extra.pem') };
  assert.deepEqual((await tlsOptions({ env })).extraCa, ['EXTRA-PEM']);
  assert.deepEqual((await tlsOptions({ env, caFile: join(dir, 'file.pem') })).extraCa, ['EXTRA-PEM', 'FILE-PEM']);
  // The file Node loaded at start-up is in its default store already: nothing to add, no context to build.
  assert.deepEqual(await tlsOptions({ env, loadedExtraCaCerts: join(dir, 'extra.pem') }), {});
  // With --ca-file a context of our own is needed, and Node gives it only the bundled roots: the extra file goes back in.
  assert.deepEqual((await tlsOptions({ env, loadedExtraCaCerts: join(dir, 'extra.pem'), caFile: join(dir, 'file.pem') })).extraCa, ['EXTRA-PEM', 'FILE-PEM']);
  const warnings: string[] = [];
  const missing = await tlsOptions({ env: { NODE_EXTRA_CA_CERTS: join(dir, 'gone.pem') }, caFile: join(dir, 'file.pem'), onWarning: (m) => warnings.push(m) });
  assert.deepEqual(missing.extraCa, ['FILE-PEM']);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /ignoring NODE_EXTRA_CA_CERTS: cannot read NODE_EXTRA_CA_CERTS file .*gone\.pem: ENOENT/);
  assert.deepEqual(await tlsOptions({ env: { NODE_EXTRA_CA_CERTS: '' } }), {});
});

test('the idle timeout abandons a response whose body stops, and names it', async () => {
  const { url } = await fakeServer((_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial');
  });
  const dispatcher = await createDispatcher({ idleTimeoutMs: 200 });
  after(() => dispatcher.close());
  const res = await request({ dispatcher }, { method: 'GET', url: new URL(url) });
  const err = await readCapped(res.body, 1000).then(() => undefined, (e: unknown) => e);
  // the server never finishes the body: only the idle timer ends the read, with its own code
  assert.equal((err as { code?: string }).code, 'UND_ERR_BODY_TIMEOUT');
  assert.match(networkError(err, 'r.example').message, /^r\.example sent nothing for too long \(UND_ERR_BODY_TIMEOUT\)$/);
});

test('the idle timeout also bounds waiting for the headers', async () => {
  const { url } = await fakeServer(() => undefined);
  const dispatcher = await createDispatcher({ idleTimeoutMs: 200 });
  after(() => dispatcher.close());
  const fast = { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 10 };
  await assert.rejects(request({ dispatcher, retry: fast }, { method: 'GET', url: new URL(url) }), { code: 'UND_ERR_HEADERS_TIMEOUT' });
});

test('retry: false sends once, whatever the status', async () => {
  let n = 0;
  const { url } = await fakeServer((_req, res) => {
    n++;
    res.writeHead(503).end();
  });
  const dispatcher = await createDispatcher();
  after(() => dispatcher.close());
  const res = await request({ dispatcher }, { method: 'PUT', url: new URL(url), body: Buffer.from('x'), retry: false });
  assert.equal(res.status, 503);
  await readCapped(res.body, 10);
  assert.equal(n, 1);
});
