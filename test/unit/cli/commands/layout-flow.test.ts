/** The commands run in-process against OCI layout directories (no registry): push, list, tag, inspect, pull — what they print and their exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../../helpers/cli.js';
import { ocipackHere } from '../../../helpers/inprocess.js';

const CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: "1"\n';
const META = ['--reproducible', '--source', 'https://example.com/app', '--revision', 'main@sha1:abc'];

async function fixture(): Promise<{ dir: string; src: string; store: string }> {
  const dir = await tempDir();
  const src = join(dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'app.yaml'), CONFIGMAP);
  return { dir, src, store: join(dir, 'store') };
}

test('push to a layout: flux-style lines on stderr, the flux document on stdout; the same content again is reported unchanged', async () => {
  const { src, store } = await fixture();
  const first = await ocipackHere(['push', `${store}:v1`, '--oci-layout', '--path', src, ...META, '-o', 'json']);
  assert.equal(first.code, 0, first.stderr);
  const doc = JSON.parse(first.stdout) as { digest: string; tag: string; tags: string[]; unchanged: boolean; repository: string };
  assert.match(doc.digest, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual([doc.tag, doc.tags, doc.unchanged, doc.repository], ['v1', ['v1'], false, store]);
  assert.match(first.stderr, new RegExp(`► pushing artifact to ${store}:v1\\n✔ artifact successfully pushed to ${store}@${doc.digest}`));

  const multi = await ocipackHere(['push', `${store}:v2,latest`, '--oci-layout', '--path', src, ...META]);
  assert.equal(multi.code, 0, multi.stderr);
  assert.equal(multi.stdout, '', 'text mode writes nothing on stdout');
  assert.match(multi.stderr, /✔ tagged v2, latest/);

  const dry = await ocipackHere(['push', `${store}:v3`, '--oci-layout', '--path', src, ...META, '--dry-run', '-o', 'json']);
  assert.equal(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as { dryRun: boolean; plan: { manifest: string; blobs: { action: string }[] } };
  assert.equal(plan.dryRun, true);
  assert.equal(plan.plan.manifest, doc.digest, 'the same content and metadata give the same digest');
  assert.ok(plan.plan.blobs.every((b) => b.action === 'skip'), JSON.stringify(plan.plan.blobs));
  assert.match(dry.stderr, /dry run: would create .*:v3 → sha256:/);
  assert.match(dry.stderr, /✔ dry run: nothing changed/);
  const listed = await ocipackHere(['list', store, '--oci-layout', '-o', 'json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.doesNotMatch(listed.stdout, /"v3"/, 'the dry run wrote no tag');
  assert.match(listed.stdout, /"v2"/);
});

test('tag on a layout: new tags printed as tagged; --dry-run says create, keep or move; a second positional is a usage error with the -t hint', async () => {
  const { src, store } = await fixture();
  const pushed = JSON.parse((await ocipackHere(['push', `${store}:v1`, '--oci-layout', '--path', src, ...META, '-o', 'json'])).stdout) as { digest: string };
  const tagged = await ocipackHere(['tag', `${store}:v1`, '--oci-layout', '-t', 'stable,prod']);
  assert.equal(tagged.code, 0, tagged.stderr);
  assert.match(tagged.stderr, new RegExp(`✔ artifact tagged as ${store}:stable\\n✔ artifact tagged as ${store}:prod`));

  await writeFile(join(src, 'other.yaml'), 'x: 1\n');
  await ocipackHere(['push', `${store}:v2`, '--oci-layout', '--path', src, ...META]);
  const dry = await ocipackHere(['tag', `${store}:v2`, '--oci-layout', '-t', 'stable,v2,new', '--dry-run', '-o', 'json']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stderr, new RegExp(`:stable → sha256:[0-9a-f]+: would move from ${pushed.digest}`));
  assert.match(dry.stderr, /:v2 → sha256:[0-9a-f]+: would keep \(already there\)/);
  assert.match(dry.stderr, /:new → sha256:[0-9a-f]+: would create/);
  const out = JSON.parse(dry.stdout) as { dryRun: boolean; moves: { tag: string }[] };
  assert.equal(out.dryRun, true);
  assert.deepEqual(out.moves.map((m) => m.tag), ['stable', 'v2', 'new']);

  const wrong = await ocipackHere(['tag', `${store}:v1`, 'latest', '--oci-layout']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /too many arguments for 'tag'/);
  assert.match(wrong.stderr, /-t latest|--tag latest/);
});

test('inspect on a layout: aligned fields and layers in text, the summary without raw bytes in json, --raw with -o json refused', async () => {
  const { src, store } = await fixture();
  await ocipackHere(['push', `${store}:v1`, '--oci-layout', '--path', src, ...META, '-a', 'team=platform']);
  const text = await ocipackHere(['inspect', `${store}:v1`, '--oci-layout']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Reference: {5}.*store:v1$/m);
  assert.match(text.stdout, /^Digest: {8}sha256:[0-9a-f]{64}$/m);
  assert.match(text.stdout, /^Media type: {4}application\/vnd\.oci\.image\.manifest\.v1\+json$/m);
  assert.match(text.stdout, /^Layers \(1\):\n {2}0 {2}application\/vnd\.cncf\.flux\.content\.v1\.tar\+gzip {2}sha256:[0-9a-f]{64} {2}\d+ B/m);
  assert.match(text.stdout, /^Annotations:\n(?: {2}.*\n)*? {2}org\.opencontainers\.image\.revision: main@sha1:abc$/m);
  assert.match(text.stdout, /^ {2}team: platform$/m);

  const json = await ocipackHere(['inspect', `${store}:v1`, '--oci-layout', '-o', 'json']);
  const data = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.equal(data.raw, undefined);
  assert.equal((data.layers as unknown[]).length, 1);

  const bad = await ocipackHere(['inspect', `${store}:v1`, '--oci-layout', '--raw', '-o', 'json']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--raw prints the manifest bytes/);
});

test('pull from a layout: source, revision and digest lines; a pull over an existing output counts what it replaced and kept; --clean removes the rest', async () => {
  const { dir, src, store } = await fixture();
  await ocipackHere(['push', `${store}:v1`, '--oci-layout', '--path', src, ...META]);
  const out = join(dir, 'out');
  const first = await ocipackHere(['pull', `${store}:v1`, '--oci-layout', '--output', out]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /✔ source https:\/\/example\.com\/app\n✔ revision main@sha1:abc\n✔ digest sha256:[0-9a-f]{64}\n✔ artifact content extracted to .*out\n/);
  assert.equal(await readFile(join(out, 'app.yaml'), 'utf8'), CONFIGMAP);

  await writeFile(join(out, 'stray.txt'), 'x');
  const again = await ocipackHere(['pull', `${store}:v1`, '--oci-layout', '--output', out]);
  assert.match(again.stderr, /extracted to .*out \(files: 0 added, 1 replaced, 1 kept from before\)/);
  const clean = await ocipackHere(['pull', `${store}:v1`, '--oci-layout', '--output', out, '--clean']);
  assert.match(clean.stderr, /\(files: 0 added, 1 replaced, 1 removed\)/);

  const json = await ocipackHere(['pull', `${store}:v1`, '--oci-layout', '--output', join(dir, 'out2'), '--format', 'json']);
  const doc = JSON.parse(json.stdout) as { layer: { index: number }; operation: string; filesAdded: number; output: string };
  assert.deepEqual([doc.layer.index, doc.operation, doc.filesAdded], [0, 'extract', 1]);
});

test('a missing layout tag fails with exit 1 and one error line naming the command', async () => {
  const { src, store } = await fixture();
  await ocipackHere(['push', `${store}:v1`, '--oci-layout', '--path', src, ...META]);
  const r = await ocipackHere(['inspect', `${store}:nope`, '--oci-layout']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^✗ inspect failed: .*nope/m);
});
