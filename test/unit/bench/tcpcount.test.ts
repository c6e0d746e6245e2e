/** The typical-workload bench's relay counts connections and request lines as a registry would see them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tcpCounter } from '../../../bench/tcpcount.js';
import { summary } from '../../../bench/suite-typical.js';

function get(host: string, path: string, agent: Agent, method = 'GET', body?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const [hostname, port] = host.split(':');
    const req = request({ hostname, port: Number(port), path, method, agent }, (res) => res.resume().on('end', resolve));
    req.on('error', reject);
    req.end(body);
  });
}

test('the relay counts one connection for keep-alive requests and one per request without it; bodies are not requests', async () => {
  const server = createServer((req, res) => req.resume().on('end', () => res.end('ok')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const relay = await tcpCounter((server.address() as AddressInfo).port);
  try {
    const keep = new Agent({ keepAlive: true, maxSockets: 1 });
    await get(relay.host, '/v2/', keep);
    await get(relay.host, '/v2/a/blobs/uploads/', keep, 'PUT', 'GET /v2/not-a-request HTTP/1.1\r\n\r\n');
    await get(relay.host, '/v2/a/manifests/v1', keep, 'HEAD');
    keep.destroy();
    const kept = relay.take();
    assert.equal(kept.connections, 1);
    assert.deepEqual(kept.requests, ['GET /v2/', 'PUT /v2/a/blobs/uploads/', 'HEAD /v2/a/manifests/v1']);
    const fresh = new Agent({ keepAlive: false });
    await get(relay.host, '/v2/', fresh);
    await get(relay.host, '/v2/', fresh);
    assert.deepEqual(relay.take(), { connections: 2, requests: ['GET /v2/', 'GET /v2/'] });
  } finally {
    await relay.close();
    server.close();
  }
});

test('summary names requests by what they touch and counts repeats', () => {
  assert.equal(
    summary(['GET /v2/', 'HEAD /v2/a/blobs/sha256:1', 'HEAD /v2/a/blobs/sha256:2', 'POST /v2/a/blobs/uploads/', 'PUT /v2/a/blobs/uploads/x?d=1', 'PUT /v2/a/manifests/v1']),
    'GET /v2/, HEAD blob ×2, POST upload, PUT upload, PUT manifest',
  );
});
