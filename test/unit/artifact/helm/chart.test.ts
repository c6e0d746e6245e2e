import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import { chartSummary, isChartVersion, parseChartYaml, sanitize } from '../../../../src/artifact/helm/chart.js';
import { chartAnnotations, chartConfig, chartTag, goJson, helmManifest } from '../../../../src/artifact/helm/oci.js';
import { HelmIgnore, globRegex, parseHelmignore } from '../../../../src/artifact/helm/ignore.js';
import { helmOrder, packageChartDir, readChartArchive } from '../../../../src/artifact/helm/pack.js';
import { readTar } from '../../../../src/artifact/tar/read.js';
import { OcipackError } from '../../../../src/core/errors.js';

const MINIMAL = 'apiVersion: v2\nname: demo\nversion: 1.2.3\n';

test('Chart.yaml: the fields Helm reads, with Go yaml coercions', () => {
  const md = parseChartYaml(`apiVersion: v2
name: demo
description: |
  A demo
  chart
version: 1.2.3+build.5
appVersion: 1.10
kubeVersion: ">=1.22"
type: application
keywords: [a, b]
home: https://example.com
sources: [https://github.com/example/demo]
maintainers:
  - name: Ann
    email: ann@example.com
  - name: Bob
icon: https://example.com/icon.png
deprecated: yes
annotations:
  category: Tools
  created-on: 2024-01-02
dependencies:
  - name: redis
    version: ~17.0.0
    repository: oci://registry-1.docker.io/bitnamicharts
    condition: redis.enabled
    alias: cache
    import-values: [data]
extra-field: ignored
`);
  assert.equal(md.name, 'demo');
  assert.equal(md.version, '1.2.3+build.5');
  assert.equal(md.description, 'A demo chart '); // newlines become spaces (sanitizeString)
  assert.equal(md.appVersion, '1.1'); // unquoted YAML float, as Helm reads it
  assert.equal(md.deprecated, true); // YAML 1.1 `yes`
  assert.deepEqual(md.annotations, { category: 'Tools', 'created-on': '2024-01-02' }); // timestamps stay strings
  assert.deepEqual(md.keywords, ['a', 'b']);
  assert.deepEqual(md.maintainers, [{ name: 'Ann', email: 'ann@example.com' }, { name: 'Bob' }]);
  assert.deepEqual(md.dependencies, [{
    name: 'redis', version: '~17.0.0', repository: 'oci://registry-1.docker.io/bitnamicharts',
    condition: 'redis.enabled', alias: 'cache', importValues: ['data'],
  }]);
  assert.equal(md.type, 'application');
  assert.equal(Object.hasOwn(md, 'extra-field'), false);
});

test('Chart.yaml: a missing apiVersion means a Helm 2 (v1) chart, as Helm loads it', () => {
  assert.equal(parseChartYaml('name: old\nversion: 0.1.0\n').apiVersion, 'v1');
});

/** [Chart.yaml text, substring of the BAD_INPUT message] */
const BAD: Array<[string, string]> = [
  ['apiVersion: v2\nversion: 1.0.0\n', 'name is required'],
  ['apiVersion: v2\nname: x\n', 'version is required'],
  ['apiVersion: v2\nname: ""\nversion: 1.0.0\n', 'name is required'],
  ['apiVersion: v2\nname: a/b\nversion: 1.0.0\n', 'name "a/b" is invalid'],
  ['apiVersion: v2\nname: ..\nversion: 1.0.0\n', 'name ".." is invalid'],
  ['apiVersion: v2\nname: x\nversion: one\n', 'version "one" is not a valid semantic version'],
  ['apiVersion: v2\nname: x\nversion: 1.0.0-01\n', 'is not a valid semantic version'],
  ['apiVersion: v2\nname: x\nversion: 1.0.0\ntype: plugin\n', 'type must be application or library'],
  ['name: [x\nversion: 1', 'not valid YAML'],
  ['name: x\nname: y\nversion: 1.0.0\n', 'not valid YAML'],
  ['\tname: x', 'not valid YAML'],
  ['', 'is empty'],
  ['# only a comment\n', 'is empty'],
  ['- a\n- b\n', 'must be a mapping'],
  ['just a string', 'must be a mapping'],
  ['apiVersion: v2\nname: {a: 1}\nversion: 1.0.0\n', 'name must be a string'],
  ['apiVersion: v2\nname: x\nversion: 1.0.0\nkeywords: a\n', 'keywords must be a list'],
  ['apiVersion: v2\nname: x\nversion: 1.0.0\nmaintainers: [~]\n', 'maintainers must not contain empty'],
  ['apiVersion: v2\nname: x\nversion: 1.0.0\ndeprecated: "true"\n', 'deprecated must be true or false'],
  ['apiVersion: v2\nname: x\nversion: 1.0.0\nannotations: [a]\n', 'annotations must be a mapping'],
  ['apiVersion: v2\nname: x\nversion: 1.0.0\ndependencies:\n  - {name: a, repository: r, alias: "b c"}\n', 'disallowed characters in the alias'],
  ['apiVersion: v2\nname: x\nversion: 1.0.0\ndependencies:\n  - {name: a, repository: r}\n  - {name: a, repository: s}\n', 'more than one dependency with name or alias "a"'],
];

