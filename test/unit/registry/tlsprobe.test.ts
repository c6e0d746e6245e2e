/** The cheap "does it speak TLS?" handshake used before pinging a loopback registry. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer as createHttp } from 'node:http';
import { createServer as createNet, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createServer as createTls } from 'node:tls';
import { speaksTls, startTlsProbe } from '../../../src/registry/tlsprobe.js';
import { Waits } from '../../../src/http/waits.js';
import { dropPreconnected } from '../../../src/http/preconnect.js';
import { makeTestCa, type TestCa } from '../../helpers/tls.js';

let ca: TestCa;
before(async () => {
  ca = await makeTestCa();
});
after(async () => {
  await ca.cleanup();
});

async function listening(server: Server): Promise<URL> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}

async function closed(server: Server): Promise<void> {
  await new Promise((r) => server.close(r));
}

describe('speaksTls', () => {
  it('is false for a plain HTTP server', async () => {
    const server = createHttp((_q, r) => r.end('{}'));
    try {
      assert.equal(await speaksTls(await listening(server), 5000), false);
    } finally {
      await closed(server);
    }
  });

  it('is false for a server that hangs up on the hello without a word, reset or closed (a TLS server answers with an alert)', async () => {
    for (const hangUp of [(s: import('node:net').Socket) => s.destroy(), (s: import('node:net').Socket) => s.end()]) {
      const server = createNet((socket) => socket.once('data', () => hangUp(socket)));
      try {
        assert.equal(await speaksTls(await listening(server), 5000), false);
      } finally {
        await closed(server);
      }
    }
  });

  it('is true for a TLS server whose certificate nobody trusts (verification is the real request\'s job)', async () => {
    const server = createTls({ cert: await readFile(ca.cert), key: await readFile(ca.key) }, (s) => s.end());
    try {
      assert.equal(await speaksTls(await listening(server), 5000), true);
    } finally {
      await closed(server);
    }
  });

  it('is true for localhost by name too (SNI sent for names only)', async () => {
    const server = createTls({ cert: await readFile(ca.cert), key: await readFile(ca.key) }, (s) => s.end());
    try {
      const url = await listening(server);
      assert.equal(await speaksTls(new URL(`https://localhost:${url.port}/`), 5000), true);
    } finally {
      await closed(server);
    }
  });

  it('is undefined when nothing listens, when the server stays silent past the timeout, and when cancelled', async (t) => {
    const gone = createNet();
    const url = await listening(gone);
    await closed(gone);
    assert.equal(await speaksTls(url, 5000), undefined);

    // says nothing, but reads (and so sees each probe hang up, letting close() finish)
    const silent = createNet((socket) => socket.resume());
    try {
      const quiet = await listening(silent);
      // the probe's timer is mocked: it is still waiting once connected, and answers when the timeout passes
      t.mock.timers.enable({ apis: ['setTimeout'] });
      const accepted = once(silent, 'connection');
      let answered = false;
      const probe = speaksTls(quiet, 200).finally(() => { answered = true; });
      await accepted;
      await new Promise((r) => setImmediate(r));
      assert.equal(answered, false, 'connected, no answer yet: still waiting');
      t.mock.timers.tick(200);
      assert.equal(await probe, undefined);
      const ac = new AbortController();
      const pending = speaksTls(quiet, 5000, ac.signal);
      ac.abort();
      assert.equal(await pending, undefined);
    } finally {
      await closed(silent);
    }
  });

  it('takes a probe started early, once: one connection, the same answer, and a later probe asks again', async () => {
    let connections = 0;
    const server = createHttp((_q, r) => r.end('{}'));
    server.on('connection', () => { connections += 1; });
    try {
      const url = await listening(server);
      startTlsProbe(url, 5000);
      startTlsProbe(url, 5000); // a second start of the same host and port is the same probe
      await once(server, 'connection');
      const waits = new Waits();
      const answer = speaksTls(url, 5000, undefined, waits);
      assert.match(waits.oldest() ?? '', /^(connecting to|waiting for a TLS handshake with) 127\.0\.0\.1:/);
      assert.equal(await answer, false);
      assert.equal(waits.oldest(), undefined, 'the wait ends with the answer');
      assert.equal(connections, 2, 'the early probe was taken, not repeated (the other connection is the plain one opened beside it)');
      dropPreconnected(url.hostname, Number(url.port));
      assert.equal(await speaksTls(url, 5000), false);
      assert.equal(connections, 3, 'taken once: the next question opens its own handshake, and nothing beside it');
    } finally {
      await closed(server);
    }
  });

  it('cancels a taken early probe when the run is cancelled', async () => {
    const silent = createNet((socket) => socket.resume());
    try {
      const url = await listening(silent);
      startTlsProbe(url, 60_000);
      await once(silent, 'connection');
      dropPreconnected(url.hostname, Number(url.port));
      const ac = new AbortController();
      const pending = speaksTls(url, 60_000, ac.signal);
      ac.abort();
      assert.equal(await pending, undefined);
    } finally {
      await closed(silent); // returns only once the probe's socket is gone
    }
  });
});
