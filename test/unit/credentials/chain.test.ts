/** The credential chain over real temp files: docker config variants, DOCKER_AUTH_CONFIG, podman files, helpers (injected exec). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialChain, findCredential } from '../../../src/credentials/chain.js';
import { fakeExec, type HelperCall } from '../../helpers/fakes.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function home(files: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-chain-'));
  for (const [rel, doc] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), typeof doc === 'string' ? doc : JSON.stringify(doc));
  }
  return dir;
}

const DOCKER = '.docker/config.json';

const cases: Array<{ name: string; files: Record<string, unknown>; registry: string; env?: Record<string, string>; want: unknown }> = [
  { name: 'auths with base64 auth', files: { [DOCKER]: { auths: { 'ghcr.io': { auth: b64('alice:pa:ss') } } } }, registry: 'ghcr.io', want: { username: 'alice', password: 'pa:ss' } },
  { name: 'auths with username/password fields', files: { [DOCKER]: { auths: { 'ghcr.io': { username: 'bob', password: 'pw' } } } }, registry: 'ghcr.io', want: { username: 'bob', password: 'pw' } },
  { name: 'auth wins over username/password', files: { [DOCKER]: { auths: { 'ghcr.io': { auth: b64('a:1'), username: 'b', password: '2' } } } }, registry: 'ghcr.io', want: { username: 'a', password: '1' } },
  { name: 'identitytoken with the user from auth', files: { [DOCKER]: { auths: { 'r.example': { auth: b64('carol:'), identitytoken: 'refresh-1' } } } }, registry: 'r.example', want: { identityToken: 'refresh-1', username: 'carol' } },
  { name: 'identitytoken alone', files: { [DOCKER]: { auths: { 'r.example': { identitytoken: 'refresh-1' } } } }, registry: 'r.example', want: { identityToken: 'refresh-1' } },
  { name: 'registrytoken', files: { [DOCKER]: { auths: { 'r.example': { registrytoken: 'bearer-1' } } } }, registry: 'r.example', want: { registryToken: 'bearer-1' } },
  { name: 'key with scheme, port and /v1/', files: { [DOCKER]: { auths: { 'https://localhost:5000/v1/': { auth: b64('u:p') } } } }, registry: 'localhost:5000', want: { username: 'u', password: 'p' } },
  { name: 'another port is another registry', files: { [DOCKER]: { auths: { 'localhost:5001': { auth: b64('u:p') } } } }, registry: 'localhost:5000', want: undefined },
  { name: 'Docker Hub under https://index.docker.io/v1/', files: { [DOCKER]: { auths: { 'https://index.docker.io/v1/': { auth: b64('hub:pw') } } } }, registry: 'docker.io', want: { username: 'hub', password: 'pw' } },
  { name: 'exact key preferred over a normalised one', files: { [DOCKER]: { auths: { 'https://ghcr.io': { auth: b64('old:1') }, 'ghcr.io': { auth: b64('new:2') } } } }, registry: 'ghcr.io', want: { username: 'new', password: '2' } },
  { name: 'an empty entry (left by a helper login) is anonymous', files: { [DOCKER]: { auths: { 'ghcr.io': {} } } }, registry: 'ghcr.io', want: undefined },
  { name: 'DOCKER_CONFIG names the directory', files: { 'elsewhere/config.json': { auths: { 'ghcr.io': { auth: b64('d:c') } } }, [DOCKER]: { auths: { 'ghcr.io': { auth: b64('home:x') } } } }, env: { DOCKER_CONFIG: '<home>/elsewhere' }, registry: 'ghcr.io', want: { username: 'd', password: 'c' } },
  { name: 'DOCKER_AUTH_CONFIG wins over config.json', files: { [DOCKER]: { auths: { 'ghcr.io': { auth: b64('file:x') } } } }, env: { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'ghcr.io': { auth: b64('env:y') } } }) }, registry: 'ghcr.io', want: { username: 'env', password: 'y' } },
  { name: 'DOCKER_AUTH_CONFIG without the registry falls through to the file', files: { [DOCKER]: { auths: { 'ghcr.io': { auth: b64('file:x') } } } }, env: { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'quay.io': { auth: b64('env:y') } } }) }, registry: 'ghcr.io', want: { username: 'file', password: 'x' } },
  { name: 'podman REGISTRY_AUTH_FILE', files: { 'auth.json': { auths: { 'quay.io': { auth: b64('pod:1') } } } }, env: { REGISTRY_AUTH_FILE: '<home>/auth.json' }, registry: 'quay.io', want: { username: 'pod', password: '1' } },
  { name: 'podman $XDG_RUNTIME_DIR/containers/auth.json with a namespace key', files: { 'run/containers/auth.json': { auths: { 'quay.io/org/app': { auth: b64('pod:2') } } } }, env: { XDG_RUNTIME_DIR: '<home>/run' }, registry: 'quay.io', want: { username: 'pod', password: '2' } },
  { name: 'podman ~/.config/containers/auth.json', files: { '.config/containers/auth.json': { auths: { 'quay.io': { auth: b64('pod:3') } } } }, registry: 'quay.io', want: { username: 'pod', password: '3' } },
  { name: 'docker config before podman files', files: { [DOCKER]: { auths: { 'quay.io': { auth: b64('docker:1') } } }, '.config/containers/auth.json': { auths: { 'quay.io': { auth: b64('pod:3') } } } }, registry: 'quay.io', want: { username: 'docker', password: '1' } },
  { name: 'helm ~/.config/helm/registry/config.json', files: { '.config/helm/registry/config.json': { auths: { 'quay.io': { auth: b64('helm:1') } } } }, registry: 'quay.io', want: { username: 'helm', password: '1' } },
  { name: 'helm $XDG_CONFIG_HOME/helm/registry/config.json replaces ~/.config', files: { 'xdg/helm/registry/config.json': { auths: { 'quay.io': { auth: b64('helm:2') } } }, '.config/helm/registry/config.json': { auths: { 'quay.io': { auth: b64('helm:1') } } } }, env: { XDG_CONFIG_HOME: '<home>/xdg' }, registry: 'quay.io', want: { username: 'helm', password: '2' } },
  { name: 'helm HELM_REGISTRY_CONFIG names the file', files: { 'h.json': { auths: { 'quay.io': { auth: b64('helm:3') } } }, 'xdg/helm/registry/config.json': { auths: { 'quay.io': { auth: b64('helm:2') } } } }, env: { HELM_REGISTRY_CONFIG: '<home>/h.json', XDG_CONFIG_HOME: '<home>/xdg' }, registry: 'quay.io', want: { username: 'helm', password: '3' } },
  { name: 'podman files before the helm config', files: { '.config/containers/auth.json': { auths: { 'quay.io': { auth: b64('pod:3') } } }, '.config/helm/registry/config.json': { auths: { 'quay.io': { auth: b64('helm:1') } } } }, registry: 'quay.io', want: { username: 'pod', password: '3' } },
  { name: 'an empty config file is no config', files: { [DOCKER]: '' }, registry: 'ghcr.io', want: undefined },
  { name: 'nothing anywhere is anonymous', files: {}, registry: 'ghcr.io', want: undefined },
];

for (const c of cases) {
  test(`chain: ${c.name}`, async () => {
    const dir = await home(c.files);
    const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, v.replace('<home>', dir)]));
    const found = await findCredential(c.registry, { env, homeDir: dir, exec: fakeExec({}) });
    assert.deepEqual(found?.credential, c.want);
  });
}

test('chain: --creds wins and reads no file', async () => {
  const dir = await home({ [DOCKER]: '{not json' });
  const found = await findCredential('ghcr.io', { creds: 'x:y', homeDir: dir });
  assert.deepEqual(found, { credential: { username: 'x', password: 'y' }, source: { kind: 'flag', flag: 'creds' } });
  assert.throws(() => credentialChain({ creds: '' }), /must not be empty/);
});

test('chain: a credsStore in the helm config runs that helper; the source says helper, the file is the helm config', async () => {
  const dir = await home({ '.config/helm/registry/config.json': { credsStore: 'pass', auths: { 'r.example': {} } } });
  const exec = fakeExec({ 'docker-credential-pass r.example': { stdout: JSON.stringify({ Username: 'h', Secret: 's' }) } });
  const found = await findCredential('r.example', { homeDir: dir, exec });
  assert.deepEqual(found, { credential: { username: 'h', password: 's' }, source: { kind: 'helper', name: 'pass', file: join(dir, '.config/helm/registry/config.json') } });
});

test('chain: HOME from env when homeDir is not given', async () => {
  const dir = await home({ [DOCKER]: { auths: { 'ghcr.io': { auth: b64('h:1') } } } });
  const found = await findCredential('ghcr.io', { env: { HOME: dir } });
  assert.deepEqual(found?.credential, { username: 'h', password: '1' });
});

test('helpers: credHelpers[host] beats credsStore; the server URL goes on stdin; <token> is an identity token', async () => {
  const dir = await home({ [DOCKER]: { credsStore: 'store', credHelpers: { 'ghcr.io': 'gh' }, auths: { 'ghcr.io': { auth: b64('file:x') } } } });
  const calls: HelperCall[] = [];
  const exec = fakeExec({
    'docker-credential-gh': { stdout: JSON.stringify({ ServerURL: 'ghcr.io', Username: '<token>', Secret: 'idt' }) },
    'docker-credential-store': { stdout: JSON.stringify({ ServerURL: 'https://index.docker.io/v1/', Username: 'hub', Secret: 'pw' }) },
  }, calls);
  assert.deepEqual((await findCredential('ghcr.io', { homeDir: dir, exec }))?.credential, { identityToken: 'idt' });
  assert.deepEqual((await findCredential('docker.io', { homeDir: dir, exec }))?.credential, { username: 'hub', password: 'pw' });
  assert.deepEqual(calls, [
    { program: 'docker-credential-gh', args: ['get'], input: 'ghcr.io' },
    { program: 'docker-credential-store', args: ['get'], input: 'https://index.docker.io/v1/' },
  ]);
});

test('helpers: "credentials not found", an empty answer and empty fields fall through to auths, then anonymous', async () => {
  const dir = await home({ [DOCKER]: { credsStore: 'x', auths: { 'a.example': { auth: b64('file:a') } } } });
  for (const answer of [
    { code: 1, stdout: 'credentials not found in native keychain\n' },
    { code: 0, stdout: '' },
    { code: 0, stdout: '{"ServerURL":"a.example","Username":"","Secret":""}\n' },
  ]) {
    const exec = fakeExec({ 'docker-credential-x': answer });
    assert.deepEqual((await findCredential('a.example', { homeDir: dir, exec }))?.credential, { username: 'file', password: 'a' });
    assert.equal(await findCredential('b.example', { homeDir: dir, exec }), undefined);
  }
});

test('helpers: a missing binary names it; a failure quotes the helper', async () => {
  const dir = await home({ [DOCKER]: { credsStore: 'nope' } });
  await assert.rejects(findCredential('a.example', { homeDir: dir, exec: fakeExec({}) }),
    (e: Error & { code?: string }) => e.code === 'CREDENTIALS' && /docker-credential-nope not found/.test(e.message));
  const exec = fakeExec({ 'docker-credential-nope': { code: 1, stdout: 'error getting credentials - err: gpg: decryption failed: No secret key\n' } });
  await assert.rejects(findCredential('a.example', { homeDir: dir, exec }), /docker-credential-nope failed: error getting credentials - err: gpg: decryption failed: No secret key$/);
});

const bad: Array<[string, string, RegExp]> = [
  ['not JSON (the text is not quoted)', '{"auths": {"ghcr.io": {"auth": "c2VjcmV0OnZhbHVl"', /config\.json is not valid JSON$/],
  ['not an object', '[1,2]', /must hold a JSON object/],
  ['auths not an object', '{"auths": "x"}', /"auths" must be an object/],
  ['an entry not an object', '{"auths": {"ghcr.io": 5}}', /"auths\.ghcr\.io" must be an object/],
  ['auth not a string', '{"auths": {"ghcr.io": {"auth": 5}}}', /"auths\.ghcr\.io\.auth" must be a string/],
  ['credHelpers value not a string', '{"credHelpers": {"ghcr.io": true}}', /"credHelpers\.ghcr\.io" must be a string/],
  ['credsStore not a string', '{"credsStore": 1}', /"credsStore" must be a string/],
  ['auth not base64', '{"auths": {"ghcr.io": {"auth": "%%%"}}}', /"auth" must be base64 of "user:password"/],
  ['auth without a colon', `{"auths": {"ghcr.io": {"auth": "${b64('secretvalue')}"}}}`, /"auth" must be base64 of "user:password"/],
  ['helper name with a path', '{"credsStore": "../../bin/sh"}', /invalid credential helper name/],
];

for (const [name, text, re] of bad) {
  test(`bad docker config: ${name}`, async () => {
    const dir = await home({ [DOCKER]: text });
    await assert.rejects(findCredential('ghcr.io', { homeDir: dir, exec: fakeExec({}) }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'BAD_INPUT');
      assert.match(e.message, re);
      assert.ok(!e.message.includes('c2VjcmV0') && !e.message.includes('secret'), 'no config content in the message');
      return true;
    });
  });
}

test('bad DOCKER_AUTH_CONFIG names the variable, not its value', async () => {
  await assert.rejects(findCredential('ghcr.io', { env: { DOCKER_AUTH_CONFIG: '{"auths": secret' } }), /^Error: DOCKER_AUTH_CONFIG is not valid JSON$|DOCKER_AUTH_CONFIG is not valid JSON/);
});

test('the resolver says where credentials came from, never what they are', async () => {
  const dir = await home({ [DOCKER]: { auths: { 'ghcr.io': { auth: b64('alice:topsecret') } } } });
  const lines: string[] = [];
  const resolve = credentialChain({ homeDir: dir, onDebug: (l) => lines.push(l) });
  assert.deepEqual(await resolve('ghcr.io'), { username: 'alice', password: 'topsecret', source: { kind: 'docker-config', key: 'ghcr.io', file: join(dir, DOCKER) } });
  assert.equal(await resolve('quay.io'), undefined);
  assert.deepEqual(lines, [`credentials for ghcr.io from config.json auths entry "ghcr.io" in ${join(dir, DOCKER)}`, 'no credentials for quay.io: anonymous']);
});
