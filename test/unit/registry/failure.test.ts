import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../../../src/core/errors.js';
import { parseErrorBody, registryError } from '../../../src/registry/failure.js';
import { hintFor } from '../../../src/cli/hints.js';

const ctx = { host: 'r.example', repository: 'org/app', subject: 'manifest v1' };
const body = (errors: unknown): Buffer => Buffer.from(JSON.stringify({ errors }));

test('parseErrorBody keeps codes and messages, tolerates junk', () => {
  assert.deepEqual(parseErrorBody(body([{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: {} }])), [
    { code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' },
  ]);
  assert.deepEqual(parseErrorBody(Buffer.from('<html>oops</html>')), []);
  assert.deepEqual(parseErrorBody(Buffer.from('{"errors":"x"}')), []);
  assert.deepEqual(parseErrorBody(body([{ message: 7 }, null])), [{ code: 'UNKNOWN', message: '' }]);
});

const table: Array<[string, number, Buffer, string, RegExp]> = [
  ['404 empty', 404, Buffer.alloc(0), 'NOT_FOUND', /^manifest v1 not found in r\.example\/org\/app$/],
  ['400 with NAME_UNKNOWN', 400, body([{ code: 'NAME_UNKNOWN', message: 'repository name not known' }]), 'NOT_FOUND', /NAME_UNKNOWN/],
  ['401', 401, body([{ code: 'UNAUTHORIZED', message: 'authentication required' }]), 'UNAUTHORIZED', /^authentication required for r\.example$/],
  ['403', 403, body([{ code: 'DENIED', message: 'requested access to the resource is denied' }]), 'DENIED', /^access to r\.example\/org\/app denied: DENIED/],
  ['500 html', 500, Buffer.from('<html>boom</html>'), 'REGISTRY', /^r\.example answered 500 for manifest v1 in r\.example\/org\/app$/],
  ['400 digest invalid', 400, body([{ code: 'DIGEST_INVALID', message: 'bad\ndigest' }]), 'REGISTRY', /: DIGEST_INVALID bad digest$/],
];

for (const [name, status, bytes, code, message] of table) {
  test(`registryError: ${name}`, () => {
    const err = registryError(status, bytes, ctx);
    assert.ok(err instanceof RegistryError);
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    assert.match(err.message, message);
  });
}

test('401 carries the login hint and the registry codes', () => {
  const err = registryError(401, body([{ code: 'UNAUTHORIZED' }]), ctx);
  assert.equal(hintFor(err), 'run `ocipack login r.example` or pass --creds');
  assert.deepEqual(err.registryCodes, ['UNAUTHORIZED']);
});
