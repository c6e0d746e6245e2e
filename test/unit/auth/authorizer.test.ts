/** The Bearer token flow end to end against a tiny registry + token server on loopback (plain HTTP). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent } from 'undici';
import { TokenCache } from '../../../src/auth/cache.js';
import type { Credential } from '../../../src/credentials/types.js';
import { readCapped } from '../../../src/http/body.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { fakeServer } from '../../helpers/fakes.js';

const dispatcher = new Agent();
after(() => dispatcher.close());

interface TokenCall { method: string; query: URLSearchParams; authorization: string | undefined; form: URLSearchParams | undefined }

interface FakeOptions {
  /** Scopes a path needs beyond what the client asks (answered with insufficient_scope). */
  extraScope?: string;
  /** Token server answers POST with this status (404 to force the GET fallback). */
  postStatus?: number;
  /** Put the token endpoint on a second server (another origin). */
  separateRealm?: boolean;
  /** Field name for the token in the response. */
  tokenField?: 'token' | 'access_token';
}

async function fake(opts: FakeOptions = {}): Promise<{ host: string; calls: TokenCall[]; seen: string[] }> {
  const calls: TokenCall[] = [];
  const seen: string[] = [];
  const tokenHandler = (req: IncomingMessage, res: ServerResponse): void => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const form = req.method === 'POST' ? new URLSearchParams(body) : undefined;
      calls.push({ method: req.method ?? '', query: url.searchParams, authorization: req.headers.authorization, form });
      if (req.method === 'POST' && opts.postStatus) return void res.writeHead(opts.postStatus).end();
      const scopes = form ? (form.get('scope') ?? '').split(' ') : url.searchParams.getAll('scope');
      const token = `tok.${Buffer.from(scopes.sort().join(' ')).toString('base64url')}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ [opts.tokenField ?? 'token']: token, expires_in: 300 }));
    });
  };
  const realmHost = opts.separateRealm ? (await fakeServer(tokenHandler)).host : undefined;
  let selfHost = '';
  const { host } = await fakeServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') return tokenHandler(req, res);
    seen.push(`${req.method} ${url.pathname} ${req.headers.authorization ?? '-'}`);
    const repo = /^\/v2\/(.+?)\/(tags|manifests|blobs)\//.exec(url.pathname)?.[1];
    const need = repo === undefined ? [] : [`repository:${repo}:pull`, ...(opts.extraScope ? [opts.extraScope] : [])];
    const granted = (req.headers.authorization ?? '').startsWith('Bearer tok.')
      ? Buffer.from((req.headers.authorization ?? '').slice('Bearer tok.'.length), 'base64url').toString().split(' ')
      : req.headers.authorization === 'Bearer static-token' ? need : [];
    const ok = need.every((s) => granted.some((g) => g === s || g.replace(/pull,push$/, 'pull') === s));
    if (url.pathname === '/v2/' || !ok) {
      const realm = `http://${realmHost ?? selfHost}/token`;
      const scope = need.length > 0 && granted.length > 0 ? `,scope="${need.join(' ')}",error="insufficient_scope"` : '';
      return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="fake"${scope}` }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":[]}');
  });
  selfHost = host;
  return { host, calls, seen };
}

function client(host: string, credential?: Credential): RegistryClient {
  return new RegistryClient({ host, http: async () => ({ dispatcher }), credential: async () => credential, cache: new TokenCache() });
}

async function get(c: RegistryClient, path: string, scopes: string[]): Promise<number> {
  const res = await c.send({ method: 'GET', target: path, scopes });
  await readCapped(res.body, 1024);
  return res.status;
}

test('Bearer: one Basic-authenticated token GET per scope set, then the cached token', async () => {
  const f = await fake();
  const c = client(f.host, { username: 'alice', password: 'pw' });
  assert.equal(await get(c, '/v2/org/app/tags/list', ['repository:org/app:pull,push']), 200);
  assert.equal(await get(c, '/v2/org/app/manifests/v1', ['repository:org/app:pull,push']), 200);
  assert.equal(f.calls.length, 1);
  const call = f.calls[0];
  assert.equal(call?.method, 'GET');
  assert.equal(call?.query.get('service'), 'fake');
  assert.deepEqual(call?.query.getAll('scope'), ['repository:org/app:pull,push']);
  assert.equal(call?.authorization, `Basic ${Buffer.from('alice:pw').toString('base64')}`);
});

test('Bearer: several scopes are several scope parameters', async () => {
  const f = await fake();
  const c = client(f.host);
  assert.equal(await get(c, '/v2/a/tags/list', ['repository:a:pull', 'repository:b:pull']), 200);
  assert.deepEqual(f.calls[0]?.query.getAll('scope'), ['repository:a:pull', 'repository:b:pull']);
  assert.equal(f.calls[0]?.authorization, undefined, 'anonymous token request without credentials');
});

test('insufficient_scope: one wider token, then used straight away for the same scopes', async () => {
  const f = await fake({ extraScope: 'repository:other:pull' });
  const c = client(f.host);
  assert.equal(await get(c, '/v2/a/tags/list', ['repository:a:pull']), 200);
  assert.equal(f.calls.length, 2);
  assert.deepEqual(f.calls[1]?.query.getAll('scope').sort(), ['repository:a:pull', 'repository:other:pull']);
  assert.equal(await get(c, '/v2/a/manifests/x', ['repository:a:pull']), 200);
  assert.equal(f.calls.length, 2);
  assert.equal(f.seen.filter((l) => l.startsWith('GET /v2/a/manifests/x')).length, 1);
});

test('identity token: OAuth2 refresh-token POST form', async () => {
  const f = await fake({ tokenField: 'access_token' });
  const c = client(f.host, { identityToken: 'refresh-123' });
  assert.equal(await get(c, '/v2/a/tags/list', ['repository:a:pull']), 200);
  const form = f.calls[0]?.form;
  assert.equal(f.calls[0]?.method, 'POST');
  assert.equal(form?.get('grant_type'), 'refresh_token');
  assert.equal(form?.get('refresh_token'), 'refresh-123');
  assert.equal(form?.get('client_id'), 'ocipack');
  assert.equal(form?.get('service'), 'fake');
  assert.equal(form?.get('scope'), 'repository:a:pull');
});

test('identity token: a 404 on POST falls back to GET with Basic', async () => {
  const f = await fake({ postStatus: 404 });
  const c = client(f.host, { identityToken: 'refresh-123', username: 'bob' });
  assert.equal(await get(c, '/v2/a/tags/list', ['repository:a:pull']), 200);
  assert.deepEqual(f.calls.map((x) => x.method), ['POST', 'GET']);
  assert.equal(f.calls[1]?.authorization, `Basic ${Buffer.from('bob:refresh-123').toString('base64')}`);
});

test('a plain-HTTP realm on the plain-HTTP registry\'s own host (another port) gets the credentials', async () => {
  const f = await fake({ separateRealm: true });
  const c = client(f.host, { username: 'alice', password: 'pw' });
  assert.equal(await get(c, '/v2/a/tags/list', ['repository:a:pull']), 200);
  assert.equal(f.calls.length, 1);
  assert.equal(f.calls[0]?.authorization, `Basic ${Buffer.from('alice:pw').toString('base64')}`);
});

test('a registry token is sent as Bearer directly, with no token request', async () => {
  const f = await fake();
  const c = client(f.host, { registryToken: 'static-token' });
  assert.equal(await get(c, '/v2/a/tags/list', ['repository:a:pull']), 200);
  assert.equal(f.calls.length, 0);
  assert.ok(f.seen.includes('GET /v2/a/tags/list Bearer static-token'));
});

test('credentials never go to an absolute URL on another origin', async () => {
  const f = await fake();
  const other = await fake();
  const c = client(f.host, { registryToken: 'static-token' });
  await assert.rejects(c.send({ method: 'GET', target: new URL(`http://${other.host}/v2/a/tags/list`), scopes: ['repository:a:pull'] }),
    new RegExp(`^OcipackError: ${other.host}, another host than the registry ${f.host} \\(reached for GET /v2/a/tags/list\\), answered 401`));
  assert.deepEqual(other.seen, ['GET /v2/a/tags/list -']);
  assert.equal(other.calls.length, 0, 'no token was fetched for the other origin');
});
