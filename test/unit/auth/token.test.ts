import { test } from 'node:test';
import assert from 'node:assert/strict';
import { challengeScopes, pickChallenge, repositoryScope, unionScopes } from '../../../src/auth/authorizer.js';
import { TokenCache, tokenKey } from '../../../src/auth/cache.js';
import { basicAuth, lifetimeMs, realmRefusal, realmUrl } from '../../../src/auth/token.js';
import { credentialFromFlag } from '../../../src/credentials/types.js';

test('realmUrl refuses https→http downgrades and odd schemes', () => {
  const https = new URL('https://r.example/');
  const http = new URL('http://127.0.0.1:5000/');
  assert.equal(realmUrl('https://auth.example/token', https, 'r.example').href, 'https://auth.example/token');
  assert.throws(() => realmUrl('http://auth.example/token', https, 'r.example'), /downgrades https to http/);
  assert.throws(() => realmUrl('file:///etc/passwd', https, 'r.example'), /unsupported scheme/);
  assert.throws(() => realmUrl('::nope', https, 'r.example'), /invalid token realm/);
  assert.equal(realmUrl('http://127.0.0.1:9000/token', http, 'x').port, '9000');
});

test('realm rule: an https realm, or a plain-http realm on a plain-http registry\'s own host (any port)', () => {
  const plain = new URL('http://127.0.0.1:5000/');
  const tls = new URL('https://r.example/');
  const table: Array<[string, URL, boolean]> = [
    ['https://auth.example/t', plain, true],
    ['https://auth.docker.io/token', tls, true],
    ['http://127.0.0.1:5000/token', plain, true],
    ['http://127.0.0.1:9000/token', plain, true],
    ['http://127.0.0.2:5000/token', plain, false],
    ['http://localhost:5000/token', plain, false],
    ['http://evil.example/token', plain, false],
    ['http://r.example/token', tls, false],
  ];
  for (const [realm, registry, ok] of table) assert.equal(realmRefusal(new URL(realm), registry) === undefined, ok, `${realm} for ${registry.href}`);
  assert.match(realmRefusal(new URL('http://evil.example/token'), plain) ?? '', /registry's own host \(127\.0\.0\.1\), and this one is on evil\.example/);
});

test('basicAuth encodes user:pass in UTF-8 base64', () => {
  assert.equal(basicAuth('alice', 's3cret:x'), `Basic ${Buffer.from('alice:s3cret:x').toString('base64')}`);
});

test('token lifetime: expires_in with a margin, default when missing or invalid', () => {
  assert.equal(lifetimeMs(300), 290_000);
  assert.equal(lifetimeMs(60), 54_000);
  assert.equal(lifetimeMs(undefined), 54_000);
  assert.equal(lifetimeMs(-5), 54_000);
  assert.equal(lifetimeMs('300'), 54_000);
});

test('scopes: repository scope, union, challenge scopes, cache key order-independent', () => {
  assert.equal(repositoryScope('org/app'), 'repository:org/app:pull');
  assert.equal(repositoryScope('org/app', true), 'repository:org/app:pull,push');
  assert.deepEqual(unionScopes(['a', 'b'], ['b', 'c']), ['a', 'b', 'c']);
  assert.deepEqual(challengeScopes({ scheme: 'bearer', params: { scope: 'x  y' } }), ['x', 'y']);
  assert.deepEqual(challengeScopes(undefined), []);
  assert.equal(tokenKey('h', ['b', 'a', 'b']), tokenKey('h', ['a', 'b']));
  assert.notEqual(tokenKey('h', ['a']), tokenKey('g', ['a']));
});

test('pickChallenge prefers Bearer over Basic and ignores others', () => {
  const basic = { scheme: 'basic', params: {} };
  const bearer = { scheme: 'bearer', params: { realm: 'https://t' } };
  assert.equal(pickChallenge([basic, bearer]), bearer);
  assert.equal(pickChallenge([basic]), basic);
  assert.equal(pickChallenge([{ scheme: 'negotiate', params: {} }]), undefined);
});

test('TokenCache: expiry, shared in-flight fetch, fresh bypass', async () => {
  let now = 1000;
  const cache = new TokenCache(() => now);
  let fetches = 0;
  const fetch = async (): Promise<{ token: string; lifetimeMs: number }> => {
    fetches++;
    await new Promise((r) => setTimeout(r, 5));
    return { token: `t${fetches}`, lifetimeMs: 100 };
  };
  const [a, b] = await Promise.all([cache.getOrFetch('k', fetch), cache.getOrFetch('k', fetch)]);
  assert.equal(a, 't1');
  assert.equal(b, 't1');
  assert.equal(fetches, 1);
  assert.equal(await cache.getOrFetch('k', fetch), 't1');
  now += 100;
  assert.equal(cache.get('k'), undefined);
  assert.equal(await cache.getOrFetch('k', fetch), 't2');
  assert.equal(await cache.getOrFetch('k', fetch, true), 't3');
});

test('--creds: user:pass splits on the first colon; no colon is a registry token', () => {
  assert.deepEqual(credentialFromFlag('alice:pa:ss'), { username: 'alice', password: 'pa:ss' });
  assert.deepEqual(credentialFromFlag('alice:'), { username: 'alice', password: '' });
  assert.deepEqual(credentialFromFlag('ghp_token'), { registryToken: 'ghp_token' });
  assert.throws(() => credentialFromFlag(''), /must not be empty/);
  assert.throws(() => credentialFromFlag(':x'), /user name/);
});