for (const [text, message] of BAD) {
  test(`Chart.yaml rejected: ${JSON.stringify(text).slice(0, 60)}`, () => {
    assert.throws(() => parseChartYaml(text), (err: unknown) => {
      assert.ok(err instanceof OcipackError);
      assert.equal(err.code, 'BAD_INPUT');
      assert.match(err.message, new RegExp(escapeRe(message)));
      assert.match(err.message, /^Chart\.yaml/);
      assert.ok(!err.message.includes('\n'), 'one-line message');
      return true;
    });
  });
}

test('chart versions: what Masterminds/semver NewVersion accepts', () => {
  for (const v of ['1.2.3', 'v1.2.3', '1.2', '1', '1.0.0-rc.1', '1.0.0+build.7', '0.0.0-0', '1.0.0-alpha-1']) assert.ok(isChartVersion(v), v);
  for (const v of ['', 'x', '1.2.3.4', '1.0.0-', '1.0.0+', '1.0.0-01', ' 1.0.0', '1.0.0_1']) assert.ok(!isChartVersion(v), v);
});

test('sanitize: spaces normalised, control characters dropped (Go sanitizeString)', () => {
  assert.equal(sanitize('a\tb\nc\u00a0d\u0007e'), 'a b c de');
  assert.equal(sanitize('日本語 ✓'), '日本語 ✓');
});

test('config JSON: Helm metadata in Go struct order with omitempty and HTML escapes', () => {
  const md = parseChartYaml(`apiVersion: v2
name: demo
version: 1.0.0+x
description: "<b>&</b>"
appVersion: "2.0"
type: application
annotations: {z: "1", a: "2"}
maintainers: [{name: Ann, url: "https://a"}]
dependencies: [{name: dep, repository: ""}]
`);
  const config = chartConfig(md);
  assert.equal(config.descriptor.mediaType, 'application/vnd.cncf.helm.config.v1+json');
  assert.equal(config.bytes.toString(),
    '{"name":"demo","version":"1.0.0+x","description":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e",' +
    '"maintainers":[{"name":"Ann","url":"https://a"}],"apiVersion":"v2","appVersion":"2.0",' +
    '"annotations":{"a":"2","z":"1"},"dependencies":[{"name":"dep","repository":""}],"type":"application"}');
  assert.equal(config.descriptor.digest, `sha256:${createHash('sha256').update(config.bytes).digest('hex')}`);
  assert.equal(config.descriptor.size, config.bytes.length);
  assert.deepEqual(chartSummary(config.bytes), { name: 'demo', version: '1.0.0+x', appVersion: '2.0', apiVersion: 'v2', type: 'application', description: '<b>&</b>' });
  assert.equal(chartSummary(Buffer.from('{"architecture":""}')), undefined);
  assert.equal(chartSummary(Buffer.from('not json')), undefined);
});

test('goJson: map keys sorted, U+2028 escaped, like encoding/json', () => {
  assert.equal(goJson({ b: 1, a: ['x\u2028'] }).toString(), '{"a":["x\\u2028"],"b":1}');
});

test('annotations: the ones helm push adds; chart annotations may not override title or version', () => {
  const md = parseChartYaml(`apiVersion: v2
name: demo
version: 1.0.0
description: Demo
home: https://home
sources: [https://src/1, https://src/2]
maintainers: [{name: Ann, email: a@x}, {name: Bob}]
annotations:
  org.opencontainers.image.title: hijack
  org.opencontainers.image.version: "9"
  custom: yes
`);
  assert.deepEqual(chartAnnotations(md, '2024-01-02T03:04:05Z'), {
    'org.opencontainers.image.description': 'Demo',
    'org.opencontainers.image.title': 'demo',
    'org.opencontainers.image.version': '1.0.0',
    'org.opencontainers.image.url': 'https://home',
    'org.opencontainers.image.created': '2024-01-02T03:04:05Z',
    'org.opencontainers.image.source': 'https://src/1',
    'org.opencontainers.image.authors': 'Ann (a@x), Bob',
    custom: 'true',
  });
  assert.deepEqual(Object.keys(chartAnnotations(parseChartYaml(MINIMAL), 'T')), [
    'org.opencontainers.image.title', 'org.opencontainers.image.version', 'org.opencontainers.image.created',
  ]);
});

