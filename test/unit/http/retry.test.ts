import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, delayForResponse, isRetryableError, isRetryableStatus, parseRetryAfter, sleep } from '../../../src/http/retry.js';

const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

test('retryable statuses: 408, 429 and 5xx except 501/505', () => {
  const yes = [408, 429, 500, 502, 503, 504, 599];
  const no = [200, 201, 301, 400, 401, 403, 404, 409, 501, 505];
  for (const s of yes) assert.equal(isRetryableStatus(s), true, String(s));
  for (const s of no) assert.equal(isRetryableStatus(s), false, String(s));
});

test('retryable errors: resets and refusals, never TLS errors', () => {
  for (const code of ['ECONNRESET', 'ECONNREFUSED', 'UND_ERR_SOCKET']) assert.equal(isRetryableError({ code }), true, code);
  for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ENOTFOUND']) assert.equal(isRetryableError({ code }), false, code);
  assert.equal(isRetryableError(new Error('x')), false);
  assert.equal(isRetryableError(null), false);
});

test('Retry-After: seconds, HTTP-date, garbage', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('3', now), 3000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now), 10_000);
  assert.equal(parseRetryAfter('Sun, 31 Dec 2023 00:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter(['2', '9'], now), 2000);
});

test('backoff doubles, is jittered between half and all, and is capped', () => {
  assert.equal(backoffMs(0, policy, () => 0), 50);
  assert.equal(backoffMs(0, policy, () => 1), 100);
  assert.equal(backoffMs(2, policy, () => 1), 400);
  assert.equal(backoffMs(10, policy, () => 1), 1000);
  assert.equal(backoffMs(10, policy, () => 0), 500);
});

test('delayForResponse honours Retry-After up to the cap, else gives up', () => {
  assert.equal(delayForResponse(0, '2', policy), 2000);
  assert.equal(delayForResponse(0, '6', policy), undefined);
  const d = delayForResponse(1, undefined, policy);
  assert.ok(d !== undefined && d >= 100 && d <= 200, String(d));
});

test('sleep rejects with the abort reason', async () => {
  const ac = new AbortController();
  const p = sleep(10_000, ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(p, /stop/);
});
