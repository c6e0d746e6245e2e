/**
 * Helm's registry config as a credential source and as `login --helm`'s store (issue 14 §2), with the
 * built CLI against the real Basic-auth registry. The files are written the way `helm registry login`
 * writes them (oras-go's credential file store: docker format, `auths[host].auth` = base64 "user:pass",
 * tab-indented JSON).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

const PASSWORD = 'helm-Pa55:word';
let reg: RunningRegistry;
let src: string;

before(async () => {
  reg = await startRegistry({ auth: 'htpasswd', users: { carol: PASSWORD } });
  src = await tempDir();
  await writeFile(join(src, 'app.yaml'), 'kind: ConfigMap\n');
  const r = await ocipack(['push', `oci://${reg.host}/charts/app:v1`, '--path', src, '--creds', `carol:${PASSWORD}`], { env: { HOME: await tempDir('ocipack-home-') } });
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await reg?.stop();
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A registry config as `helm registry login <host> -u <user>` leaves it. */
async function helmLogin(path: string, host: string, user: string, password: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify({ auths: { [host]: { auth: b64(`${user}:${password}`) } } }, null, '\t'), { mode: 0o600 });
}

async function pull(env: Record<string, string>): Promise<CliResult> {
  return ocipack(['pull', `oci://${reg.host}/charts/app:v1`, '--output', await tempDir(), '--debug'], { env });
}

test('read: $XDG_CONFIG_HOME/helm/registry/config.json, then ~/.config/helm/registry/config.json; HELM_REGISTRY_CONFIG wins', async () => {
  const home = await tempDir('ocipack-home-');
  await helmLogin(join(home, '.config', 'helm', 'registry', 'config.json'), reg.host, 'carol', PASSWORD);
  const dflt = await pull({ HOME: home });
  assert.equal(dflt.code, 0, dflt.stderr);
  assert.match(dflt.stderr, new RegExp(`credentials for ${esc(reg.host)} from helm registry config in ${esc(join(home, '.config', 'helm', 'registry', 'config.json'))}`));

  const xdg = await tempDir('ocipack-xdg-');
  await helmLogin(join(xdg, 'helm', 'registry', 'config.json'), reg.host, 'carol', 'stale-password');
  const stale = await pull({ HOME: home, XDG_CONFIG_HOME: xdg });
  assert.equal(stale.code, 1, 'XDG_CONFIG_HOME replaces ~/.config');
  assert.match(stale.stderr, new RegExp(`✗ pull failed: credentials for ${esc(reg.host)} were rejected \\(from helm registry config\\)\\n  hint: run \`ocipack login --helm ${esc(reg.host)}\``));
  assert.ok(!stale.stderr.includes('stale-password') && !stale.stderr.includes(b64('carol:stale-password')));

  const explicit = join(await tempDir(), 'registry.json');
  await helmLogin(explicit, reg.host, 'carol', PASSWORD);
  const named = await pull({ HOME: home, XDG_CONFIG_HOME: xdg, HELM_REGISTRY_CONFIG: explicit });
  assert.equal(named.code, 0, named.stderr);
});

test('docker config and podman files come before the helm config', async () => {
  const home = await tempDir('ocipack-home-');
  await helmLogin(join(home, '.config', 'helm', 'registry', 'config.json'), reg.host, 'carol', PASSWORD);
  await mkdir(join(home, '.docker'));
  await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: b64('carol:old-docker-pw') } } }));
  const r = await pull({ HOME: home });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /rejected \(from config\.json auths entry "127\.0\.0\.1:\d+"\)/);
});

test('login --helm stores in the helm config the way helm does (docker untouched); logout --helm erases it', async () => {
  const home = await tempDir('ocipack-home-');
  const helmFile = join(home, '.config', 'helm', 'registry', 'config.json');
  const r = await ocipack(['login', '--helm', reg.host, '-u', 'carol', '--password-stdin'], { env: { HOME: home }, input: `${PASSWORD}\n` });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`credentials stored in ${esc(helmFile)}`));
  const text = await readFile(helmFile, 'utf8');
  assert.deepEqual(JSON.parse(text), { auths: { [reg.host]: { auth: b64(`carol:${PASSWORD}`) } } });
  assert.match(text, /^\{\n\t"auths": \{\n\t\t"/, 'tab-indented, as helm writes it');
  assert.equal((await stat(helmFile)).mode & 0o777, 0o600);
  await assert.rejects(stat(join(home, '.docker', 'config.json')), { code: 'ENOENT' });
  const pulled = await pull({ HOME: home });
  assert.equal(pulled.code, 0, pulled.stderr);
  const out = await ocipack(['logout', '--helm', reg.host], { env: { HOME: home } });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stderr, new RegExp(`removed the credentials for ${esc(reg.host)} from ${esc(helmFile)}`));
  assert.deepEqual(JSON.parse(await readFile(helmFile, 'utf8')), { auths: {} });
  const anonymous = await pull({ HOME: home });
  assert.equal(anonymous.code, 1);
  assert.match(anonymous.stderr, /authentication required for/);
});
