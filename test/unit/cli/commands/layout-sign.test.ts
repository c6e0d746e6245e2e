/** Keys, signatures and their gates run in-process on OCI layouts: generate-key-pair, sign, push --sign-key, verify, promote --key, prune of signed tags, build. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../../helpers/cli.js';
import { ocipackHere } from '../../../helpers/inprocess.js';

const META = ['--reproducible', '--source', 'https://example.com/app', '--revision', 'main@sha1:abc'];

/** `fn` with COSIGN_PASSWORD set (the CLI reads it from the environment), restored after. */
async function withPassword<T>(fn: () => Promise<T>): Promise<T> {
  const before = process.env.COSIGN_PASSWORD;
  process.env.COSIGN_PASSWORD = 'test-password';
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.COSIGN_PASSWORD;
    else process.env.COSIGN_PASSWORD = before;
  }
}

/** A temp dir with a one-file tree `src` and the path of a layout `store` in it. */
async function fixture(): Promise<{ dir: string; src: string; store: string }> {
  const dir = await tempDir();
  const src = join(dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'app.yaml'), 'a: 1\n');
  return { dir, src, store: join(dir, 'store') };
}

test('sign and verify on a layout: a key pair, a signature once (then "already signed"), verify exit 0 with the key and 3 with another', () => withPassword(async () => {
  const { dir, src, store } = await fixture();
  const keys = await ocipackHere(['generate-key-pair', '--output-key-prefix', join(dir, 'cosign')]);
  assert.equal(keys.code, 0, keys.stderr);
  assert.ok((await stat(join(dir, 'cosign.key'))).size > 0);
  const other = await ocipackHere(['generate-key-pair', '--output-key-prefix', join(dir, 'other'), '-o', 'json']);
  assert.equal(other.code, 0, other.stderr);
  const again = await ocipackHere(['generate-key-pair', '--output-key-prefix', join(dir, 'cosign')]);
  assert.equal(again.code, 2, 'existing key files are not overwritten without --force');

  const pushed = JSON.parse((await ocipackHere(['push', `${store}:v1.0.0`, '--oci-layout', '--path', src, ...META, '-o', 'json'])).stdout) as { digest: string };
  const signed = await ocipackHere(['sign', `${store}:v1.0.0`, '--oci-layout', '--key', join(dir, 'cosign.key')]);
  assert.equal(signed.code, 0, signed.stderr);
  assert.match(signed.stderr, new RegExp(`✔ signed .*store@${pushed.digest}`));
  const twice = await ocipackHere(['sign', `${store}:v1.0.0`, '--oci-layout', '--key', join(dir, 'cosign.key')]);
  assert.match(twice.stderr, /already signed with this key/);

  const ok = await ocipackHere(['verify', `${store}:v1.0.0`, '--oci-layout', '--key', join(dir, 'cosign.pub')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /✔ integrity: /);
  assert.match(ok.stderr, /✔ signature verified with key .*cosign\.pub \[sigstore-bundle, /);
  const bad = await ocipackHere(['verify', `${store}:v1.0.0`, '--oci-layout', '--key', join(dir, 'other.pub')]);
  assert.equal(bad.code, 3, bad.stderr);
  assert.match(bad.stderr, /⚠ signature not accepted/);
  assert.match(bad.stderr, new RegExp(`✗ no signature for ${pushed.digest} verified`));

  const refused = await ocipackHere(['promote', `${store}:v1.0.0`, `${join(dir, 'prod')}:live`, '--from-oci-layout', '--to-oci-layout', '--key', join(dir, 'other.pub'), '-o', 'json']);
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /✗ .*/);
  const promoted = await ocipackHere(['promote', `${store}:v1.0.0`, `${join(dir, 'prod')}:live`, '--from-oci-layout', '--to-oci-layout', '--key', join(dir, 'cosign.pub')]);
  assert.equal(promoted.code, 0, promoted.stderr);
  assert.match(promoted.stderr, /✔ signature verified with key/);
  assert.match(promoted.stderr, /✔ promoted .* \(\d+ written, 0 skipped, 1 referrer\(s\)\); created tag live/);
  const far = await ocipackHere(['verify', `${join(dir, 'prod')}:live`, '--oci-layout', '--key', join(dir, 'cosign.pub')]);
  assert.equal(far.code, 0, 'the signature travelled with the promotion');
}));

test('push --sign-key signs what it pushed; prune of a signed tag lists the signature that goes with it', () => withPassword(async () => {
  const { dir, src, store } = await fixture();
  assert.equal((await ocipackHere(['generate-key-pair', '--output-key-prefix', join(dir, 'cosign')])).code, 0);
  const pushed = await ocipackHere(['push', `${store}:v1.0.0`, '--oci-layout', '--path', src, ...META, '--sign-key', join(dir, 'cosign.key'), '-o', 'json']);
  assert.equal(pushed.code, 0, pushed.stderr);
  const doc = JSON.parse(pushed.stdout) as { digest: string; signature?: { digest: string } };
  assert.equal(doc.signature?.digest, doc.digest);
  assert.match(pushed.stderr, /✔ signed .*; signature stored as /);

  await writeFile(join(src, 'app.yaml'), 'a: 2\n');
  assert.equal((await ocipackHere(['push', `${store}:v2.0.0`, '--oci-layout', '--path', src, ...META])).code, 0);
  const plan = await ocipackHere(['prune', store, '--oci-layout', '--keep-semver', '1']);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stderr, new RegExp(`^delete\\s+v1\\.0\\.0\\s+${doc.digest}`, 'm'));
  const short = `${doc.digest.slice(0, 19)}…`;
  assert.match(plan.stderr, new RegExp(`^delete\\s+\\(untagged\\)\\s+sha256:[0-9a-f]{64}\\s+referrer application/vnd\\.dev\\.sigstore\\.bundle\\.v0\\.3\\+json of ${short}$`, 'm'), 'the signature goes with what it signs');
  assert.match(plan.stderr, new RegExp(`^delete\\s+sha256-${doc.digest.slice(7)}\\s+sha256:[0-9a-f]{64}\\s+referrers-index of ${short}$`, 'm'), 'and the fallback tag of its referrers');
  assert.match(plan.stderr, /would delete 1 manifest\(s\) with 1 tag\(s\) and 2 attached manifest\(s\); 1 tag\(s\) kept/);
}));

test('build writes the artifact tarball flux build artifact writes; an empty tree is refused unless --allow-empty', async () => {
  const dir = await tempDir();
  const src = join(dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'app.yaml'), 'a: 1\n');
  const out = join(dir, 'artifact.tgz');
  const r = await ocipackHere(['build', '--path', src, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await stat(out)).size > 0);
  assert.match(r.stderr, /✔ /);
  const empty = join(dir, 'empty');
  await mkdir(empty);
  const refused = await ocipackHere(['build', '--path', empty, '-o', join(dir, 'e.tgz')]);
  assert.notEqual(refused.code, 0);
  assert.equal((await ocipackHere(['build', '--path', empty, '-o', join(dir, 'e.tgz'), '--allow-empty'])).code, 0);
});
