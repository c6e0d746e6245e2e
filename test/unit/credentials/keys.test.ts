import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOfKey, keyMatches, parseServer, serverKey } from '../../../src/credentials/keys.js';

const hosts: Array<[string, string]> = [
  ['ghcr.io', 'ghcr.io'],
  ['https://ghcr.io', 'ghcr.io'],
  ['https://ghcr.io/', 'ghcr.io'],
  ['http://localhost:5000/v1/', 'localhost:5000'],
  ['https://index.docker.io/v1/', 'docker.io'],
  ['index.docker.io', 'docker.io'],
  ['registry-1.docker.io', 'docker.io'],
  ['registry.hub.docker.com', 'docker.io'],
  ['docker.io', 'docker.io'],
  ['quay.io/org/repo', 'quay.io'],
  ['GHCR.IO', 'ghcr.io'],
  ['  ghcr.io  ', 'ghcr.io'],
  ['https://user@ghcr.io/x', 'ghcr.io'],
  ['[::1]:5000', '[::1]:5000'],
  ['oci://localhost:5000', 'localhost:5000'],
  ['127.0.0.1:5000/v2/', '127.0.0.1:5000'],
];

for (const [key, want] of hosts) {
  test(`hostOfKey(${JSON.stringify(key)}) = ${want}`, () => {
    assert.equal(hostOfKey(key), want);
  });
}

test('keyMatches compares normalised hosts, ports included, empty keys never', () => {
  assert.equal(keyMatches('https://index.docker.io/v1/', 'docker.io'), true);
  assert.equal(keyMatches('https://ghcr.io', 'ghcr.io'), true);
  assert.equal(keyMatches('localhost:5000', 'localhost:5001'), false);
  assert.equal(keyMatches('localhost', 'localhost:5000'), false);
  assert.equal(keyMatches('ghcr.io.evil.example', 'ghcr.io'), false);
  assert.equal(keyMatches('', 'ghcr.io'), false);
});

test('serverKey: Docker Hub under https://index.docker.io/v1/, others as host[:port]', () => {
  assert.equal(serverKey('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(serverKey('index.docker.io'), 'https://index.docker.io/v1/');
  assert.equal(serverKey('ghcr.io'), 'ghcr.io');
  assert.equal(serverKey('localhost:5000'), 'localhost:5000');
});

test('parseServer: the login/logout argument', () => {
  assert.deepEqual(parseServer('ghcr.io'), { registry: 'ghcr.io', host: 'ghcr.io', key: 'ghcr.io' });
  assert.deepEqual(parseServer('https://ghcr.io/'), { registry: 'ghcr.io', host: 'ghcr.io', key: 'ghcr.io' });
  assert.deepEqual(parseServer('oci://127.0.0.1:5000'), { registry: '127.0.0.1:5000', host: '127.0.0.1:5000', key: '127.0.0.1:5000' });
  assert.deepEqual(parseServer('docker.io'), { registry: 'docker.io', host: 'registry-1.docker.io', key: 'https://index.docker.io/v1/' });
  assert.deepEqual(parseServer('https://index.docker.io/v1/'), { registry: 'docker.io', host: 'registry-1.docker.io', key: 'https://index.docker.io/v1/' });
  assert.equal(parseServer('myregistry').host, 'myregistry');
  assert.equal(parseServer('[::1]:5000').host, '[::1]:5000');
  for (const bad of ['', '   ', 'https://', 'a b', 'host:port', 'under_score.example', '-lead.example', 'x:123456']) {
    assert.throws(() => parseServer(bad), (e: Error & { code?: string }) => e.code === 'USAGE', bad);
  }
});
