/** list in-process on a layout (filters, cosign and referrer tags, a chart), and push's keyless-only flags refused without --sign-keyless. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../../helpers/cli.js';
import { ocipackHere } from '../../../helpers/inprocess.js';

const META = ['--reproducible', '--source', 'https://example.com/app', '--revision', 'main@sha1:abc'];

interface Row { tag: string; digest: string; source: string; revision: string; size?: number }

test('list on a layout: newest version first with source and revision; --filter-semver and --filter-regex narrow it; a table in text', async () => {
  const dir = await tempDir();
  const src = join(dir, 'src');
  await mkdir(src);
  const store = join(dir, 'store');
  for (const tag of ['1.0.0', '1.10.0', '1.2.0', '2.0.0-rc.1', 'latest', 'pr-7']) {
    await writeFile(join(src, 'a.yaml'), `tag: ${tag}\n`);
    assert.equal((await ocipackHere(['push', `${store}:${tag}`, '--oci-layout', '-f', src, ...META])).code, 0);
  }
  const all = await ocipackHere(['list', store, '--oci-layout', '-o', 'json']);
  assert.equal(all.code, 0, all.stderr);
  const rows = JSON.parse(all.stdout) as Row[];
  assert.deepEqual(rows.map((r) => r.tag).slice(0, 4), ['2.0.0-rc.1', '1.10.0', '1.2.0', '1.0.0']);
  assert.deepEqual(rows.map((r) => r.tag).slice(4).sort(), ['latest', 'pr-7']);
  assert.ok(rows.every((r) => r.source === 'https://example.com/app' && r.revision === 'main@sha1:abc' && (r.size ?? 0) > 0));

  const semver = JSON.parse((await ocipackHere(['list', store, '--oci-layout', '-o', 'json', '--filter-semver', '>=1.1.0 <2.0.0'])).stdout) as Row[];
  assert.deepEqual(semver.map((r) => r.tag), ['1.10.0', '1.2.0'], 'no prerelease unless the range names one');
  const regex = JSON.parse((await ocipackHere(['list', store, '--oci-layout', '-o', 'json', '--filter-regex', '^1\\.'])).stdout) as Row[];
  assert.deepEqual(regex.map((r) => r.tag), ['1.10.0', '1.2.0', '1.0.0']);
  const both = JSON.parse((await ocipackHere(['list', store, '--oci-layout', '-o', 'json', '--filter-semver', '>=1.0.0', '--filter-regex', '^1\\.0\\.'])).stdout) as Row[];
  assert.deepEqual(both.map((r) => r.tag), ['1.0.0']);

  const text = await ocipackHere(['list', store, '--oci-layout']);
  assert.match(text.stdout, /^REF NAME\s+DIGEST\s+SIZE\s+CHART\s+REVISION\n2\.0\.0-rc\.1\s/);
  assert.match(text.stdout, /^pr-7\s+sha256:[0-9a-f]{64}\s+\d+ B\s+main@sha1:abc$/m);
  const bad = await ocipackHere(['list', store, '--oci-layout', '--filter-semver', 'not a range']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--filter-semver/);
  const badRe = await ocipackHere(['list', store, '--oci-layout', '--filter-regex', '(']);
  assert.equal(badRe.code, 2);
  assert.match(badRe.stderr, /--filter-regex/);
});

test('push: keyless-only flags without --sign-keyless and --provenance without a signer are usage errors naming the flag', async () => {
  const dir = await tempDir();
  const src = join(dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'a.yaml'), 'a: 1\n');
  for (const [flag, value] of [['--fulcio-url', 'https://f.example'], ['--rekor-url', 'https://r.example'], ['--identity-token', 'x.y.z'], ['--signing-config', 'c.json']] as const) {
    const r = await ocipackHere(['push', `${join(dir, 'store')}:v1`, '--oci-layout', '-f', src, flag, value]);
    assert.equal(r.code, 2, `${flag}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${flag} needs --sign-keyless`));
    assert.doesNotMatch(r.stderr, /x\.y\.z/, 'a token is never printed');
  }
  const prov = await ocipackHere(['push', `${join(dir, 'store')}:v1`, '--oci-layout', '-f', src, '--provenance']);
  assert.equal(prov.code, 2, prov.stderr);
  assert.match(prov.stderr, /--provenance/);
});
