/** push and pull options run in-process on layouts: several sources, ignores, an empty tree, a chart, secrets refused, layer choice and copy, semver pull, flag clashes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../../helpers/cli.js';
import { ocipackHere } from '../../../helpers/inprocess.js';

const META = ['--reproducible', '--source', 'https://example.com/app', '--revision', 'main@sha1:abc'];

async function tree(files: Record<string, string>): Promise<{ dir: string; src: string; store: string }> {
  const dir = await tempDir();
  const src = join(dir, 'src');
  for (const [name, body] of Object.entries(files)) {
    await mkdir(join(src, name, '..'), { recursive: true });
    await writeFile(join(src, name), body);
  }
  await mkdir(src, { recursive: true });
  return { dir, src, store: join(dir, 'store') };
}

async function pulledFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

test('push: several sources placed in the artifact, ignores replaced and extended, annotations; pull gets exactly that tree', async () => {
  const { dir, src, store } = await tree({ 'a.yaml': 'a: 1\n', 'skip.log': 'x', 'sub/b.yaml': 'b: 1\n', 'sub/c.tmp': 'c' });
  const extra = join(dir, 'extra.yaml');
  await writeFile(extra, 'e: 1\n');
  const r = await ocipackHere(['push', `${store}:v1`, '--oci-layout', '-f', src, '-f', `${extra}=more/extra.yaml`, '--add-ignore-paths', '*.log,*.tmp', '-a', 'team=x', ...META]);
  assert.equal(r.code, 0, r.stderr);
  const out = join(dir, 'out');
  assert.equal((await ocipackHere(['pull', `${store}:v1`, '--oci-layout', '-o', out])).code, 0);
  assert.deepEqual(await pulledFiles(out), ['a.yaml', 'more', 'more/extra.yaml', 'sub', 'sub/b.yaml']);

  const replaced = await ocipackHere(['push', `${store}:v2`, '--oci-layout', '-f', src, '--ignore-paths', 'sub/', ...META]);
  assert.equal(replaced.code, 0, replaced.stderr);
  const out2 = join(dir, 'out2');
  await ocipackHere(['pull', `${store}:v2`, '--oci-layout', '-o', out2]);
  assert.deepEqual(await pulledFiles(out2), ['a.yaml', 'skip.log'], 'the default ignores are replaced, not extended');
});

test('push: an empty tree is refused (exit 2, hint) unless --allow-empty; a plaintext Secret is refused unless --allow-secrets', async () => {
  const { dir, store } = await tree({});
  const empty = join(dir, 'empty');
  await mkdir(empty);
  const refused = await ocipackHere(['push', `${store}:v1`, '--oci-layout', '-f', empty, ...META]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /--allow-empty/);
  assert.equal((await ocipackHere(['push', `${store}:v1`, '--oci-layout', '-f', empty, '--allow-empty', ...META])).code, 0);

  const secret = join(dir, 'secret');
  await mkdir(secret);
  await writeFile(join(secret, 's.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\n');
  const noSecret = await ocipackHere(['push', `${store}:s`, '--oci-layout', '-f', secret, ...META]);
  assert.equal(noSecret.code, 2, noSecret.stderr);
  assert.match(noSecret.stderr, /s\.yaml/);
  assert.doesNotMatch(noSecret.stderr, /hunter2/);
  assert.equal((await ocipackHere(['push', `${store}:s`, '--oci-layout', '-f', secret, '--allow-secrets', ...META])).code, 0);
});

test('push flag clashes are usage errors before any work', async () => {
  const { src, store } = await tree({ 'a.yaml': 'a: 1\n' });
  const table: Array<[string[], RegExp]> = [
    [['--signature-format', 'legacy'], /--signature-format needs --sign-key/],
    [['--chart', src], /--chart and --path cannot be used together/],
    [['-o', 'xml'], /invalid output format "xml"/],
  ];
  for (const [flags, want] of table) {
    const r = await ocipackHere(['push', `${store}:v1`, '--oci-layout', '-f', src, ...flags]);
    assert.equal(r.code, 2, flags.join(' '));
    assert.match(r.stderr, want);
  }
  const chartOnly = await ocipackHere(['push', store, '--oci-layout', '--chart', src, '--source', 'x', '--allow-empty']);
  assert.equal(chartOnly.code, 2);
  assert.match(chartOnly.stderr, /--allow-empty, --source cannot be used with --chart/);
});

test('push --chart: the chart at <repository>/<name>:<version>; pull names the chart and inspect shows it', async () => {
  const { dir, store } = await tree({});
  const chart = join(dir, 'mychart');
  await mkdir(join(chart, 'templates'), { recursive: true });
  await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: mychart\nversion: 1.2.3\nappVersion: "4.5"\n');
  await writeFile(join(chart, 'values.yaml'), 'replicas: 1\n');
  await writeFile(join(chart, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
  const r = await ocipackHere(['push', store, '--oci-layout', '--chart', chart, '--reproducible', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { tag: string; chart: { name: string; version: string }; repository: string };
  assert.deepEqual([doc.tag, doc.chart.name, doc.chart.version], ['1.2.3', 'mychart', '1.2.3']);
  assert.match(r.stderr, /✔ chart mychart 1\.2\.3 successfully pushed to /);
  const ins = await ocipackHere(['inspect', `${doc.repository}:1.2.3`, '--oci-layout']);
  assert.match(ins.stdout, /^Chart: {9}mychart 1\.2\.3 \(app 4\.5\)$/m);
  assert.match(ins.stdout, /^Config: {8}application\/vnd\.cncf\.helm\.config\.v1\+json sha256:/m);
  const pulled = await ocipackHere(['pull', `${doc.repository}:1.2.3`, '--oci-layout', '-o', join(dir, 'out')]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stderr, /✔ chart mychart 1\.2\.3 \(app 4\.5\)/);
});

test('pull: the highest tag in a semver range of a layout; a layer by index or media type, copied as a file; bad choices fail', async () => {
  const { dir, src, store } = await tree({ 'a.yaml': 'a: 1\n' });
  for (const v of ['1.0.0', '1.2.0', '2.0.0']) {
    await writeFile(join(src, 'a.yaml'), `a: ${v}\n`);
    assert.equal((await ocipackHere(['push', `${store}:${v}`, '--oci-layout', '-f', src, ...META])).code, 0);
  }
  const out = join(dir, 'semver');
  const r = await ocipackHere(['pull', store, '--oci-layout', '--semver', '>=1.0.0 <2.0.0', '-o', out, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { tag: string }).tag, '1.2.0');
  assert.equal(await readFile(join(out, 'a.yaml'), 'utf8'), 'a: 1.2.0\n');

  const copy = join(dir, 'copy');
  const c = await ocipackHere(['pull', `${store}:1.0.0`, '--oci-layout', '--layer', '0', '--layer-operation', 'copy', '-o', copy, '--format', 'json']);
  assert.equal(c.code, 0, c.stderr);
  const doc = JSON.parse(c.stdout) as { operation: string; files: string[] };
  assert.equal(doc.operation, 'copy');
  assert.equal(doc.files.length, 1);
  assert.match(c.stderr, /✔ 1 file\(s\) written to /);

  const byType = await ocipackHere(['pull', `${store}:1.0.0`, '--oci-layout', '--media-type', 'application/vnd.cncf.flux.content.v1.tar+gzip', '-o', join(dir, 'bytype')]);
  assert.equal(byType.code, 0, byType.stderr);
  const noType = await ocipackHere(['pull', `${store}:1.0.0`, '--oci-layout', '--media-type', 'text/nothing', '-o', join(dir, 'none')]);
  assert.notEqual(noType.code, 0);
  assert.match(noType.stderr, /text\/nothing/);
  const noLayer = await ocipackHere(['pull', `${store}:1.0.0`, '--oci-layout', '--layer', '5', '-o', join(dir, 'none')]);
  assert.notEqual(noLayer.code, 0);
  const noVersion = await ocipackHere(['pull', store, '--oci-layout', '--semver', '>=9', '-o', join(dir, 'none')]);
  assert.notEqual(noVersion.code, 0);
  assert.match(noVersion.stderr, />=9/);
});
