/**
 * Tag floods (issue 13 §5): a stand-in in front of the real registry answers the tags endpoint with
 * one page of 200 000 tags, or with an endless chain of `Link` pages; everything else is the real
 * registry's. Both end in a CAP error (exit 1) naming the host and --max-tags, no crash; the flag
 * raises the cap.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let server: Server;
let host: string;
let tagPages = 0;
const FLOOD = 200_000;

/** `{ name, tags }` for one page; `link` adds the next page's `Link` header. */
function tagsPage(path: string, tags: string[], link?: string): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (link !== undefined) headers.link = `<${link}>; rel="next"`;
  return { headers, body: JSON.stringify({ name: path.split('/').slice(2, -2).join('/'), tags }) };
}

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  const dir = await tempDir();
  await writeFile(join(dir, 'a.yaml'), 'kind: ConfigMap\n');
  for (const repo of ['flood/one', 'flood/endless']) {
    const r = await ocipack(['push', `oci://${reg.host}/${repo}:v1.0.0`, '-f', dir]);
    assert.equal(r.code, 0, r.stderr);
  }
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (req.method === 'GET' && url.pathname === '/v2/flood/one/tags/list') {
      tagPages++;
      const tags: string[] = ['v1.0.0'];
      for (let i = 0; tags.length < FLOOD; i++) tags.push(`t${i}`);
      const p = tagsPage(url.pathname, tags);
      res.writeHead(200, p.headers).end(p.body);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v2/flood/endless/tags/list') {
      const page = Number(url.searchParams.get('page') ?? '0');
      tagPages++;
      const tags = Array.from({ length: 1000 }, (_, i) => `p${page}-${i}`);
      if (page === 0) tags[0] = 'v1.0.0';
      const p = tagsPage(url.pathname, tags, `${url.pathname}?n=1000&page=${page + 1}`);
      res.writeHead(200, p.headers).end(p.body);
      return;
    }
    const up = request({ host: '127.0.0.1', port: Number(reg.host.split(':')[1]), method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => server?.close(r));
  await reg?.stop();
});

test('one page of 200 000 tags: list fails with CAP naming the host and --max-tags; the flag raises the cap', async () => {
  const r = await ocipack(['list', `oci://${host}/flood/one`]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /✗ .*127\.0\.0\.1:\d+\/flood\/one has more than 100000 tags/);
  assert.match(r.stderr, /hint: raise it with --max-tags/);
  assert.doesNotMatch(r.stderr, /RangeError|Maximum call stack/);
  const out = await tempDir();
  const ok = await ocipack(['pull', `oci://${host}/flood/one`, '--semver', '>=1.0.0', '--max-tags', '300000', '-o', out]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /v1\.0\.0/);
});

test('endless Link pages stop at the cap with CAP (exit 1), not a heap abort', async () => {
  tagPages = 0;
  const r = await ocipack(['list', `oci://${host}/flood/endless`, '--max-tags', '5000']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /flood\/endless has more than 5000 tags/);
  assert.match(r.stderr, /--max-tags/);
  assert.ok(tagPages <= 6, `stopped after the page that crossed the cap (${tagPages} pages)`);
  const def = await ocipack(['pull', `oci://${host}/flood/endless`, '--semver', '>=1.0.0', '-o', await tempDir()]);
  assert.equal(def.code, 1, def.stderr);
  assert.match(def.stderr, /more than 100000 tags/);
});
