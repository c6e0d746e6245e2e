/** Errors with a way out (issue 17): slips in a reference and a missing tag name the fix, and keep the registry's own code. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';

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

test('oci:/host (one slash) and oci:host suggest oci://', async () => {
  for (const ref of [`oci:/${reg.host}/hints/app:v1`, `oci:${reg.host}/hints/app:v1`]) {
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
