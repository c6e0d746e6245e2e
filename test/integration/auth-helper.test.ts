/**
 * The real `docker-credential-pass` helper (pass + gnupg in a temp HOME) behind credsStore and
 * credHelpers, for lookups and for login/logout, against the real registry in token-auth mode.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { startPassHome, type PassHome } from '../helpers/pass.js';
import { startTokenRegistry, type TokenRegistry } from '../helpers/tokenserver.js';
import { push } from '../../src/index.js';
import type { HelperExec } from '../../src/core/credential.js';

const PASSWORD = 'helper-S3cret';
let t: TokenRegistry;
let pass: PassHome;
let src: string;

before(async () => {
  t = await startTokenRegistry({ users: { carol: PASSWORD } });
  pass = await startPassHome();
  src = await tempDir();
  await writeFile(join(src, 'app.yaml'), 'kind: Service\n');
});
after(async () => {
  await t?.stop();
  await pass?.stop();
});

function cli(args: string[], input?: string): Promise<CliResult> {
  return ocipack(args, { env: { ...pass.env, NODE_EXTRA_CA_CERTS: t.tokens.certFile }, ...(input === undefined ? {} : { input }) });
}

test('credsStore "pass": login stores in pass (config.json keeps an empty entry), push uses it, logout erases it', async () => {
  const configPath = await pass.writeDockerConfig({ credsStore: 'pass', detachKeys: 'ctrl-e,e' });
  const login = await cli(['login', t.registry.host, '-u', 'carol', '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stderr, /credentials stored in docker-credential-pass/);
  assert.deepEqual(await pass.get(t.registry.host), { ServerURL: t.registry.host, Username: 'carol', Secret: PASSWORD });
  const doc = JSON.parse(await readFile(configPath, 'utf8'));
  assert.deepEqual(doc, { credsStore: 'pass', detachKeys: 'ctrl-e,e', auths: { [t.registry.host]: {} } });

  const n = t.tokens.requests.length;
  const pushed = await cli(['push', `oci://${t.registry.host}/team/helper:v1`, '--path', src, '--debug']);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.match(pushed.stderr, /credentials for 127\.0\.0\.1:\d+ from credential helper docker-credential-pass in /);
  assert.ok(!pushed.stderr.includes(PASSWORD));
  assert.equal(t.tokens.requests.slice(n).filter((r) => r.user === 'carol').length, 1);

  const out = await cli(['logout', t.registry.host]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stderr, /removed the credentials for 127\.0\.0\.1:\d+ from docker-credential-pass/);
  assert.deepEqual(await pass.get(t.registry.host), { ServerURL: t.registry.host, Username: '', Secret: '' });
  assert.deepEqual(JSON.parse(await readFile(configPath, 'utf8')).auths, {});
  const again = await cli(['logout', t.registry.host]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /not logged in/);
});

test('credsStore "pass" with nothing stored for the host (its empty answer) means anonymous: pull works, push is refused', async () => {
  await pass.writeDockerConfig({ credsStore: 'pass' });
  const out = await tempDir();
  const pulled = await cli(['pull', `oci://${t.registry.host}/team/helper:v1`, '--output', out]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(await readFile(join(out, 'app.yaml'), 'utf8'), 'kind: Service\n');
  const pushed = await cli(['push', `oci://${t.registry.host}/team/helper:v2`, '--path', src]);
  assert.equal(pushed.code, 1);
  assert.match(pushed.stderr, /authentication required for/);
});

test('credHelpers[host] = pass, with credentials stored by the helper itself; other hosts keep auths', async () => {
  await pass.store(t.registry.host, 'carol', PASSWORD);
  await pass.writeDockerConfig({ credHelpers: { [t.registry.host]: 'pass' }, auths: { [t.registry.host]: { auth: Buffer.from('carol:wrong').toString('base64') } } });
  const pushed = await cli(['push', `oci://${t.registry.host}/team/helper:v3`, '--path', src]);
  assert.equal(pushed.code, 0, pushed.stderr);
});

test('a helper answering Username "<token>" gives an identity token: OAuth2 refresh-token POST', async () => {
  const refresh = t.tokens.refreshTokenFor('carol');
  await pass.store(t.registry.host, '<token>', refresh);
  await pass.writeDockerConfig({ credsStore: 'pass' });
  const n = t.tokens.requests.length;
  const pushed = await cli(['push', `oci://${t.registry.host}/team/helper:v4`, '--path', src, '--debug']);
  assert.equal(pushed.code, 0, pushed.stderr);
  const reqs = t.tokens.requests.slice(n);
  assert.deepEqual(reqs.map((r) => `${r.method} ${r.form?.grant_type} ${r.form?.client_id} ${r.user}`), ['POST refresh_token ocipack carol']);
  assert.ok(!pushed.stderr.includes(refresh));
});

test('a credsStore whose helper is not installed is an error naming it', async () => {
  await pass.writeDockerConfig({ credsStore: 'ocipack-missing' });
  const r = await cli(['pull', `oci://${t.registry.host}/team/helper:v1`, '--output', await tempDir()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /✗ (?:pull failed: )?credential helper docker-credential-ocipack-missing not found on PATH/);
});

test('library push: RegistryOptions.credentialHelperExec runs the helper the docker config names (an injected fake)', async () => {
  const home = await tempDir();
  await mkdir(join(home, '.docker'));
  await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ credsStore: 'fake' }));
  const calls: string[] = [];
  const credentialHelperExec: HelperExec = async (program, args, o) => {
    calls.push(`${program} ${args.join(' ')} ${o.input.trim()}`);
    return { code: 0, stdout: JSON.stringify({ ServerURL: t.registry.host, Username: 'carol', Secret: PASSWORD }), stderr: '' };
  };
  const n = t.tokens.requests.length;
  const r = await push({
    reference: `oci://${t.registry.host}/team/helper-lib:v1`, path: src, homeDir: home,
    env: { NODE_EXTRA_CA_CERTS: t.tokens.certFile }, credentialHelperExec,
  });
  assert.equal(r.tag, 'v1');
  assert.deepEqual(calls, [`docker-credential-fake get ${t.registry.host}`]);
  assert.equal(t.tokens.requests.slice(n).filter((q) => q.user === 'carol').length, 1);
});
