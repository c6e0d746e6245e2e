/** warmUpContact starts the TLS probe only where the first contact would probe (src/connect/warmup.ts). */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { warmUpContact } from '../../../src/connect/warmup.js';
import { speaksTls } from '../../../src/registry/tlsprobe.js';
import { dropPreconnected } from '../../../src/http/preconnect.js';

describe('warmUpContact', () => {
  it('probes a loopback registry reached directly, and the first contact takes that probe', async () => {
    let connections = 0;
    const server = createServer((_q, r) => r.end('{}'));
    server.on('connection', () => { connections += 1; });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      assert.equal(warmUpContact({ host }, { NO_PROXY: 'example.com' }), true);
      assert.equal(await speaksTls(new URL(`https://${host}/`), 5000), false);
      assert.equal(connections, 2, 'the probe, and the plain connection opened beside it');
      dropPreconnected('127.0.0.1', Number(host.split(':')[1]));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('leaves alone a remote registry and a loopback one behind a proxy', () => {
    assert.equal(warmUpContact({ host: 'ghcr.io' }, {}), false);
    assert.equal(warmUpContact({ host: 'registry.local:5000' }, {}), false);
    for (const v of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) {
      assert.equal(warmUpContact({ host: '127.0.0.1:5000' }, { [v]: 'http://proxy:3128' }), false, v);
    }
    assert.equal(warmUpContact({ host: 'localhost:5000' }, { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'other' }), false);
  });
});
