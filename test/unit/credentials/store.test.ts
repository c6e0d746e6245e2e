/** login/logout storage: config.json written atomically, 0600, other fields kept; helpers through `store`/`erase`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HelperExec } from '../../../src/credentials/helper.js';
import { eraseCredentials, saveCredentials } from '../../../src/credentials/store.js';
import { fakeExec, scratchDir } from '../../helpers/fakes.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

const tmp = (): Promise<string> => scratchDir('ocipack-store-');

test('a new config.json is created with mode 0600 in a 0700 directory, tab-indented like docker', async () => {
  const home = await tmp();
  const r = await saveCredentials('127.0.0.1:5000', 'alice', 'pw', { homeDir: home });
  const path = join(home, '.docker', 'config.json');
  assert.deepEqual(r, { store: 'config.json', configPath: path });
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal((await stat(join(home, '.docker'))).mode & 0o777, 0o700);
  const text = await readFile(path, 'utf8');
  assert.equal(text, `{\n\t"auths": {\n\t\t"127.0.0.1:5000": {\n\t\t\t"auth": "${b64('alice:pw')}"\n\t\t}\n\t}\n}\n`);
});

test('every other field survives; older spellings of the same key are replaced; no temp file is left', async () => {
  const dir = await tmp();
  const path = join(dir, 'config.json');
  const before = {
    auths: { 'https://ghcr.io/': { auth: b64('old:1'), email: 'x@y' }, 'quay.io': { auth: b64('q:2') } },
    HttpHeaders: { 'User-Agent': 'Docker-Client' },
    proxies: { default: { httpProxy: 'http://proxy:3128' } },
    currentContext: 'desktop-linux',
    plugins: { x: { y: 'z' } },
  };
  await writeFile(path, JSON.stringify(before), { mode: 0o644 });
  await saveCredentials('ghcr.io', 'new', 'pw:2', { env: { DOCKER_CONFIG: dir } });
  const after = JSON.parse(await readFile(path, 'utf8'));
  assert.deepEqual(after, { ...before, auths: { 'quay.io': { auth: b64('q:2') }, 'ghcr.io': { auth: b64('new:pw:2') } } });
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(dir), ['config.json']);
});

test('a symlinked config.json is updated through the link (the link stays)', async () => {
  const dir = await tmp();
  await mkdir(join(dir, 'real'));
  await writeFile(join(dir, 'real', 'docker.json'), '{"auths":{}}');
  await mkdir(join(dir, '.docker'));
  await symlink(join(dir, 'real', 'docker.json'), join(dir, '.docker', 'config.json'));
  await saveCredentials('ghcr.io', 'a', 'b', { homeDir: dir });
  assert.ok((await readFile(join(dir, 'real', 'docker.json'), 'utf8')).includes(b64('a:b')));
  const { lstat } = await import('node:fs/promises');
  assert.ok((await lstat(join(dir, '.docker', 'config.json'))).isSymbolicLink());
});

test('a malformed config.json is not overwritten', async () => {
  const dir = await tmp();
  await writeFile(join(dir, 'config.json'), '{broken');
  await assert.rejects(saveCredentials('ghcr.io', 'a', 'b', { env: { DOCKER_CONFIG: dir } }), /is not valid JSON/);
  assert.equal(await readFile(join(dir, 'config.json'), 'utf8'), '{broken');
});

test('logout removes every spelling of the key and keeps the rest; a second logout removes nothing', async () => {
  const dir = await tmp();
  await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('h:1') }, 'quay.io': { auth: b64('q:2') } }, other: 1 }));
  const r = await eraseCredentials('https://index.docker.io/v1/', { env: { DOCKER_CONFIG: dir } });
  assert.equal(r.removed, true);
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')), { auths: { 'quay.io': { auth: b64('q:2') } }, other: 1 });
  assert.equal((await eraseCredentials('https://index.docker.io/v1/', { env: { DOCKER_CONFIG: dir } })).removed, false);
  assert.equal((await eraseCredentials('ghcr.io', { env: { DOCKER_CONFIG: join(dir, 'none') } })).removed, false);
});

test('with a credential helper: store goes to the helper, config.json keeps an empty entry; erase asks first', async () => {
  const dir = await tmp();
  await writeFile(join(dir, 'config.json'), JSON.stringify({ credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud' } }));
  const calls: string[] = [];
  const stored = new Map<string, string>();
  const exec: HelperExec = async (program, args, opts) => {
    calls.push(`${program} ${args[0]} ${opts.input}`);
    if (args[0] === 'store') {
      const doc = JSON.parse(opts.input) as { ServerURL: string; Secret: string };
      stored.set(doc.ServerURL, opts.input);
      return { code: 0, stdout: '', stderr: '' };
    }
    if (args[0] === 'get') return stored.has(opts.input) ? { code: 0, stdout: stored.get(opts.input) as string, stderr: '' } : { code: 1, stdout: 'credentials not found in native keychain', stderr: '' };
    stored.delete(opts.input);
    return { code: 0, stdout: '', stderr: '' };
  };
  const opts = { env: { DOCKER_CONFIG: dir }, exec };
  assert.equal((await saveCredentials('gcr.io', '_json_key', 'k', opts)).store, 'docker-credential-gcloud');
  assert.equal((await saveCredentials('ghcr.io', 'alice', 'pw', opts)).store, 'docker-credential-desktop');
  const doc = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(doc.auths, { 'gcr.io': {}, 'ghcr.io': {} });
  assert.ok(!JSON.stringify(doc).includes('pw'));
  assert.equal((await eraseCredentials('ghcr.io', opts)).removed, true);
  assert.equal((await eraseCredentials('ghcr.io', opts)).removed, false);
  assert.deepEqual(calls, [
    'docker-credential-gcloud store {"ServerURL":"gcr.io","Username":"_json_key","Secret":"k"}',
    'docker-credential-desktop store {"ServerURL":"ghcr.io","Username":"alice","Secret":"pw"}',
    'docker-credential-desktop get ghcr.io',
    'docker-credential-desktop erase ghcr.io',
    'docker-credential-desktop get ghcr.io',
  ]);
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).auths, { 'gcr.io': {} });
});

test('a helper that cannot store leaves config.json as it was', async () => {
  const dir = await tmp();
  const before = JSON.stringify({ credsStore: 'broken' });
  await writeFile(join(dir, 'config.json'), before);
  const exec = fakeExec({ 'docker-credential-broken': { code: 1, stdout: 'pass not initialized: exit status 1' } });
  await assert.rejects(saveCredentials('ghcr.io', 'a', 'b', { env: { DOCKER_CONFIG: dir }, exec }), /docker-credential-broken could not store the credentials: pass not initialized: exit status 1/);
  assert.equal(await readFile(join(dir, 'config.json'), 'utf8'), before);
});
