/** Keyless signing inputs, decided before any request: service URLs (https, or http on loopback) and where the OIDC token comes from. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolveServices, serviceUrl } from '../../../src/signing/services.js';
import { findIdentityToken } from '../../../src/signing/oidc.js';
import { OcipackError } from '../../../src/core/errors.js';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';

test('service URLs: https anywhere, plain http only on loopback, no credentials', () => {
  const table: [string, string | RegExp][] = [
    ['https://fulcio.sigstore.dev/', 'https://fulcio.sigstore.dev'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:1', 'http://localhost:1'],
    ['http://[::1]:9/', 'http://[::1]:9'],
    ['http://fulcio.example.com', /must use https/],
    ['http://10.0.0.1', /must use https/],
    ['ftp://127.0.0.1', /must use https/],
    ['https://u:p@fulcio.example.com', /credentials/],
    ['not a url', /not a URL/],
  ];
  for (const [input, want] of table) {
    if (typeof want === 'string') assert.equal(serviceUrl(input, 'x'), want, input);
    else assert.throws(() => serviceUrl(input, 'x'), (e: unknown) => e instanceof OcipackError && e.code === 'USAGE' && want.test(e.message), input);
  }
});

test('services: the public-good default, explicit URLs, a signing config excluding the URL flags', async () => {
  assert.deepEqual(await resolveServices({}), { kind: 'urls', fulcio: 'https://fulcio.sigstore.dev', rekor: 'https://rekor.sigstore.dev' });
  assert.deepEqual(await resolveServices({ fulcioUrl: 'http://127.0.0.1:1', rekorUrl: 'http://127.0.0.1:2', timestampServerUrl: 'https://tsa.example' }),
    { kind: 'urls', fulcio: 'http://127.0.0.1:1', rekor: 'http://127.0.0.1:2', tsa: 'https://tsa.example' });
  await assert.rejects(resolveServices({ signingConfig: 'x.json', fulcioUrl: 'https://f' }), /excludes/);
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-sc-'));
  const file = join(dir, 'sc.json');
  await writeFile(file, JSON.stringify({ caUrls: [{ url: 'https://fulcio.example' }], rekorTlogUrls: [{ url: 'http://rekor.example' }] }));
  await assert.rejects(resolveServices({ signingConfig: file }), /Rekor URL .* must use https/);
  await writeFile(file, JSON.stringify({ caUrls: [] }));
  await assert.rejects(resolveServices({ signingConfig: file }), /no caUrls/);
});

test('token: the flag wins, then SIGSTORE_ID_TOKEN; none is a usage error naming the three ways; never in a message', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-tok-'));
  await writeFile(join(dir, 't'), `${JWT}\n`);
  assert.deepEqual(await findIdentityToken({ flag: JWT, env: { SIGSTORE_ID_TOKEN: 'a.b.c' } }), { token: JWT, source: 'identity-token' });
  assert.deepEqual(await findIdentityToken({ flag: `@${join(dir, 't')}`, env: {} }), { token: JWT, source: 'identity-token' });
  assert.deepEqual(await findIdentityToken({ env: { SIGSTORE_ID_TOKEN: JWT, ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x' } }), { token: JWT, source: 'SIGSTORE_ID_TOKEN' });
  await assert.rejects(findIdentityToken({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x' } }), (e: unknown) =>
    e instanceof OcipackError && e.code === 'USAGE' && /`identityToken`/.test(e.message) && /SIGSTORE_ID_TOKEN/.test(e.message) && /GitHub Actions/.test(e.message));
  await assert.rejects(findIdentityToken({ flag: 'not-a-jwt-secret', env: {} }), (e: unknown) => e instanceof OcipackError && !e.message.includes('not-a-jwt-secret'));
  await assert.rejects(findIdentityToken({ flag: `@${join(dir, 'missing')}`, env: {} }), /no such file/);
});
