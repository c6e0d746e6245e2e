/** diff, promote, prune and mirror run in-process on OCI layout directories: their text, tables, machine output and exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../../helpers/cli.js';
import { ocipackHere } from '../../../helpers/inprocess.js';

const META = ['--reproducible', '--source', 'https://example.com/app', '--revision', 'main@sha1:abc'];
const cm = (name: string, a: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: prod\ndata:\n  a: "${a}"\n`;

/** A layout with v1 (one ConfigMap) and v2 (the ConfigMap changed, a second one added, a text file). */
async function twoVersions(): Promise<{ dir: string; v1: string; v2: string; store: string }> {
  const dir = await tempDir();
  const v1 = join(dir, 'v1');
  const v2 = join(dir, 'v2');
  await mkdir(v1);
  await mkdir(v2);
  await writeFile(join(v1, 'app.yaml'), cm('app', '1'));
  await writeFile(join(v2, 'app.yaml'), cm('app', '2'));
  await writeFile(join(v2, 'extra.yaml'), cm('extra', '1'));
  await writeFile(join(v2, 'notes.txt'), 'hello\n');
  const store = join(dir, 'store');
  for (const [src, tag] of [[v1, 'v1.0.0'], [v2, 'v2.0.0']] as const) {
    const r = await ocipackHere(['push', `${store}:${tag}`, '--oci-layout', '--path', src, ...META]);
    assert.equal(r.code, 0, r.stderr);
  }
  return { dir, v1, v2, store };
}

test('diff of an artifact with a directory: exit 0 and "no changes detected" when equal, exit 1 with one line per path when not', async () => {
  const { v1, v2, store } = await twoVersions();
  const same = await ocipackHere(['diff', `${store}:v1.0.0`, '--oci-layout', '--path', v1]);
  assert.equal(same.code, 0, same.stderr);
  assert.equal(same.stdout, '');
  assert.match(same.stderr, /✔ no changes detected/);

  const differ = await ocipackHere(['diff', `${store}:v1.0.0`, '--oci-layout', '--path', v2]);
  assert.equal(differ.code, 1, differ.stderr);
  assert.deepEqual(differ.stdout.trim().split('\n').sort(), ['added extra.yaml', 'added notes.txt', 'changed app.yaml']);
  assert.match(differ.stderr, /⚠ 3 path\(s\) differ between .*:v1\.0\.0 and .*v2/);

  const brief = await ocipackHere(['diff', `${store}:v1.0.0`, '--oci-layout', '--path', v2, '--brief']);
  assert.equal(brief.code, 1);
  assert.match(brief.stdout, /:v1\.0\.0 and .*v2 differ\n$/);

  const unified = await ocipackHere(['diff', `${store}:v1.0.0`, '--oci-layout', '--path', v2, '-u']);
  assert.match(unified.stdout, /^--- a\/app\.yaml\n\+\+\+ b\/app\.yaml\n@@ .* @@\n(?:.*\n)*-  a: "1"\n\+  a: "2"$/m);

  const json = await ocipackHere(['diff', `${store}:v1.0.0`, '--oci-layout', '--path', v2, '-o', 'json', '--brief']);
  const doc = JSON.parse(json.stdout) as { differ: boolean; changes: unknown[]; path: string; digest: string };
  assert.deepEqual([doc.differ, doc.changes, doc.path], [true, [], v2]);
});

test('diff of two artifacts with --kubernetes: objects first (changed with the field, added), then files no object accounts for', async () => {
  const { store } = await twoVersions();
  const r = await ocipackHere(['diff', `${store}:v1.0.0`, `${store}:v2.0.0`, '--oci-layout', '--kubernetes']);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['changed ConfigMap/prod/app: data.a', 'added ConfigMap/prod/extra', 'added notes.txt']);
  assert.match(r.stderr, /3 path\(s\) differ .*; 2 object change\(s\)/);

  const json = await ocipackHere(['diff', `${store}:v1.0.0`, `${store}:v2.0.0`, '--oci-layout', '--kubernetes', '-o', 'yaml']);
  assert.match(json.stdout, /^toReference: .*:v2\.0\.0$/m);
  assert.match(json.stdout, /^toDigest: sha256:[0-9a-f]{64}$/m);
  assert.match(json.stdout, /^objects:\n/m);

  const trouble = await ocipackHere(['diff', `${store}:v9`, '--oci-layout', '--path', store]);
  assert.equal(trouble.code, 2, 'trouble is exit 2 for diff, as for diff(1)');
  assert.match(trouble.stderr, /^✗ diff failed: /m);
});