test('manifest: no mediaType field, layers sorted by digest, annotations sorted', () => {
  const config = { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: 'sha256:cc', size: 10 };
  const chart = { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: 'sha256:bb', size: 20 };
  const prov = { mediaType: 'application/vnd.cncf.helm.chart.provenance.v1.prov', digest: 'sha256:aa', size: 5 };
  const m = helmManifest(config, [chart, prov], { 'org.opencontainers.image.version': '1', 'org.opencontainers.image.created': 'T' });
  assert.equal(m.bytes.toString(),
    '{"schemaVersion":2,"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"sha256:cc","size":10},' +
    '"layers":[{"mediaType":"application/vnd.cncf.helm.chart.provenance.v1.prov","digest":"sha256:aa","size":5},' +
    '{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"sha256:bb","size":20}],' +
    '"annotations":{"org.opencontainers.image.created":"T","org.opencontainers.image.version":"1"}}');
  assert.equal(m.descriptor.mediaType, 'application/vnd.oci.image.manifest.v1+json');
});

test('tags: + is written as _', () => {
  assert.equal(chartTag('1.2.3+build.1'), '1.2.3_build.1');
  assert.equal(chartTag('1.2.3'), '1.2.3');
});

/** [.helmignore text, path, isDir, ignored?] — Helm's pkg/ignore semantics (not gitignore). */
const IGNORE: Array<[string, string, boolean, boolean]> = [
  ['*.txt', 'a.txt', false, true],
  ['*.txt', 'dir/a.txt', false, true], // no '/': base name at any depth
  ['*.txt', 'a.txt.bak', false, false],
  ['docs/*.md', 'docs/a.md', false, true],
  ['docs/*.md', 'x/docs/a.md', false, false], // with '/': whole relative path
  ['/root.md', 'root.md', false, true],
  ['/root.md', 'sub/root.md', false, false],
  ['build/', 'build', true, true],
  ['build/', 'build', false, false],
  ['a?c', 'abc', false, true],
  ['a?c', 'a/c', false, false],
  ['[a-c]x', 'bx', false, true],
  ['[^a-c]x', 'dx', false, true],
  ['[^a-c]x', 'ax', false, false],
  ['\\*x', '*x', false, true],
  ['\\*x', 'ax', false, false],
  ['  *.swp  ', 'x.swp', false, true], // lines are trimmed
  ['# *.md', 'a.md', false, false],
  ['', 'templates/.hidden', false, true], // Helm's default rule
  ['', 'templates/ok.yaml', false, false],
  ['', '.hidden', false, false],
  // Helm's negation: a '!' rule ignores everything it does NOT match
  ['!keep.txt', 'keep.txt', false, false],
  ['!keep.txt', 'other.txt', false, true],
  ['*.txt\n!keep.txt', 'keep.txt', false, true], // first decisive rule wins
  ['!*.yaml\n*.yaml', 'a.yaml', false, true],
  ['!dir/', 'file', false, true],
  ['.*', '.git', true, true],
  ['.*', '.', true, false], // the root is never ignored
];

for (const [rules, p, isDir, want] of IGNORE) {
  test(`.helmignore ${JSON.stringify(rules)} ${p}${isDir ? '/' : ''} → ${want ? 'ignored' : 'kept'}`, () => {
    assert.equal(new HelmIgnore(parseHelmignore(rules)).ignores(p, isDir), want);
  });
}

test('.helmignore: ** and malformed globs are BAD_INPUT naming the line', () => {
  for (const [text, why] of [['ok\n**/x', 'double-star'], ['[abc', 'malformed'], ['a\\', 'trailing backslash'], ['[]a]', 'malformed'], ['[a-]', 'malformed']] as const) {
    assert.throws(() => parseHelmignore(text), (err: unknown) => err instanceof OcipackError && err.code === 'BAD_INPUT' && err.message.includes(why) && err.message.startsWith('.helmignore:'), text);
  }
  assert.ok(globRegex('[z-a]').test('z') === false); // Go accepts an inverted range that matches nothing
});

