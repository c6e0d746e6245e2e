/** src/http/undici.ts loads undici file by file; these checks fail when an undici upgrade moves things. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as full from 'undici';
import { Agent, buildConnector, EnvHttpProxyAgent, request } from '../../../src/http/undici.js';

const exec = promisify(execFile);
const MODULE = fileURLToPath(new URL('../../../src/http/undici.js', import.meta.url));

describe('undici, loaded file by file', () => {
  it('gives the same classes as the package index', () => {
    assert.equal(Agent, full.Agent);
    assert.equal(EnvHttpProxyAgent, full.EnvHttpProxyAgent);
    assert.equal(buildConnector, full.buildConnector);
  });

  it('adds request and connect to every dispatcher without loading the index (ProxyAgent tunnels with connect)', async () => {
    const script = `const m = await import(${JSON.stringify(MODULE)});
      const a = new m.Agent();
      const loaded = Object.keys((await import('node:module')).createRequire(import.meta.url).cache ?? {});
      console.log(JSON.stringify({ request: typeof a.request, connect: typeof a.connect, index: loaded.some((k) => /undici[\\\\/]index\\.js$/.test(k)) }));
      await a.close();`;
    const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script]);
    assert.deepEqual(JSON.parse(stdout), { request: 'function', connect: 'function', index: false });
  });

  it('request() sends method, path with query, headers and body to the URL origin', async () => {
    const seen: Array<{ method?: string; url?: string; header?: string; body: string }> = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, header: req.headers['x-test'] as string, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const dispatcher = new Agent();
    try {
      const { port } = server.address() as AddressInfo;
      const res = await request(new URL(`http://127.0.0.1:${port}/v2/a/b/blobs/uploads/x?_state=s&digest=sha256%3A1`), {
        method: 'PUT', headers: { 'x-test': 'yes' }, body: Buffer.from('payload'), dispatcher,
      });
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), 'ok');
      assert.deepEqual(seen, [{ method: 'PUT', url: '/v2/a/b/blobs/uploads/x?_state=s&digest=sha256%3A1', header: 'yes', body: 'payload' }]);
    } finally {
      await dispatcher.close();
      await new Promise((r) => server.close(r));
    }
  });
});
