/**
 * Token auth end to end: the built CLI and the registry client against the real distribution registry
 * in token-auth mode, trusting JWTs from the test token server (ES256, x5c). Anonymous users may pull only.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { TokenCache } from '../../src/auth/cache.js';
import { readCapped } from '../../src/http/body.js';
import { RegistryClient } from '../../src/registry/client.js';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { startTokenRegistry, startTokenServer, type TokenRegistry } from '../helpers/tokenserver.js';

const USERS = { alice: 'alice-Pa55word!', reader: 'reader-pw', banned: 'banned-pw' };
let t: TokenRegistry;
let src: string;

before(async () => {
  t = await startTokenRegistry({
    users: USERS,
    grant: (user, _repo, asked) => (user === 'alice' ? asked : asked.filter((a) => a === 'pull')),
    forbidden: ['banned'],
  });
  src = await tempDir();
  await writeFile(join(src, 'app.yaml'), 'kind: ConfigMap\n');
});
after(async () => {
  await t?.stop();
});

/** The CLI with a fresh HOME and the token server's certificate trusted. */
async function cli(args: string[], opts: { home?: string; input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const home = opts.home ?? (await tempDir('ocipack-home-'));
  return ocipack(args, { env: { HOME: home, NODE_EXTRA_CA_CERTS: t.tokens.certFile, ...opts.env }, ...(opts.input === undefined ? {} : { input: opts.input }) });
}

function since(n: number): typeof t.tokens.requests {
  return t.tokens.requests.slice(n);
}

test('anonymous: push is refused with a login hint; pull of what alice pushed works', async () => {
  const ref = `oci://${t.registry.host}/anon/app:v1`;
  const denied = await cli(['push', ref, '--path', src]);
  assert.equal(denied.code, 1, denied.stderr);
  assert.match(denied.stderr, new RegExp(`✗ (?:push failed: )?authentication required for ${t.registry.host.replace('.', '\\.')}`));
  assert.match(denied.stderr, new RegExp(`hint: run \`ocipack login ${t.registry.host.replace('.', '\\.')}\` or pass --creds`));
  const pushed = await cli(['push', ref, '--path', src, '--creds', `alice:${USERS.alice}`]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const n = t.tokens.requests.length;
  const out = await tempDir();
  const pulled = await cli(['pull', ref, '--output', out]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(await readFile(join(out, 'app.yaml'), 'utf8'), 'kind: ConfigMap\n');
  const reqs = since(n);
  assert.ok(reqs.length >= 1);
  for (const r of reqs) {
    assert.equal(r.authorization, undefined, 'anonymous token requests carry no Authorization');
    assert.deepEqual(r.granted, ['repository:anon/app:pull']);
  }
});

test('push with --creds: one Basic-authenticated token request for pull,push serves the whole push', async () => {
  const n = t.tokens.requests.length;
  const r = await cli(['push', `oci://${t.registry.host}/team/app:v1`, '--path', src, '--creds', `alice:${USERS.alice}`, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const reqs = since(n);
  assert.equal(reqs.length, 1, JSON.stringify(reqs.map((x) => x.url)));
  assert.equal(reqs[0]?.method, 'GET');
  assert.equal(reqs[0]?.service, t.tokens.service);
  assert.deepEqual(reqs[0]?.scopes, ['repository:team/app:pull,push']);
  assert.equal(reqs[0]?.authorization, `Basic ${Buffer.from(`alice:${USERS.alice}`).toString('base64')}`);
  assert.equal(reqs[0]?.user, 'alice');
  assert.match(JSON.parse(r.stdout).digest, /^sha256:[0-9a-f]{64}$/);
});

test('a user granted pull only gets an UNAUTHORIZED push after one wider try', async () => {
  const r = await cli(['push', `oci://${t.registry.host}/team/readonly:v1`, '--path', src, '--creds', `reader:${USERS.reader}`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /authentication required for/);
});

test('a 403 from the token server is "denied", not a login hint', async () => {
  const r = await cli(['pull', `oci://${t.registry.host}/team/app:v1`, '--output', await tempDir(), '--creds', `banned:${USERS.banned}`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /✗ (?:pull failed: )?access to 127\.0\.0\.1:\d+ denied: DENIED access forbidden\n/);
  assert.doesNotMatch(r.stderr, /ocipack login/);
});

test('wrong password: the token server says 401 and the CLI says the credentials were rejected, without the password', async () => {
  const r = await cli(['push', `oci://${t.registry.host}/team/app:v2`, '--path', src, '--creds', 'alice:not-the-password']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /credentials for 127\.0\.0\.1:\d+ were rejected \(from --creds\): UNAUTHORIZED bad credentials\n  hint: check the value of --creds/);
  assert.ok(!r.stderr.includes('not-the-password'));
});

test('--debug output of a push with credentials contains neither the password nor any token', async () => {
  const n = t.tokens.issued.length;
  const r = await cli(['push', `oci://${t.registry.host}/team/debug:v1`, '--path', src, '--creds', `alice:${USERS.alice}`, '--debug']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[debug\] > GET https:\/\/127\.0\.0\.1:\d+\/token\?service=ocipack-test-registry&scope=repository%3Ateam%2Fdebug%3Apull%2Cpush \[.*authorization: Basic <redacted>/);
  assert.match(r.stderr, /authorization: Bearer <redacted>/);
  assert.match(r.stderr, /_state=<redacted>/, 'the signed upload state is redacted');
  const secrets = [USERS.alice, Buffer.from(`alice:${USERS.alice}`).toString('base64'), ...t.tokens.issued.slice(n)];
  assert.ok(secrets.length >= 3);
  for (const s of secrets) {
    assert.ok(!r.stderr.includes(s), `a secret leaked into --debug output: ${s.slice(0, 12)}…`);
    assert.ok(!r.stdout.includes(s));
  }
  for (const jwtPart of t.tokens.issued.slice(n).map((x) => x.split('.')[2] as string)) assert.ok(!r.stderr.includes(jwtPart));
});

test('login checks with the token server, stores 0600 config.json; push then uses it; logout removes it', async () => {
  const home = await tempDir('ocipack-home-');
  const bad = await cli(['login', t.registry.host, '-u', 'alice', '--password-stdin'], { home, input: 'wrong\n' });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, new RegExp(`✗ (?:login failed: )?${t.registry.host.replace(/\./g, '\\.')} rejected the user name or password`));
  assert.match(bad.stderr, /hint: check the user name and the password or token for /);
  assert.doesNotMatch(bad.stderr, /ocipack login/, 'a refused login does not suggest login');
  await assert.rejects(stat(join(home, '.docker', 'config.json')), 'nothing stored after a failed login');

  const n = t.tokens.requests.length;
  const ok = await cli(['login', t.registry.host, '-u', 'alice', '--password-stdin'], { home, input: `${USERS.alice}\n` });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /✔ login succeeded for 127\.0\.0\.1:\d+/);
  const check = since(n);
  assert.equal(check.length, 1);
  assert.equal(check[0]?.user, 'alice');
  assert.deepEqual(check[0]?.scopes, [], 'login asks for a token without scopes');
  const path = join(home, '.docker', 'config.json');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { auths: { [t.registry.host]: { auth: Buffer.from(`alice:${USERS.alice}`).toString('base64') } } });

  const pushed = await cli(['push', `oci://${t.registry.host}/team/logged-in:v1`, '--path', src], { home });
  assert.equal(pushed.code, 0, pushed.stderr);
  const out = await cli(['logout', t.registry.host], { home });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stderr, /✔ removed the credentials for 127\.0\.0\.1:\d+/);
  assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { auths: {} });
  const again = await cli(['logout', t.registry.host], { home });
  assert.equal(again.code, 0);
  assert.match(again.stderr, /⚠ not logged in to/);
  const denied = await cli(['push', `oci://${t.registry.host}/team/logged-in:v2`, '--path', src], { home });
  assert.equal(denied.code, 1);
});

test('identitytoken in config.json: OAuth2 refresh-token POST with client_id=ocipack', async () => {
  const home = await tempDir('ocipack-home-');
  const refresh = t.tokens.refreshTokenFor('alice');
  await mkdir(join(home, '.docker'));
  await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [`https://${t.registry.host}`]: { auth: Buffer.from('alice:').toString('base64'), identitytoken: refresh } } }));
  const n = t.tokens.requests.length;
  const r = await cli(['push', `oci://${t.registry.host}/team/oauth:v1`, '--path', src, '--debug'], { home });
  assert.equal(r.code, 0, r.stderr);
  const reqs = since(n);
  assert.equal(reqs.length, 1);
  assert.equal(reqs[0]?.method, 'POST');
  assert.deepEqual(reqs[0]?.form, { grant_type: 'refresh_token', client_id: 'ocipack', refresh_token: refresh, service: t.tokens.service, scope: 'repository:team/oauth:pull,push' });
  assert.equal(reqs[0]?.authorization, undefined);
  assert.ok(!r.stderr.includes(refresh), 'the refresh token is not in --debug output');
  assert.match(r.stderr, /credentials for 127\.0\.0\.1:\d+ from config\.json auths entry "https:\/\/127\.0\.0\.1:\d+" in /);
});

