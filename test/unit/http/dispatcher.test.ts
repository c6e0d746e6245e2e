/** Dispatcher choice from the passed env (never process.env), through a tiny CONNECT proxy. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createDispatcher, proxySettings, tlsOptions } from '../../../src/http/dispatcher.js';
import { readCapped } from '../../../src/http/body.js';
import { request } from '../../../src/http/request.js';

test('proxySettings reads either case, lower case first, and is undefined without proxy variables', () => {
  assert.equal(proxySettings({}), undefined);
  assert.equal(proxySettings({ HOME: '/x' }), undefined);
  assert.deepEqual(proxySettings({ HTTPS_PROXY: 'http://p:3128' }), { httpProxy: '', httpsProxy: 'http://p:3128', noProxy: '' });
  assert.deepEqual(proxySettings({ http_proxy: 'http://a', HTTP_PROXY: 'http://b', NO_PROXY: 'localhost' }), {
    httpProxy: 'http://a', httpsProxy: '', noProxy: 'localhost',
  });
});

test('tlsOptions: insecure turns off verification; a missing CA file is an IO error', async () => {
  assert.deepEqual(await tlsOptions({}), {});
  assert.deepEqual(await tlsOptions({ insecureRegistry: true }), { rejectUnauthorized: false });
  await assert.rejects(tlsOptions({ caFile: '/nonexistent/ca.pem' }), { code: 'IO' });
});

test('requests go through the proxy named in env, and around it for NO_PROXY hosts', async () => {
  const target = createServer((_req, res) => res.end('hi'));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const tunnels: string[] = [];
  const proxy = createServer();
  proxy.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  after(() => {
    target.close();
    proxy.close();
  });
  const targetPort = (target.address() as AddressInfo).port;
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  const viaProxy = await createDispatcher({ env: { HTTP_PROXY: proxyUrl } });
  const res = await request({ dispatcher: viaProxy }, { method: 'GET', url: new URL(`http://127.0.0.1:${targetPort}/`) });
  assert.equal((await readCapped(res.body, 10)).bytes.toString(), 'hi');
  assert.deepEqual(tunnels, [`127.0.0.1:${targetPort}`]);
  await viaProxy.close();

  const bypass = await createDispatcher({ env: { HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' } });
  const res2 = await request({ dispatcher: bypass }, { method: 'GET', url: new URL(`http://127.0.0.1:${targetPort}/`) });
  assert.equal((await readCapped(res2.body, 10)).bytes.toString(), 'hi');
  assert.equal(tunnels.length, 1);
  await bypass.close();
});
