/** Errors with a way out (issue 17): slips in a reference and a missing tag name the fix, and keep the registry's own code. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { freePort, startRegistry } from '../helpers/registry.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let out: string;
before(async () => {
  reg = await startRegistry({ auth: 'none' });
  const src = await tempDir();
  out = await tempDir();
  await writeFile(join(src, 'a.yaml'), 'kind: ConfigMap\n');
  const r = await ocipack(['push', `oci://${reg.host}/hints/app:v1`, '--path', src]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await reg?.stop();
});

test('oci:/host (one slash), oci:host, oci:///host and oci//host suggest oci://', async () => {
  for (const ref of [`oci:/${reg.host}/hints/app:v1`, `oci:${reg.host}/hints/app:v1`, `oci:///${reg.host}/hints/app:v1`, `oci//${reg.host}/hints/app:v1`]) {
    const r = await ocipack(['pull', ref, '-o', out]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /hint: write the scheme with two slashes: oci:\/\/<host>\/<repository>:<tag>/, ref);
  }
});

test('a path-like reference without --oci-layout suggests it; a registry reference does not', async () => {
  for (const ref of ['./layout:v1', '../layout:v1', '/tmp/layout']) {
    const r = await ocipack(['pull', ref, '-o', out]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /hint: for a local OCI layout directory add --oci-layout/, ref);
  }
  const upper = await ocipack(['pull', `oci://${reg.host}/Hints/app:v1`, '-o', out]);
  assert.equal(upper.code, 2, upper.stderr);
  assert.doesNotMatch(upper.stderr, /--oci-layout|two slashes/);
});

test('a missing tag suggests ocipack list <repo>; a missing digest does not suggest it', async () => {
  const r = await ocipack(['pull', `oci://${reg.host}/hints/app:v9`, '-o', out]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /manifest v9 not found in 127\.0\.0\.1:\d+\/hints\/app/);
  assert.ok(r.stderr.includes(`hint: see which tags exist with \`ocipack list oci://${reg.host}/hints/app\``), r.stderr);
  const digest = `sha256:${'0'.repeat(64)}`;
  const d = await ocipack(['pull', `oci://${reg.host}/hints/app@${digest}`, '-o', out]);
  assert.equal(d.code, 1, d.stderr);
  assert.doesNotMatch(d.stderr, /ocipack list/);
});

test('tag <ref> <newtag> (crane and oras order) is exit 2 with the same command written with -t', async () => {
  const ref = `oci://${reg.host}/hints/app:v1`;
  const r = await ocipack(['tag', ref, 'latest', 'stable']);
  assert.equal(r.code, 2, r.stderr);
  assert.ok(r.stderr.includes(`hint: new tags go after -t/--tag (comma-separated or repeated): ocipack tag ${ref} -t latest,stable\n`), r.stderr);
  assert.equal((await ocipack(['list', `oci://${reg.host}/hints/app`])).stdout.includes('stable'), false, 'nothing tagged');
});

test('push store:v1 where ./store is a directory: the failure points at --oci-layout; another name keeps its own hint', async () => {
  const cwd = await tempDir();
  await mkdir(join(cwd, 'store'));
  await writeFile(join(cwd, 'a.yaml'), 'kind: ConfigMap\n');
  // no request leaves the machine: every registry is behind a proxy that is not there
  const env = { HTTPS_PROXY: `http://127.0.0.1:${await freePort()}`, NO_PROXY: '' };
  const slip = await ocipack(['push', 'store:v1', '-f', 'a.yaml'], { cwd, env });
  assert.equal(slip.code, 1, slip.stderr);
  assert.match(slip.stderr, /hint: store is a local directory: to push into it as an OCI image layout add --oci-layout; a registry reference names its host/);
  const other = await ocipack(['push', 'other:v1', '-f', 'a.yaml'], { cwd, env });
  assert.equal(other.code, 1, other.stderr);
  assert.doesNotMatch(other.stderr, /--oci-layout/);
  const layout = await ocipack(['push', 'store:v1', '-f', 'a.yaml', '--oci-layout'], { cwd });
  assert.equal(layout.code, 0, layout.stderr);
});