test('identity token against a token server without the OAuth2 POST: 404, then GET with Basic <token>', async () => {
  const old = await startTokenRegistry({ users: USERS, postStatus: 404, tokenField: 'access_token' });
  try {
    const home = await tempDir('ocipack-home-');
    const refresh = old.tokens.refreshTokenFor('alice');
    await mkdir(join(home, '.docker'));
    await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [old.registry.host]: { identitytoken: refresh } } }));
    const r = await ocipack(['push', `oci://${old.registry.host}/team/fallback:v1`, '--path', src], { env: { HOME: home, NODE_EXTRA_CA_CERTS: old.tokens.certFile } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(old.tokens.requests.map((x) => `${x.method} ${x.status}`), ['POST 404', 'GET 200']);
    assert.equal(old.tokens.requests[1]?.authorization, `Basic ${Buffer.from(`<token>:${refresh}`).toString('base64')}`);
    assert.equal(old.tokens.requests[1]?.user, 'alice');
  } finally {
    await old.stop();
  }
});

test('insufficient_scope from the real registry: one wider token, then reused for the same request scopes', async () => {
  const dispatcher = new Agent({ connect: { ca: [await readFile(t.tokens.certFile, 'utf8')] } });
  try {
    const client = new RegistryClient({ host: t.registry.host, http: async () => ({ dispatcher }), credential: async () => ({ username: 'alice', password: USERS.alice }), cache: new TokenCache() });
    const n = t.tokens.requests.length;
    const get = async (): Promise<number> => {
      const res = await client.send({ method: 'GET', target: '/v2/team/app/tags/list', scopes: [] });
      await readCapped(res.body, 65536);
      return res.status;
    };
    assert.equal(await get(), 200);
    assert.deepEqual(since(n).map((x) => x.scopes), [[], ['repository:team/app:pull']]);
    assert.equal(await get(), 200);
    assert.equal(since(n).length, 2, 'the widened token is cached and asked for straight away');
  } finally {
    await dispatcher.close();
  }
});