test('helmOrder: Chart.yaml, Chart.lock, values, schema, templates, the rest, charts/ last', () => {
  const paths = ['LICENSE', 'charts/sub-1.0.0.tgz', 'README.md', 'templates/a.yaml', 'values.yaml', 'Chart.yaml', 'values.schema.json', 'Chart.lock', 'crds/x.yaml'];
  assert.deepEqual(helmOrder(paths.map((p) => ({ path: p }))).map((e) => e.path), [
    'Chart.yaml', 'Chart.lock', 'values.yaml', 'values.schema.json', 'templates/a.yaml', 'LICENSE', 'README.md', 'crds/x.yaml', 'charts/sub-1.0.0.tgz',
  ]);
});

async function chartDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-chart-'));
  await writeFile(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\nappVersion: "1.0"\n');
  await writeFile(join(dir, 'values.yaml'), 'replicas: 1\n');
  await writeFile(join(dir, '.helmignore'), '*.tmp\nsecret/\n');
  await mkdir(join(dir, 'templates'));
  await writeFile(join(dir, 'templates', 'deploy.yaml'), 'kind: Deployment\n', { mode: 0o755 });
  await writeFile(join(dir, 'templates', '.hidden'), 'x');
  await writeFile(join(dir, 'notes.tmp'), 'x');
  await mkdir(join(dir, 'secret'));
  await writeFile(join(dir, 'secret', 'key'), 'x');
  await mkdir(join(dir, 'empty'));
  await symlink('values.yaml', join(dir, 'values-link.yaml'));
  return dir;
}

async function entriesOf(file: string): Promise<Array<{ path: string; kind: string; mode: number }>> {
  const out: Array<{ path: string; kind: string; mode: number }> = [];
  await readTar(createReadStream(file), (item) => {
    out.push({ path: item.path, kind: item.kind, mode: item.mode });
    return undefined;
  });
  return out;
}

test('packageChartDir: files only, under <name>/, mode 0644, .helmignore honoured, deterministic', async () => {
  const dir = await chartDir();
  const out = await mkdtemp(join(tmpdir(), 'ocipack-chart-out-'));
  try {
    const a = await packageChartDir(dir, join(out, 'a.tgz'));
    const b = await packageChartDir(dir, join(out, 'b.tgz'));
    assert.equal(a.meta.name, 'demo');
    assert.equal(a.packed.digest, b.packed.digest);
    assert.deepEqual(await readFile(join(out, 'a.tgz')), await readFile(join(out, 'b.tgz')));
    assert.deepEqual(await entriesOf(join(out, 'a.tgz')), [
      { path: 'demo/Chart.yaml', kind: 'file', mode: 0o644 },
      { path: 'demo/values.yaml', kind: 'file', mode: 0o644 },
      { path: 'demo/templates/deploy.yaml', kind: 'file', mode: 0o644 },
      { path: 'demo/.helmignore', kind: 'file', mode: 0o644 },
      { path: 'demo/values-link.yaml', kind: 'file', mode: 0o644 },
    ]);
    const archive = await readChartArchive(join(out, 'a.tgz'));
    assert.equal(archive.topDir, 'demo');
    assert.equal(archive.meta.appVersion, '1.0');
    assert.equal(archive.provenance, undefined);
    await writeFile(join(out, 'a.tgz.prov'), 'signed');
    assert.equal((await readChartArchive(join(out, 'a.tgz'))).provenance?.toString(), 'signed');
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  }
});

test('packageChartDir / readChartArchive: bad charts are BAD_INPUT', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-chart-bad-'));
  const isBad = (re: RegExp) => (err: unknown) => err instanceof OcipackError && err.code === 'BAD_INPUT' && re.test(err.message);
  try {
    await assert.rejects(packageChartDir(dir, join(dir, 'x.tgz')), isBad(/has no Chart\.yaml/));
    await writeFile(join(dir, 'Chart.yaml'), MINIMAL);
    await writeFile(join(dir, 'values.yaml'), 'a: [1\n');
    await assert.rejects(packageChartDir(dir, join(dir, '..', 'x.tgz')), isBad(/values\.yaml is not valid YAML/));
    await writeFile(join(dir, 'values.yaml'), 'a: 1\n');
    await writeFile(join(dir, '.helmignore'), 'Chart.yaml\n');
    await assert.rejects(packageChartDir(dir, join(dir, '..', 'x.tgz')), isBad(/must not exclude Chart\.yaml/));
    await writeFile(join(dir, 'plain.tgz'), 'not gzip');
    await assert.rejects(readChartArchive(join(dir, 'plain.tgz')), isBad(/not a gzip-compressed chart archive/));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
