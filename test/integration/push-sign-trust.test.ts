/**
 * SPEC §7, issue 24 item 4: a signing push signs only what it built. Someone with push access places
 * under the tag a manifest whose config claims the right diff_id (and whose annotations match) over a
 * DIFFERENT layer; a plain `push --reproducible` takes it for unchanged content (SPEC §4 compares
 * diff_ids), but `push --reproducible --sign-key` decides on the whole manifest: it pushes its own
 * manifest and signs that digest, never the planted one.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { digestOf, getBlob, getManifest, headManifest, putBlob, putManifest } from '../helpers/rawoci.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let keys: string;
const PW = { COSIGN_PASSWORD: 'pw' };
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  keys = await tempDir('ocipack-keys-');
  const r = await ocipack(['generate-key-pair'], { cwd: keys, env: PW });
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await reg?.stop();
});

const pushArgs = (ref: string, dir: string): string[] => ['push', ref, '-f', dir, '--source', 'https://example.com/app', '--revision', 'main@sha1:abc', '--reproducible', '-o', 'json'];

/** Plant under `repo:v1` a manifest with `honest`'s config (so its diff_id and annotations) over another layer. */
async function plant(honestRepo: string, repo: string): Promise<string> {
  const honest = JSON.parse((await getManifest(reg.url, honestRepo, 'v1'))!.toString()) as { config: { digest: string }; layers: { mediaType: string }[]; annotations: Record<string, string> };
  const config = await getBlob(reg.url, honestRepo, honest.config.digest);
  const evil = gzipSync(Buffer.from('not what the tree holds\n'));
  await putBlob(reg.url, repo, config);
  await putBlob(reg.url, repo, evil);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MANIFEST,
    config: { mediaType: 'application/vnd.cncf.flux.config.v1+json', digest: digestOf(config), size: config.length },
    layers: [{ mediaType: honest.layers[0]!.mediaType, digest: digestOf(evil), size: evil.length }],
    annotations: honest.annotations,
  }));
  return putManifest(reg.url, repo, 'v1', manifest, MANIFEST);
}

test('push --reproducible --sign-key does not sign a planted manifest that claims the right diff_id: it pushes and signs its own', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'cm.yaml'), 'kind: ConfigMap\n');
  // what this tree packs to, pushed elsewhere: the planted config is a copy of its config
  const built = await ocipack(pushArgs(`oci://${reg.host}/trust/honest:v1`, dir));
  assert.equal(built.code, 0, built.stderr);
  const ours = (JSON.parse(built.stdout) as { digest: string }).digest;
  const planted = await plant('trust/honest', 'trust/app');
  assert.notEqual(planted, ours);

  // the attack is real: without signing, SPEC §4's diff_id rule takes the planted manifest as unchanged
  const plain = await ocipack(pushArgs(`oci://${reg.host}/trust/app:v1`, dir));
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual([JSON.parse(plain.stdout).unchanged, JSON.parse(plain.stdout).digest], [true, planted]);

  const signed = await ocipack([...pushArgs(`oci://${reg.host}/trust/app:v1`, dir), '--sign-key', join(keys, 'cosign.key')], { env: PW });
  assert.equal(signed.code, 0, signed.stderr);
  const out = JSON.parse(signed.stdout) as { digest: string; unchanged: boolean; signature: { digest: string } };
  assert.deepEqual([out.unchanged, out.digest, out.signature.digest], [false, ours, ours]);
  assert.equal((await headManifest(reg.url, 'trust/app', 'v1')).digest, ours, 'the tag now names the manifest this push built');

  // the signature ends on the digest this command built, and nothing signs the planted manifest
  const v = await ocipack(['verify', `oci://${reg.host}/trust/app:v1`, '--key', join(keys, 'cosign.pub'), '-o', 'json']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(JSON.parse(v.stdout).digest, ours);
  const p = await ocipack(['verify', `oci://${reg.host}/trust/app@${planted}`, '--key', join(keys, 'cosign.pub'), '-o', 'json']);
  assert.equal(p.code, 3, p.stderr);
  assert.deepEqual(JSON.parse(p.stdout).signatures, []);

  // the same signing push again: the tag names exactly the manifest it builds, so nothing is uploaded
  const again = await ocipack([...pushArgs(`oci://${reg.host}/trust/app:v1`, dir), '--sign-key', join(keys, 'cosign.key')], { env: PW });
  assert.equal(again.code, 0, again.stderr);
  const o2 = JSON.parse(again.stdout) as { digest: string; unchanged: boolean; signature: { digest: string; alreadySigned: boolean } };
  assert.deepEqual([o2.unchanged, o2.digest, o2.signature.digest, o2.signature.alreadySigned], [true, ours, ours, true]);
});
