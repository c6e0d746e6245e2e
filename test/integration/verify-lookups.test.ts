/**
 * SPEC §7, issue 24 item 6: verify tells "unsigned" from "could not look". The fault proxy sits in front
 * of the real registry (distribution 2.8: no referrers API, so signatures live in the `sha256-<hex>`
 * referrers tag index); exit 3 only when the referrers API, the referrers tag and cosign's `.sig` tag all
 * answered, exit 1 naming the lookup when one did not; `-o json` lists every lookup.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { artifactPusher } from '../helpers/artifacts.js';
import { startRegistry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/faultproxy.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let proxy: FaultProxy;
let keys: string;
const PW = { COSIGN_PASSWORD: 'pw' };

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  proxy = await startFaultProxy({ upstream: reg.host });
  keys = await tempDir('ocipack-keys-');
  const r = await ocipack(['generate-key-pair'], { cwd: keys, env: PW });
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await proxy?.close();
  await reg?.stop();
});

const pushArtifact = artifactPusher(() => reg, 'lookups/app');

/** A fresh artifact, signed (a bundle in the referrers tag index) or not; its reference through the proxy. */
async function artifact(signed: boolean): Promise<{ ref: string; hex: string }> {
  const a = await pushArtifact();
  if (signed) {
    const s = await ocipack(['sign', a.ref, '--key', join(keys, 'cosign.key')], { env: PW });
    assert.equal(s.code, 0, s.stderr);
  }
  return { ref: `oci://${proxy.host}/${a.repo}@${a.desc.digest}`, hex: a.desc.digest.slice('sha256:'.length) };
}

const verify = async (ref: string): Promise<{ code: number; json: any; stderr: string }> => {
  const r = await ocipack(['verify', ref, '--key', join(keys, 'cosign.pub'), '-o', 'json']);
  return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
};
const api = (hex: string): RegExp => new RegExp(`/referrers/sha256:${hex}$`);
const refTag = (hex: string): RegExp => new RegExp(`/manifests/sha256-${hex}$`);
const sigTag = (hex: string): RegExp => new RegExp(`/manifests/sha256-${hex}\\.sig$`);

test('429 with Retry-After on the referrers listings is retried once each, then the signature verifies', async () => {
  const a = await artifact(true);
  const throttled = { status: 429, headers: { 'retry-after': '1' } };
  proxy.script([
    { method: 'GET', path: api(a.hex), times: 1, action: throttled },
    { method: 'GET', path: refTag(a.hex), times: 1, action: throttled },
  ]);
  const v = await verify(a.ref);
  assert.equal(v.code, 0, v.stderr);
  assert.deepEqual(v.json.lookups, [
    { place: 'cosign-tag', status: 404, found: 0 },
    { place: 'referrers-api', status: 404, found: 0 },
    { place: 'referrers-tag', status: 200, found: 1 },
  ]);
  assert.deepEqual(proxy.log.filter((l) => api(a.hex).test(l.path)).map((l) => l.status), [429, 404]);
  assert.deepEqual(proxy.log.filter((l) => l.method === 'GET' && refTag(a.hex).test(l.path)).map((l) => l.status), [429, 200]);
});

test('a referrers tag that keeps answering 503 is exit 1 naming it, not "unsigned"', async () => {
  const a = await artifact(true);
  proxy.script([{ method: 'GET', path: refTag(a.hex), action: { status: 503 } }]);
  const v = await verify(a.ref);
  assert.equal(v.code, 1, v.stderr);
  assert.equal(v.json, undefined, "no result on stdout");
  assert.match(v.stderr, new RegExp(`could not look for every signature of sha256:${a.hex}, and none found verified: referrers-tag \\(503: .*answered 503 for manifest sha256-${a.hex}`));
  assert.doesNotMatch(v.stderr, /no signatures found/);
});

test('404 everywhere: every place answered, so the artifact is unsigned (exit 3)', async () => {
  const a = await artifact(false);
  proxy.script([]);
  const v = await verify(a.ref);
  assert.equal(v.code, 3, v.stderr);
  assert.deepEqual(v.json.signatures, []);
  assert.deepEqual(v.json.lookups, [
    { place: 'cosign-tag', status: 404, found: 0 },
    { place: 'referrers-api', status: 404, found: 0 },
    { place: 'referrers-tag', status: 404, found: 0 },
  ]);
  assert.match(v.stderr, /no signatures found/);
});

test('a connection reset on the .sig lookup is exit 1 naming it; a signature verified elsewhere still counts', async () => {
  const a = await artifact(false);
  proxy.script([{ method: 'GET', path: sigTag(a.hex), action: { reset: true } }]);
  const v = await verify(a.ref);
  assert.equal(v.code, 1, v.stderr);
  assert.match(v.stderr, /none found verified: cosign-tag \(ECONNRESET: /);

  const b = await artifact(true);
  proxy.script([{ method: 'GET', path: sigTag(b.hex), action: { reset: true } }]);
  const w = await verify(b.ref);
  assert.equal(w.code, 0, w.stderr);
  assert.deepEqual(w.json.lookups.map((l: any) => [l.place, l.found]), [['cosign-tag', 0], ['referrers-api', 0], ['referrers-tag', 1]]);
  assert.equal(w.json.lookups[0].status, 'ECONNRESET');
  assert.match(w.stderr, /could not look in cosign-tag/);
});