test('tokens are cached until expires_in runs out, then fetched again', async () => {
  const short = await startTokenRegistry({ users: USERS, expiresIn: 2 });
  const dispatcher = new Agent({ connect: { ca: [await readFile(short.tokens.certFile, 'utf8')] } });
  try {
    // The cache's clock is injected: the token is judged expired by moving the clock, not by sleeping.
    let clock = Date.now();
    const client = new RegistryClient({ host: short.registry.host, http: async () => ({ dispatcher }), credential: async () => undefined, cache: new TokenCache(() => clock) });
    const get = async (): Promise<number> => {
      const res = await client.send({ method: 'GET', target: '/v2/x/y/tags/list', scopes: ['repository:x/y:pull'] });
      await readCapped(res.body, 65536);
      return res.status;
    };
    assert.equal(await get(), 404);
    assert.equal(await get(), 404);
    assert.equal(short.tokens.requests.length, 1);
    clock += 2100;
    assert.equal(await get(), 404);
    assert.equal(short.tokens.requests.length, 2);
  } finally {
    await dispatcher.close();
    await short.stop();
  }
});

test('an https registry whose realm is plain http is refused before any token request', async () => {
  const plain = await startTokenServer({ users: USERS, plainHttp: true });
  const signer = await startTokenServer();
  const reg = await startRegistry({ auth: 'token', token: plain.registryAuth, tls: { cert: signer.certFile, key: signer.keyFile } });
  try {
    const r = await ocipack(['pull', `oci://${reg.host}/a/b:v1`, '--output', await tempDir(), '--ca-file', signer.certFile, '--creds', `alice:${USERS.alice}`], { env: { HOME: await tempDir('ocipack-home-') } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing token realm http:\/\/127\.0\.0\.1:\d+\/token of 127\.0\.0\.1:\d+: it downgrades https to http/);
    assert.equal(plain.requests.length, 0);
  } finally {
    await reg.stop();
    await plain.stop();
    await signer.stop();
  }
});

test('a plain-http registry with its plain-http realm on its own host (another port, as GitLab/Harbor run it) gets the credentials', async () => {
  const plain = await startTokenRegistry({ users: USERS, plainHttp: true });
  try {
    const r = await ocipack(['push', `oci://${plain.registry.host}/team/app:v1`, '--path', src, '--creds', `alice:${USERS.alice}`], { env: { HOME: await tempDir('ocipack-home-') } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(plain.tokens.requests.map((x) => x.user), ['alice']);
  } finally {
    await plain.stop();
  }
});

test('a plain-http realm on another host never receives the credentials, and the error says which realm and why', async () => {
  const plain = await startTokenRegistry({ users: USERS, plainHttp: true, listenHost: '127.0.0.2' });
  try {
    const r = await ocipack(['push', `oci://${plain.registry.host}/team/app:v1`, '--path', src, '--creds', `alice:${USERS.alice}`], { env: { HOME: await tempDir('ocipack-home-') } });
    assert.equal(r.code, 1, 'anonymous tokens cannot push');
    assert.ok(plain.tokens.requests.length >= 1);
    for (const x of plain.tokens.requests) assert.equal(x.authorization, undefined);
    assert.match(r.stderr, /the credentials for 127\.0\.0\.1:\d+ were not sent to its token realm http:\/\/127\.0\.0\.2:\d+\/token: a plain-HTTP realm gets them only on the registry's own host \(127\.0\.0\.1\), and this one is on 127\.0\.0\.2/);
    assert.doesNotMatch(r.stderr, /pass --creds/);
  } finally {
    await plain.stop();
  }
});