test('promote between layouts: the integrity verdict, what was copied and the tag created; again: the tag already names it; --dry-run changes nothing', async () => {
  const { dir, store } = await twoVersions();
  const dest = join(dir, 'prod');
  const dry = await ocipackHere(['promote', `${store}:v1.0.0`, `${dest}:live`, '--from-oci-layout', '--to-oci-layout', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stderr, /✔ integrity: 1 manifest\(s\) and \d+ blob\(s\) \(.*\) match their digests/);
  assert.match(dry.stderr, /✔ dry run: would promote .*:v1\.0\.0@sha256:[0-9a-f]+ to .*prod:live \(\d+ to write, .*; 0 already there\); would create tag live; nothing changed/);

  const done = await ocipackHere(['promote', `${store}:v1.0.0`, `${dest}:live,stable`, '--from-oci-layout', '--to-oci-layout', '-o', 'json']);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /✔ promoted .* \(\d+ written, 0 skipped\); created tag live \(with stable\)/);
  const rec = JSON.parse(done.stdout) as { digest: string; tagged: { tags: string[] } };
  assert.deepEqual(rec.tagged.tags, ['live', 'stable']);

  const again = await ocipackHere(['promote', `${store}:v1.0.0`, `${dest}:live`, '--from-oci-layout', '--to-oci-layout']);
  assert.match(again.stderr, new RegExp(`tag live already names ${rec.digest}`));
  const move = await ocipackHere(['promote', `${store}:v2.0.0`, `${dest}:live`, '--from-oci-layout', '--to-oci-layout']);
  assert.match(move.stderr, new RegExp(`moved tag live from ${rec.digest}`));

  const unsigned = await ocipackHere(['promote', `${store}:v1.0.0`, `${dest}:signed`, '--from-oci-layout', '--to-oci-layout', '--key', join(dir, 'none.pub')]);
  assert.notEqual(unsigned.code, 0);
  const listed = await ocipackHere(['list', dest, '--oci-layout', '-o', 'json']);
  assert.doesNotMatch(listed.stdout, /"signed"/, 'nothing is tagged when the gate refuses');
});

test('prune on a layout: the plan table (keep / delete and why), a dry run by default, --yes deletes; --yes with --dry-run and a bad duration are usage errors', async () => {
  const { store } = await twoVersions();
  const plan = await ocipackHere(['prune', store, '--oci-layout', '--keep-semver', '1']);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout + plan.stderr, /^keep\s+v2\.0\.0\s+sha256:[0-9a-f]{64}\s+among the 1 highest versions$/m);
  assert.match(plan.stdout + plan.stderr, /^delete\s+v1\.0\.0\s+sha256:[0-9a-f]{64}\s+not among the 1 highest versions$/m);
  assert.match(plan.stderr, /✔ dry run: would delete 1 manifest\(s\) with 1 tag\(s\) and 0 attached manifest\(s\); 1 tag\(s\) kept; nothing changed \(add --yes to delete\)/);

  const json = await ocipackHere(['prune', store, '--oci-layout', '--keep-semver', '1', '-o', 'json']);
  const p = JSON.parse(json.stdout) as { kept: { tag: string }[]; deleted: { tags: { tag: string }[] }[] };
  assert.deepEqual(p.kept.map((k) => k.tag), ['v2.0.0']);
  assert.deepEqual(p.deleted.flatMap((d) => d.tags.map((t) => t.tag)), ['v1.0.0']);

  assert.equal((await ocipackHere(['prune', store, '--oci-layout', '--yes', '--dry-run'])).code, 2);
  const bad = await ocipackHere(['prune', store, '--oci-layout', '--keep-newer-than', '3 weeks']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--keep-newer-than: /);

  const yes = await ocipackHere(['prune', store, '--oci-layout', '--keep-semver', '1', '--yes']);
  assert.equal(yes.code, 0, yes.stderr);
  assert.match(yes.stderr, /✔ deleted 1 manifest\(s\) with 1 tag\(s\) .* \(1 manifest\(s\) deleted by this run\)/);
  const listed = await ocipackHere(['list', store, '--oci-layout', '-o', 'json']);
  assert.doesNotMatch(listed.stdout, /v1\.0\.0/);
});

test('mirror between layouts: a table per entry, --dry-run counts what it would copy, a second run skips; a missing source fails the entry with exit 1', async () => {
  const { dir, store } = await twoVersions();
  const file = join(dir, 'mirror.yaml');
  await writeFile(file, `- source: ./store\n  destination: ./copy\n  semver: ">=1.0.0"\n`);
  const dry = await ocipackHere(['mirror', file, '--dry-run', '-o', 'json']);
  assert.equal(dry.code, 0, dry.stderr);
  const records = JSON.parse(dry.stdout) as { tag: string; status: string }[];
  assert.deepEqual(records.map((r) => `${r.tag} ${r.status}`).sort(), ['v1.0.0 would-copy', 'v2.0.0 would-copy']);
  assert.match(dry.stderr, /^ENTRY\s+TO COPY\s+SKIPPED\s+FAILED\s+BYTES\n\.\/store → \.\/copy\s+2\s+0\s+0\s+\d/m);
  assert.match(dry.stderr, /✔ dry run: would copy 2 tag\(s\), 0 already there; nothing changed/);

  const done = await ocipackHere(['mirror', file]);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /✔ mirrored 2 tag\(s\), 0 already there/);
  const again = await ocipackHere(['mirror', file]);
  assert.match(again.stderr, /✔ mirrored 0 tag\(s\), 2 already there/);

  await writeFile(file, `- source: ./missing\n  destination: ./copy2\n`);
  const failed = await ocipackHere(['mirror', file]);
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /✗ mirror failed for 1 of 1: .*missing → .*copy2 \(the whole entry\)/);
  assert.match(failed.stderr, /^\.\/missing → \.\/copy2\s+0\s+0\s+entry\s+0 B$/m);
  void store;
});
