/**
 * Issue 13 §1: only the registry may ask for its credentials. The real token-auth registry sits behind the
 * fault proxy; blob GETs (or the first request, which makes the contact) are redirected to a hostile second origin that answers 401 with a
 * Bearer challenge naming its own (trusted, https) token realm. The registry's credentials must never reach it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { startFaultProxy, type FaultProxy } from '../helpers/faultproxy.js';
import { startTokenRegistry, startTokenServer, type RunningTokenServer, type TokenRegistry } from '../helpers/tokenserver.js';

const USERS = { alice: 'alice-hostile-Pa55' };
let t: TokenRegistry;
let evilRealm: RunningTokenServer;
let proxy: FaultProxy;
let evil: FaultProxy;
let caFile: string;
let src: string;
const BLOB = /\/blobs\/sha256:/;

before(async () => {
  // Private repositories: anonymous users get nothing, so only alice's credentials open them.
  t = await startTokenRegistry({ users: USERS, grant: (user, _repo, asked) => (user === 'alice' ? asked : []) });
  evilRealm = await startTokenServer({ users: USERS });
  proxy = await startFaultProxy({ upstream: t.registry.host });
  evil = await startFaultProxy({ upstream: t.registry.host });
  const dir = await tempDir();
  // Both token servers are trusted, so only the client's own rule can keep the credentials from the hostile one.
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, `${await readFile(t.tokens.certFile, 'utf8')}\n${await readFile(evilRealm.certFile, 'utf8')}`);
  src = await tempDir();
  await writeFile(join(src, 'app.yaml'), 'kind: ConfigMap\n');
  proxy.script([]);
  const pushed = await cli(['push', `oci://${proxy.host}/team/app:v1`, '--path', src, '--creds', `alice:${USERS.alice}`]);
  assert.equal(pushed.code, 0, pushed.stderr);
});
after(async () => {
  await proxy?.close();
  await evil?.close();
  await evilRealm?.stop();
  await t?.stop();
});

async function cli(args: string[], home?: string): Promise<CliResult> {
  return ocipack(args, { env: { HOME: home ?? (await tempDir('ocipack-home-')), NODE_EXTRA_CA_CERTS: caFile } });
}

/** The hostile origin answers everything with 401 and a challenge naming its own token realm. */
function armEvil(): void {
  evil.script([{ action: { status: 401, headers: { 'www-authenticate': `Bearer realm="${evilRealm.realm}",service="evil",scope="repository:team/app:pull"` } } }]);
}

function assertNothingLeaked(r: CliResult): void {
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(evilRealm.requests, [], 'the hostile realm was never asked for a token');
  for (const got of evil.log) assert.equal(got.headers.authorization, undefined, 'no Authorization at the other origin');
  assert.match(r.stderr, new RegExp(`✗ .*${evil.host.replace(/\./g, '\\.')}, another host than the registry ${proxy.host.replace(/\./g, '\\.')} .*answered 401 asking for credentials`));
  assert.doesNotMatch(r.stderr, /ocipack login|pass --creds/);
}

test('a 401 challenge from a redirect target of a blob GET: an error naming that host, no token fetched there (--creds)', async () => {
  armEvil();
  proxy.script([{ method: 'GET', path: BLOB, action: { redirect: (req) => `${evil.url}${req.path}` } }]);
  const r = await cli(['pull', `oci://${proxy.host}/team/app:v1`, '--output', join(await tempDir(), 'out'), '--creds', `alice:${USERS.alice}`]);
  assert.ok(evil.log.length >= 1, 'the blob GET was redirected to the hostile origin');
  assertNothingLeaked(r);
});

test('the same with an identity (refresh) token from config.json: it never reaches the hostile realm', async () => {
  const home = await tempDir('ocipack-home-');
  const refresh = t.tokens.refreshTokenFor('alice');
  await mkdir(join(home, '.docker'));
  await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [proxy.host]: { identitytoken: refresh } } }));
  armEvil();
  proxy.script([{ method: 'GET', path: BLOB, action: { redirect: (req) => `${evil.url}${req.path}` } }]);
  const r = await cli(['pull', `oci://${proxy.host}/team/app:v1`, '--output', join(await tempDir(), 'out')], home);
  assertNothingLeaked(r);
  assert.ok(t.tokens.requests.some((x) => x.form?.refresh_token === refresh), 'the registry\'s own realm got the refresh token');
});

test('a 401 challenge from a redirect target of the first request (it makes the contact, no /v2/ ping) is not learned either', async () => {
  armEvil();
  proxy.script([{ method: 'GET', path: /\/manifests\/v1$/, action: { redirect: (req) => `${evil.url}${req.path}` } }]);
  const r = await cli(['pull', `oci://${proxy.host}/team/app:v1`, '--output', join(await tempDir(), 'out'), '--creds', `alice:${USERS.alice}`]);
  assert.deepEqual(proxy.log.map((l) => `${l.method} ${l.path}`), ['GET /v2/team/app/manifests/v1'], 'the first request was the first contact');
  assert.ok(evil.log.some((l) => l.path === '/v2/team/app/manifests/v1'), 'the first request was redirected to the hostile origin');
  assertNothingLeaked(r);
});

test('without the hostile redirect the same pull works (the setup is sound)', async () => {
  proxy.script([]);
  const out = join(await tempDir(), 'out');
  const r = await cli(['pull', `oci://${proxy.host}/team/app:v1`, '--output', out, '--creds', `alice:${USERS.alice}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(join(out, 'app.yaml'), 'utf8'), 'kind: ConfigMap\n');
});
