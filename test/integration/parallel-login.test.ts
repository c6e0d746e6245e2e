/**
 * Issue 13 §5: `login`/`logout` rewrite config.json under a lock (re-read, merge, fsync, rename): 16 real
 * `ocipack login` processes at once, each for another registry address (fault proxies in front of one real
 * htpasswd registry), all land; 8 parallel logouts then all remove theirs and keep the rest.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/faultproxy.js';

const USER = 'par';
const PASS = 'par-login-pw';
let reg: RunningRegistry;
const proxies: FaultProxy[] = [];

before(async () => {
  reg = await startRegistry({ auth: 'htpasswd', users: { [USER]: PASS } });
  for (let i = 0; i < 16; i++) proxies.push(await startFaultProxy({ upstream: reg.host }));
});
after(async () => {
  for (const p of proxies) await p.close();
  await reg?.stop();
});

test('16 parallel logins all land in config.json; 8 parallel logouts remove exactly theirs', async () => {
  const home = await tempDir('ocipack-home-');
  const env = { HOME: home };
  const logins = await Promise.all(proxies.map((p) => ocipack(['login', p.host, '-u', USER, '--password-stdin'], { env, input: `${PASS}\n` })));
  for (const r of logins) assert.equal(r.code, 0, r.stderr);
  const path = join(home, '.docker', 'config.json');
  const doc = JSON.parse(await readFile(path, 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.deepEqual(Object.keys(doc.auths).sort(), proxies.map((p) => p.host).sort());
  for (const v of Object.values(doc.auths)) assert.equal(v.auth, Buffer.from(`${USER}:${PASS}`).toString('base64'));

  const gone = proxies.slice(0, 8);
  const logouts = await Promise.all(gone.map((p) => ocipack(['logout', p.host], { env })));
  for (const r of logouts) assert.equal(r.code, 0, r.stderr);
  const after = JSON.parse(await readFile(path, 'utf8')) as { auths: Record<string, unknown> };
  assert.deepEqual(Object.keys(after.auths).sort(), proxies.slice(8).map((p) => p.host).sort());
  assert.deepEqual((await readdir(join(home, '.docker'))).sort(), ['config.json'], 'no lock or temp file left');
});
