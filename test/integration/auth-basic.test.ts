/** Basic auth end to end: the built CLI against the real registry with htpasswd, credentials from --creds and config.json. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { onTerminal } from '../helpers/pty.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

const PASSWORD = 'b4sic:pa$$ word';
let reg: RunningRegistry;
let src: string;

before(async () => {
  reg = await startRegistry({ auth: 'htpasswd', users: { bob: PASSWORD } });
  src = await tempDir();
  await writeFile(join(src, 'app.yaml'), 'kind: Secret\n');
});
after(async () => {
  await reg?.stop();
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('no credentials: exit 1 with the login hint', async () => {
  const r = await ocipack(['pull', `oci://${reg.host}/x/y:v1`, '--output', await tempDir()], { env: { HOME: await tempDir('ocipack-home-') } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /✗ (?:pull failed: )?authentication required for 127\.0\.0\.1:\d+\n {2}hint: run `ocipack login 127\.0\.0\.1:\d+` or pass --creds/);
});

test('--creds user:pass with a colon in the password; --debug shows neither', async () => {
  const r = await ocipack(['push', `oci://${reg.host}/team/app:v1`, '--path', src, '--creds', `bob:${PASSWORD}`, '--debug'], { env: { HOME: await tempDir('ocipack-home-') } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /authorization: Basic <redacted>/);
  assert.ok(!r.stderr.includes(PASSWORD));
  assert.ok(!r.stderr.includes(b64(`bob:${PASSWORD}`)));
});

test('credentials from config.json auths (key written with https:// and /v1/)', async () => {
  const home = await tempDir('ocipack-home-');
  await mkdir(join(home, '.docker'));
  await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [`https://${reg.host}/v1/`]: { auth: b64(`bob:${PASSWORD}`) } } }));
  const out = await tempDir();
  const r = await ocipack(['pull', `oci://${reg.host}/team/app:v1`, '--output', out], { env: { HOME: home } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(join(out, 'app.yaml'), 'utf8'), 'kind: Secret\n');
});

test('credentials from DOCKER_CONFIG and from podman REGISTRY_AUTH_FILE', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { username: 'bob', password: PASSWORD } } }));
  const a = await ocipack(['list', `oci://${reg.host}/team/app`], { env: { HOME: await tempDir('ocipack-home-'), DOCKER_CONFIG: dir } });
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /v1/);
  const authFile = join(dir, 'auth.json');
  await writeFile(authFile, JSON.stringify({ auths: { [`${reg.host}/team`]: { auth: b64(`bob:${PASSWORD}`) } } }));
  const b = await ocipack(['list', `oci://${reg.host}/team/app`], { env: { HOME: await tempDir('ocipack-home-'), REGISTRY_AUTH_FILE: authFile } });
  assert.equal(b.code, 0, b.stderr);
});

test('login over Basic: wrong password stores nothing; right one writes config.json 0600 keeping other fields', async () => {
  const home = await tempDir('ocipack-home-');
  await mkdir(join(home, '.docker'));
  const path = join(home, '.docker', 'config.json');
  await writeFile(path, JSON.stringify({ auths: { 'quay.io': { auth: b64('q:1') } }, psFormat: 'table {{.ID}}' }));
  const bad = await ocipack(['login', reg.host, '-u', 'bob', '--password-stdin'], { env: { HOME: home }, input: 'nope\n' });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /✗ (?:login failed: )?127\.0\.0\.1:\d+ rejected the user name or password/);
  assert.match(bad.stderr, /hint: check the user name and the password or token for 127\.0\.0\.1:\d+; a token needs scopes/);
  assert.doesNotMatch(bad.stderr, /ocipack login/, 'a refused login does not suggest login');
  assert.deepEqual(JSON.parse(await readFile(path, 'utf8')).auths, { 'quay.io': { auth: b64('q:1') } });
  const ok = await ocipack(['login', `https://${reg.host}`, '--username', 'bob', '--password-stdin', '--format', 'json'], { env: { HOME: home }, input: `${PASSWORD}\r\n` });
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { registry: reg.host, username: 'bob', store: 'config.json', configPath: path, verified: true });
  assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { auths: { 'quay.io': { auth: b64('q:1') }, [reg.host]: { auth: b64(`bob:${PASSWORD}`) } }, psFormat: 'table {{.ID}}' });
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const list = await ocipack(['list', `oci://${reg.host}/team/app`], { env: { HOME: home } });
  assert.equal(list.code, 0, list.stderr);
});

test('login usage errors exit 2 before any network call', async () => {
  const env = { HOME: await tempDir('ocipack-home-') };
  const cases: Array<[string[], string | undefined, RegExp]> = [
    [['login', 'not a host', '-u', 'x', '--password-stdin'], 'pw', /invalid registry host/],
    [['login', reg.host, '--password-stdin'], 'pw', /--password-stdin needs -u\/--username/],
    [['login', reg.host, '-u', 'x', '--password-stdin'], '', /empty password/],
    [['login', reg.host, '-u', 'x', '--password-stdin'], '\n', /empty password/],
    [['login', reg.host, '-u', 'a:b', '--password-stdin'], 'pw', /must not contain ":"/],
    [['login', reg.host, '-u', 'x'], undefined, /no password: pass it with --password-stdin/],
    [['login', reg.host, '-u', 'x', '-p', 'y', '--password-stdin'], 'pw', /mutually exclusive/],
    [['logout', ''], undefined, /missing registry host/],
  ];
  await reg.resetRequests();
  for (const [args, input, re] of cases) {
    const r = await ocipack(args, { env, ...(input === undefined ? {} : { input }) });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.deepEqual(await reg.requests(), []);
});

test('login -p works but warns', async () => {
  const home = await tempDir('ocipack-home-');
  const r = await ocipack(['login', reg.host, '-u', 'bob', '-p', PASSWORD], { env: { HOME: home } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /⚠ a password on the command line is visible/);
});

test('login on a terminal prompts for the user name (echoed) and the password (not echoed)', async () => {
  const home = await tempDir('ocipack-home-');
  const r = await onTerminal(['login', reg.host], { HOME: home }, [['Username: ', 'bob'], ['Password: ', PASSWORD]]);
  const text = r.out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  assert.equal(r.code, 0, text);
  assert.match(text, /Username: bob\r?\r\n/);
  assert.match(text, /Password: \r\n/);
  assert.ok(!text.includes(PASSWORD), 'the password is not echoed');
  assert.match(text, /login succeeded for 127\.0\.0\.1:\d+/);
  assert.ok((await readFile(join(home, '.docker', 'config.json'), 'utf8')).includes(b64(`bob:${PASSWORD}`)));
});
