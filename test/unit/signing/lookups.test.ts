/** The lookup log verify keeps (SPEC §7): answers, failures, and the error that names them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OcipackError, RegistryError } from '../../../src/core/errors.js';
import { LookupLog, statusOf } from '../../../src/signing/lookups.js';

const D = `sha256:${'a'.repeat(64)}`;

test('statusOf: the HTTP status of a registry error, the network error\'s own code, else the error code', () => {
  assert.equal(statusOf(new RegistryError('REGISTRY', 503, 'x')), 503);
  assert.equal(statusOf(new OcipackError('NETWORK', 'x', { cause: Object.assign(new Error('r'), { code: 'ECONNRESET' }) })), 'ECONNRESET');
  assert.equal(statusOf(new OcipackError('NETWORK', 'x')), 'NETWORK');
  assert.equal(statusOf(new OcipackError('CAP', 'x')), 'CAP');
  assert.equal(statusOf(Object.assign(new Error('x'), { code: 'EPIPE' })), 'EPIPE');
  assert.equal(statusOf(new Error('x')), 'ERROR');
});

test('answers are recorded with what they found; a failure is recorded and the search goes on', async () => {
  const log = new LookupLog();
  let n = 0;
  assert.equal(await log.look('cosign-tag', () => n, async () => 404), true);
  assert.equal(await log.look('referrers-api', () => n, async () => { n += 2; throw new RegistryError('REGISTRY', 429, 'asked too often', ['TOOMANYREQUESTS']); }), false);
  assert.equal(await log.look('referrers-tag', () => n, async () => { n += 1; return 200; }), true);
  assert.deepEqual(log.list, [
    { place: 'cosign-tag', status: 404, found: 0 },
    { place: 'referrers-api', status: 429, found: 2, error: 'asked too often' },
    { place: 'referrers-tag', status: 200, found: 1 },
  ]);
  assert.deepEqual(log.failed().map((l) => l.place), ['referrers-api']);
  const err = log.failure(D);
  assert.ok(err instanceof RegistryError);
  assert.deepEqual([err.code, err.status, err.registryCodes], ['REGISTRY', 429, ['TOOMANYREQUESTS']]);
  assert.equal(err.message, `could not look for every signature of ${D}, and none found verified: referrers-api (429: asked too often)`);
});

test('no failure when every place answered; cancellation and foreign errors are not lookups', async () => {
  const log = new LookupLog();
  await log.look('referrers-tag', () => 0, async () => 404);
  assert.equal(log.failure(D), undefined);
  await assert.rejects(log.look('cosign-tag', () => 0, async () => { throw new OcipackError('CANCELLED', 'stop'); }), /stop/);
  await assert.rejects(log.look('cosign-tag', () => 0, async () => { throw new TypeError('bug'); }), TypeError);
  assert.equal(log.list.length, 1);
});

test('a place that served something unreadable is "could not look" (exit 1), whatever its own code', async () => {
  const log = new LookupLog();
  await log.look('referrers-tag', () => 0, async () => { throw new OcipackError('VERIFY', 'signature manifest sha256-… is not JSON'); });
  await log.look('cosign-tag', () => 0, async () => { throw new OcipackError('NETWORK', 'cannot reach r', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }); });
  const err = log.failure(D)!;
  assert.equal(err.code, 'REGISTRY');
  assert.match(err.message, /referrers-tag \(VERIFY: signature manifest sha256-… is not JSON\); cosign-tag \(ECONNRESET: cannot reach r\)$/);
});
