/**
 * Helm charts against the real registry: a chart laid out exactly as `helm push` writes it (built
 * here by hand with GNU tar and literal JSON, pushed by skopeo) pulls into `<out>/<name>/`, `--semver`
 * reads Helm's `_` tags, inspect shows chart metadata and the provenance layer, and `push --chart`
 * writes the manifest, config and tag Helm would. There is no helm binary on these machines (Debian
 * has no package), so Helm's format is spelled out from helm.sh/helm/v3 pkg/registry.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { digestOf, HandLayout, skopeoPush } from '../helpers/handlayout.js';

const exec = promisify(execFile);
let reg: Awaited<ReturnType<typeof startRegistry>>;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
});
after(async () => {
  await reg?.stop();
});

const CHART_YAML = 'apiVersion: v2\nname: podinfo\ndescription: Podinfo Helm chart\nversion: VERSION\nappVersion: "6.5.0"\ntype: application\n';
const FILES: Record<string, string> = {
  'values.yaml': 'replicaCount: 1\n',
  'templates/deployment.yaml': 'kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n',
  'templates/_helpers.tpl': '{{- define "x" -}}x{{- end -}}\n',
  'README.md': '# podinfo\n',
};

/** A chart directory `<parent>/podinfo` with the given version. */
async function chartDir(version: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = join(await tempDir(), 'podinfo');
  for (const [p, body] of Object.entries({ 'Chart.yaml': CHART_YAML.replace('VERSION', version), ...FILES, ...extra })) {
    await mkdir(join(dir, p, '..'), { recursive: true });
    await writeFile(join(dir, p), body);
  }
  return dir;
}

/** `helm package`-like .tgz made with GNU tar: files only, under `podinfo/`. */
async function gnuTarChart(dir: string, out: string): Promise<Buffer> {
  const parent = join(dir, '..');
  const files = ['Chart.yaml', ...Object.keys(FILES)].map((f) => `podinfo/${f}`);
  await exec('tar', ['-czf', out, '-C', parent, '--no-recursion', '--owner=0', '--group=0', ...files]);
  return readFile(out);
}

/** The config JSON Helm writes for CHART_YAML (json.Marshal of chart.Metadata: field order, omitempty). */
function helmConfig(version: string): string {
  return `{"name":"podinfo","version":"${version}","description":"Podinfo Helm chart","apiVersion":"v2","appVersion":"6.5.0","type":"application"}`;
}

