/** A connection opened ahead of the first request (src/http/preconnect.ts), taken once by the run's dispatcher. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createDispatcher } from '../../../src/http/dispatcher.js';
import { dropPreconnected, preconnect } from '../../../src/http/preconnect.js';

async function counting(): Promise<{ server: Server; port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((_q, r) => r.end('ok'));
  server.on('connection', () => { n += 1; });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, connections: () => n };
}

async function get(port: number, env = {}): Promise<string> {
  const dispatcher = await createDispatcher({ env });
  try {
    const res = await dispatcher.request({ origin: `http://127.0.0.1:${port}`, path: '/', method: 'GET' });
    return await res.body.text();
  } finally {
    await dispatcher.destroy();
  }
}

describe('preconnect', () => {
  it('the first plain request goes over the connection opened ahead, whether it is still opening or open', async () => {
    const s = await counting();
    try {
      preconnect('127.0.0.1', s.port, 5000);
      assert.equal(await get(s.port), 'ok', 'taken while still connecting');
      assert.equal(s.connections(), 1);
      preconnect('127.0.0.1', s.port, 5000);
      await once(s.server, 'connection');
      assert.equal(await get(s.port), 'ok', 'taken once connected');
      assert.equal(s.connections(), 2, 'one connection per run: the one opened ahead');
      assert.equal(await get(s.port), 'ok');
      assert.equal(s.connections(), 3, 'taken once: the next run connects itself');
    } finally {
      await new Promise((r) => s.server.close(r));
    }
  });

  it('a dropped, refused or unused connection is never taken, and the request connects itself', async (t) => {
    const s = await counting();
    try {
      preconnect('127.0.0.1', s.port, 5000);
      await once(s.server, 'connection');
      dropPreconnected('127.0.0.1', s.port);
      assert.equal(await get(s.port), 'ok');
      assert.equal(s.connections(), 2);
      t.mock.timers.enable({ apis: ['setTimeout'] });
      preconnect('127.0.0.1', s.port, 1000);
      await once(s.server, 'connection');
      t.mock.timers.tick(1000); // past keepMs: closed unused
      t.mock.timers.reset();
      assert.equal(await get(s.port), 'ok');
      assert.equal(s.connections(), 4);
    } finally {
      await new Promise((r) => s.server.close(r));
    }
    const gone = await counting();
    await new Promise((r) => gone.server.close(r));
    preconnect('127.0.0.1', gone.port, 5000); // refused, whether before or after the request takes it
    await assert.rejects(get(gone.port), /ECONNREFUSED/);
  });
});