/** The artifact as helm push lays it out, built by hand and pushed with skopeo. */
async function pushLikeHelm(version: string, opts: { prov?: string; legacy?: boolean } = {}): Promise<{ digest: string; chartDir: string }> {
  const dir = await chartDir(version);
  const tgz = await gnuTarChart(dir, join(dir, '..', 'podinfo.tgz'));
  const layout = new HandLayout(join(await tempDir(), 'layout'));
  const config = await layout.blob('application/vnd.cncf.helm.config.v1+json', helmConfig(version));
  const layers = [await layout.blob(opts.legacy ? 'application/tar+gzip' : 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', tgz)];
  if (opts.prov) layers.push(await layout.blob('application/vnd.cncf.helm.chart.provenance.v1.prov', opts.prov));
  layers.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  const tag = version.replace(/\+/g, '_');
  const m = await layout.manifest('application/vnd.oci.image.manifest.v1+json', {
    schemaVersion: 2, config, layers,
    annotations: { 'org.opencontainers.image.created': '2024-05-01T10:00:00Z', 'org.opencontainers.image.description': 'Podinfo Helm chart', 'org.opencontainers.image.title': 'podinfo', 'org.opencontainers.image.version': version },
  }, tag);
  await layout.save();
  await skopeoPush(layout.dir, tag, `${reg.host}/charts/podinfo:${tag}`);
  return { digest: m.digest, chartDir: dir };
}

/** Relative path → content of every file below `root`. */
async function tree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(d: string, rel: string): Promise<void> {
    for (const name of (await readdir(d)).sort()) {
      const abs = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if ((await stat(abs)).isDirectory()) await walk(abs, r);
      else out[r] = await readFile(abs, 'utf8');
    }
  }
  await walk(root, '');
  return out;
}

test('a chart pushed the way helm push does pulls into <out>/<chart name>/, provenance left out', async () => {
  const { digest, chartDir: dir } = await pushLikeHelm('1.0.0', { prov: '-----BEGIN PGP SIGNED MESSAGE-----\n' });
  const out = join(await tempDir(), 'out');
  const r = await ocipack(['pull', `oci://${reg.host}/charts/podinfo:1.0.0`, '-o', out, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { digest: string; chart: { name: string; version: string; appVersion: string; provenance?: { digest: string } } };
  assert.equal(j.digest, digest);
  assert.equal(j.chart.name, 'podinfo');
  assert.equal(j.chart.version, '1.0.0');
  assert.equal(j.chart.appVersion, '6.5.0');
  assert.match(r.stderr, /✔ chart podinfo 1\.0\.0 \(app 6\.5\.0\)/);
  assert.deepEqual(await readdir(out), ['podinfo']);
  assert.deepEqual(await tree(join(out, 'podinfo')), await tree(dir));
});

test('the legacy application/tar+gzip chart layer pulls too', async () => {
  await pushLikeHelm('0.9.0', { legacy: true });
  const out = join(await tempDir(), 'out');
  const r = await ocipack(['pull', `${reg.host}/charts/podinfo:0.9.0`, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(join(out, 'podinfo', 'values.yaml'), 'utf8'), 'replicaCount: 1\n');
});

test('--semver reads Helm tags where + was written as _', async () => {
  await pushLikeHelm('1.1.0+build.7');
  await pushLikeHelm('1.2.0-rc.1');
  const out = join(await tempDir(), 'out');
  const r = await ocipack(['pull', `oci://${reg.host}/charts/podinfo`, '--semver', '>=1.0.0 <2.0.0', '-o', out, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { tag: string; chart: { version: string } };
  assert.equal(j.tag, '1.1.0_build.7');
  assert.equal(j.chart.version, '1.1.0+build.7');
  assert.match(await readFile(join(out, 'podinfo', 'Chart.yaml'), 'utf8'), /version: 1\.1\.0\+build\.7/);
  const rc = await ocipack(['pull', `oci://${reg.host}/charts/podinfo`, '--semver', '1.2.0-rc.1', '-o', join(await tempDir(), 'rc'), '--format', 'json']);
  assert.equal(rc.code, 0, rc.stderr);
  assert.equal((JSON.parse(rc.stdout) as { tag: string }).tag, '1.2.0-rc.1');
});

test('inspect shows the chart name, version, appVersion and the provenance layer', async () => {
  await pushLikeHelm('2.0.0', { prov: 'provenance\n' });
  const r = await ocipack(['inspect', `oci://${reg.host}/charts/podinfo:2.0.0`, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { chart: { name: string; version: string; appVersion: string; provenance: { digest: string; size: number } }; layers: { mediaType: string }[] };
  assert.equal(j.chart.name, 'podinfo');
  assert.equal(j.chart.version, '2.0.0');
  assert.equal(j.chart.appVersion, '6.5.0');
  assert.deepEqual(j.chart.provenance, { digest: digestOf('provenance\n'), size: 11 });
  assert.ok(j.layers.some((l) => l.mediaType === 'application/vnd.cncf.helm.chart.provenance.v1.prov'));
  const text = await ocipack(['inspect', `oci://${reg.host}/charts/podinfo:2.0.0`]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /podinfo/);
  assert.match(text.stdout, /2\.0\.0/);
  assert.match(text.stdout, /6\.5\.0/);
  assert.match(text.stdout, /provenance/);
});

async function rawManifest(repo: string, ref: string): Promise<Buffer> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(res.status, 200, `${repo}:${ref}`);
  return Buffer.from(await res.arrayBuffer());
}

async function rawBlob(repo: string, digest: string): Promise<Buffer> {
  const res = await fetch(`${reg.url}/v2/${repo}/blobs/${digest}`);
  assert.equal(res.status, 200, digest);
  return Buffer.from(await res.arrayBuffer());
}

test('push --chart <.tgz> writes what helm push would: repository, tag, config, layers, annotations', async () => {
  const dir = await chartDir('3.1.0+meta');
  const tgzPath = join(dir, '..', 'podinfo-3.1.0+meta.tgz');
  const tgz = await gnuTarChart(dir, tgzPath);
  await writeFile(`${tgzPath}.prov`, 'signed\n');
  const mtime = new Date('2023-03-04T05:06:07Z');
  await utimes(tgzPath, mtime, mtime);
  const r = await ocipack(['push', `oci://${reg.host}/helm`, '--chart', tgzPath, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { url: string; repository: string; tag: string; digest: string };
  assert.equal(j.repository, `${reg.host}/helm/podinfo`);
  assert.equal(j.tag, '3.1.0_meta');
  assert.equal(j.url, `oci://${reg.host}/helm/podinfo:3.1.0_meta`);
  const bytes = await rawManifest('helm/podinfo', '3.1.0_meta');
  assert.equal(digestOf(bytes), j.digest);
  const config = helmConfig('3.1.0+meta');
  const layers = [
    { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: digestOf(tgz), size: tgz.length },
    { mediaType: 'application/vnd.cncf.helm.chart.provenance.v1.prov', digest: digestOf('signed\n'), size: 7 },
  ].sort((a, b) => (a.digest < b.digest ? -1 : 1));
  // Go's json.Marshal of ocispec.Manifest: no mediaType field, struct order, annotations sorted.
  const want = JSON.stringify({
    schemaVersion: 2,
    config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: digestOf(config), size: config.length },
    layers,
    annotations: {
      'org.opencontainers.image.created': '2023-03-04T05:06:07Z',
      'org.opencontainers.image.description': 'Podinfo Helm chart',
      'org.opencontainers.image.title': 'podinfo',
      'org.opencontainers.image.version': '3.1.0+meta',
    },
  });
  assert.equal(bytes.toString(), want);
  assert.equal((await rawBlob('helm/podinfo', digestOf(config))).toString(), config);
  assert.deepEqual(await rawBlob('helm/podinfo', digestOf(tgz)), tgz);
});

test('push --chart <dir> packages like helm package (under podinfo/, .helmignore) and round-trips through pull', async () => {
  const dir = await chartDir('4.0.0', { '.helmignore': '*.bak\nci/\n', 'old.bak': 'x', 'ci/values.yaml': 'x: 1\n' });
  const a = await ocipack(['push', `${reg.host}/helm`, '--chart', dir, '--reproducible', '-o', 'json']);
  const b = await ocipack(['push', `${reg.host}/helm`, '--chart', dir, '--reproducible', '-o', 'json']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(JSON.parse(a.stdout).digest, JSON.parse(b.stdout).digest, 'deterministic with --reproducible');
  assert.match(a.stderr, /✔ chart podinfo 4\.0\.0 successfully pushed/);
  const m = JSON.parse((await rawManifest('helm/podinfo', '4.0.0')).toString()) as { layers: { mediaType: string; digest: string }[]; annotations: Record<string, string>; mediaType?: string };
  assert.equal(m.mediaType, undefined);
  assert.equal(m.annotations['org.opencontainers.image.created'], '1970-01-01T00:00:00Z');
  assert.deepEqual(m.layers.map((l) => l.mediaType), ['application/vnd.cncf.helm.chart.content.v1.tar+gzip']);
  const tgz = join(await tempDir(), 'chart.tgz');
  await writeFile(tgz, await rawBlob('helm/podinfo', m.layers[0]!.digest));
  const { stdout } = await exec('tar', ['-tzvf', tgz]);
  const names = stdout.trim().split('\n').map((l) => l.split(/\s+/).pop());
  assert.deepEqual(names, ['podinfo/Chart.yaml', 'podinfo/values.yaml', 'podinfo/templates/_helpers.tpl', 'podinfo/templates/deployment.yaml', 'podinfo/.helmignore', 'podinfo/README.md']);
  assert.ok(stdout.trim().split('\n').every((l) => l.startsWith('-rw-r--r--')), stdout);
  const out = join(await tempDir(), 'out');
  const pulled = await ocipack(['pull', `${reg.host}/helm/podinfo:4.0.0`, '-o', out]);
  assert.equal(pulled.code, 0, pulled.stderr);
  const want = await tree(dir);
  delete want['old.bak'];
  delete want['ci/values.yaml'];
  assert.deepEqual(await tree(join(out, 'podinfo')), want);
});

test('push --chart into an OCI layout tags it with the version; skopeo reads it', async () => {
  const dir = await chartDir('5.0.0');
  const layout = join(await tempDir(), 'layout');
  const r = await ocipack(['push', layout, '--oci-layout', '--chart', dir, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { tag: string; digest: string };
  assert.equal(j.tag, '5.0.0');
  const { stdout } = await exec('skopeo', ['inspect', '--raw', `oci:${layout}:5.0.0`], { encoding: 'buffer' });
  assert.equal(digestOf(stdout), j.digest);
});

test('bad charts and references fail with exit 2 before any request', async () => {
  const noName = await chartDir('1.0.0');
  await writeFile(join(noName, 'Chart.yaml'), 'apiVersion: v2\nversion: 1.0.0\n');
  const noVersion = await chartDir('1.0.0');
  await writeFile(join(noVersion, 'Chart.yaml'), 'apiVersion: v2\nname: x\n');
  const notYaml = await chartDir('1.0.0');
  await writeFile(join(notYaml, 'Chart.yaml'), 'name: [x\n');
  const badIgnore = await chartDir('1.0.0', { '.helmignore': '**/x\n' });
  const notChart = await tempDir();
  const good = await chartDir('1.0.0');
  const cases: Array<[string[], RegExp]> = [
    [['--chart', noName], /Chart\.yaml: name is required/],
    [['--chart', noVersion], /Chart\.yaml: version is required/],
    [['--chart', notYaml], /Chart\.yaml is not valid YAML/],
    [['--chart', badIgnore], /\.helmignore:1: invalid pattern "\*\*\/x": double-star/],
    [['--chart', notChart], /is not a Helm chart: it has no Chart\.yaml/],
    [['--chart', join(notChart, 'missing')], /does not exist/],
    [['--chart', good, '--path', good], /--chart and --path cannot be used together/],
    [['--chart', good, '--source', 's', '-a', 'k=v'], /--source, --annotations cannot be used with --chart/],
  ];
  await reg.resetRequests();
  for (const [args, message] of cases) {
    const r = await ocipack(['push', `oci://${reg.host}/bad`, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const tagged = await ocipack(['push', `oci://${reg.host}/bad:v1`, '--chart', good]);
  assert.equal(tagged.code, 2, tagged.stderr);
  assert.match(tagged.stderr, /without a tag or digest/);
  assert.deepEqual(await reg.requests(), []);
});
