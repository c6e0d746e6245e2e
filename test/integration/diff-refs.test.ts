/**
 * `diff <ref-a> <ref-b>` (issue 27 item 5) against the real distribution registry: two pushed artifacts
 * compared file by file and, with --kubernetes, object by object; the same layer is "same" without a
 * blob download; a layout on either side; any trouble is exit 2.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { BIN, ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { startFaultProxy } from '../helpers/faultproxy.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let prodTree: string;
let stagingTree: string;
let repo: string;
const digests: Record<string, string> = {};

const deployment = (replicas: number, image: string): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  replicas: ${replicas}\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ${image}\n`;
const settings = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: prod\ndata:\n  level: info\n';
const service = (name: string): string => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: prod\nspec:\n  ports:\n    - port: 80\n`;
const rbac = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n';

/** What production runs today: a Deployment, a ConfigMap and a Service in one file, a ClusterRole, docs, a binary, notes. */
async function makeProduction(root: string): Promise<void> {
  await mkdir(join(root, 'deploy'), { recursive: true });
  await writeFile(join(root, 'deploy/app.yaml'), `${deployment(1, 'web:1.0')}---\n${settings}---\n${service('old')}`);
  await writeFile(join(root, 'deploy/rbac.yaml'), rbac);
  await writeFile(join(root, 'README.md'), 'v1\n');
  await writeFile(join(root, 'data.bin'), Buffer.from([0, 1, 2]));
  await writeFile(join(root, 'notes.txt'), 'to be removed\n');
}

/** What staging has: the Deployment scaled and bumped, the ConfigMap moved to its own file, another Service, a broken YAML file. */
async function makeStaging(root: string): Promise<void> {
  await mkdir(join(root, 'deploy'), { recursive: true });
  await writeFile(join(root, 'deploy/app.yaml'), `# staging\n${deployment(3, 'web:1.1')}---\n${service('new')}`);
  await writeFile(join(root, 'deploy/settings.yaml'), settings);
  await writeFile(join(root, 'deploy/rbac.yaml'), rbac);
  await writeFile(join(root, 'README.md'), 'v2\n');
  await writeFile(join(root, 'data.bin'), Buffer.from([0, 1, 3]));
  await writeFile(join(root, 'broken.yaml'), 'kind: [\n');
}

async function push(ref: string, dir: string, ...extra: string[]): Promise<string> {
  const r = await ocipack(['push', ref, '--path', dir, '-o', 'json', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { digest: string }).digest;
}

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  prodTree = await tempDir();
  stagingTree = await tempDir();
  await makeProduction(prodTree);
  await makeStaging(stagingTree);
  repo = `oci://${reg.host}/team/manifests`;
  digests.production = await push(`${repo}:production`, prodTree);
  digests.staging = await push(`${repo}:staging`, stagingTree);
});
after(async () => {
  await reg?.stop();
});

const FILE_LINES = ['changed README.md', 'added broken.yaml', 'changed data.bin', 'changed deploy/app.yaml', 'added deploy/settings.yaml', 'removed notes.txt'];
const OBJECT_LINES = [
  'moved ConfigMap/prod/settings (deploy/app.yaml → deploy/settings.yaml)',
  'changed Deployment/prod/web: spec.replicas, spec.template.spec.containers[0].image',
  'added Service/prod/new',
  'removed Service/prod/old',
  'changed README.md',
  'added broken.yaml',
  'changed data.bin',
  'removed notes.txt',
];

test('diff <a> <b>: added, removed and changed files (exit 1); each layer fetched once, by digest', async () => {
  await reg.resetRequests();
  const r = await ocipack(['diff', `${repo}:production`, `${repo}:staging`]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, `${FILE_LINES.join('\n')}\n`);
  assert.match(r.stderr, /⚠ 6 path\(s\) differ between /);
  const blobGets = (await reg.requests()).filter((q) => q.method === 'GET' && q.path.includes('/blobs/')).map((q) => q.path.split('/').pop());
  const layers = await Promise.all(['production', 'staging'].map(async (t) => (JSON.parse((await ocipack(['inspect', `${repo}:${t}`, '-o', 'json'])).stdout) as { layers: Array<{ digest: string }> }).layers[0]!.digest));
  assert.deepEqual(blobGets.sort(), [...layers].sort(), 'one GET per layer, nothing else');

  const brief = await ocipack(['diff', `${repo}:production`, `${repo}:staging`, '--brief']);
  assert.equal(brief.code, 1);
  assert.equal(brief.stdout, `${repo}:production and ${repo}:staging differ\n`);
});

test('diff <a> <b> --kubernetes: objects added, removed, changed (which paths), moved; other files and invalid YAML stay files (warned)', async () => {
  const r = await ocipack(['diff', `${repo}:production`, `${repo}:staging`, '--kubernetes']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, `${OBJECT_LINES.join('\n')}\n`);
  assert.match(r.stderr, /⚠ b\/broken\.yaml is not valid YAML \(.+\); compared as a file, not as Kubernetes objects/);
  assert.match(r.stderr, /⚠ 6 path\(s\) differ between .+; 4 object change\(s\)/);

  const local = await ocipack(['diff', `${repo}:production`, '--path', stagingTree, '--kubernetes']);
  assert.equal(local.code, 1, local.stderr);
  assert.equal(local.stdout, r.stdout, '--kubernetes works the same against a local tree');
});

test('diff <a> <b> -u: a patch per text file; with --kubernetes a patch per object of its canonical YAML', async () => {
  const u = await ocipack(['diff', `${repo}:production`, `${repo}:staging`, '-u']);
  assert.equal(u.code, 1, u.stderr);
  assert.match(u.stdout, /^--- a\/README\.md\n\+\+\+ b\/README\.md\n@@ -1,1 \+1,1 @@\n-v1\n\+v2\n/);
  assert.match(u.stdout, /^Binary files a\/data\.bin and b\/data\.bin differ$/m);
  assert.match(u.stdout, /^--- \/dev\/null\n\+\+\+ b\/deploy\/settings\.yaml\n/m);

  const k = await ocipack(['diff', `${repo}:production`, `${repo}:staging`, '--kubernetes', '-u']);
  assert.equal(k.code, 1, k.stderr);
  const web = k.stdout.slice(k.stdout.indexOf('changed Deployment/prod/web'), k.stdout.indexOf('added Service/prod/new'));
  assert.equal(web, [
    'changed Deployment/prod/web: spec.replicas, spec.template.spec.containers[0].image',
    '--- a/Deployment/prod/web',
    '+++ b/Deployment/prod/web',
    '@@ -4,9 +4,9 @@',
    '   name: web',
    '   namespace: prod',
    ' spec:',
    '-  replicas: 1',
    '+  replicas: 3',
    '   template:',
    '     spec:',
    '       containers:',
    '-        - image: web:1.0',
    '+        - image: web:1.1',
    '           name: web',
    '',
  ].join('\n'));
  assert.match(k.stdout, /^moved ConfigMap\/prod\/settings \(deploy\/app\.yaml → deploy\/settings\.yaml\)\nchanged Deployment/, 'a moved object has no patch');
  assert.match(k.stdout, /^removed Service\/prod\/old\n--- a\/Service\/prod\/old\n\+\+\+ \/dev\/null\n/m);
  assert.doesNotMatch(k.stdout, /^\+\+\+ b\/deploy\/app\.yaml$/m, 'files the objects account for get no file patch');
  assert.match(k.stdout, /^--- a\/notes\.txt\n\+\+\+ \/dev\/null\n/m);
});

test('diff <a> <b> --format json: both digests, the file changes and the objects', async () => {
  const r = await ocipack(['diff', `${repo}:production`, `${repo}:staging`, '--kubernetes', '--format', 'json']);
  assert.equal(r.code, 1, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown> & { changes: Array<{ status: string; path: string }>; objects: Array<Record<string, unknown>> };
  assert.deepEqual(Object.keys(j), ['reference', 'digest', 'toReference', 'toDigest', 'differ', 'changes', 'objects']);
  assert.equal(j.digest, digests.production);
  assert.equal(j.toDigest, digests.staging);
  assert.equal(j.differ, true);
  assert.deepEqual(j.changes.map((c) => `${c.status} ${c.path}`), FILE_LINES);
  assert.deepEqual(j.objects[1], {
    status: 'changed', id: 'Deployment/prod/web', apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'prod', name: 'web',
    path: 'deploy/app.yaml', paths: ['spec.replicas', 'spec.template.spec.containers[0].image'],
  });
  assert.deepEqual(j.objects[0], { status: 'moved', id: 'ConfigMap/prod/settings', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'prod', name: 'settings', path: 'deploy/settings.yaml', from: 'deploy/app.yaml' });
  const y = await ocipack(['diff', `${repo}:production`, `${repo}:staging`, '--format', 'yaml']);
  assert.match(y.stdout, /^toDigest: sha256:[0-9a-f]{64}$/m);
});

test('the same manifest, or another manifest with the same layer: exit 0 without a single blob GET', async () => {
  await reg.resetRequests();
  const same = await ocipack(['diff', `${repo}:production`, `${repo}@${digests.production}`, '--kubernetes']);
  assert.equal(same.code, 0, same.stderr);
  assert.equal(same.stdout, '');
  assert.match(same.stderr, /✔ no changes detected/);
  const other = await push(`${repo}:rebuilt`, prodTree, '--source', 'https://example.com/other');
  assert.notEqual(other, digests.production, 'another manifest (other annotations)');
  await reg.resetRequests();
  const j = await ocipack(['diff', `${repo}:production`, `${repo}:rebuilt`, '-o', 'json']);
  assert.equal(j.code, 0, j.stderr);
  assert.deepEqual(JSON.parse(j.stdout), { reference: `${repo}:production`, digest: digests.production, toReference: `${repo}:rebuilt`, toDigest: other, differ: false, changes: [] });
  assert.deepEqual((await reg.requests()).filter((q) => q.path.includes('/blobs/')), [], 'no blob request at all');
});

test('a layout on either side (--from-oci-layout, --to-oci-layout, or --oci-layout for both)', async () => {
  const layout = join(await tempDir(), 'store');
  const c = await ocipack(['copy', `${repo}:production`, `${layout}:production`, '--to-oci-layout']);
  assert.equal(c.code, 0, c.stderr);
  const from = await ocipack(['diff', `${layout}:production`, `${repo}:staging`, '--from-oci-layout']);
  assert.equal(from.code, 1, from.stderr);
  assert.equal(from.stdout, `${FILE_LINES.join('\n')}\n`);
  const to = await ocipack(['diff', `${repo}:staging`, `${layout}:production`, '--to-oci-layout', '--kubernetes']);
  assert.equal(to.code, 1, to.stderr);
  assert.match(to.stdout, /^removed Service\/prod\/new$/m);
  assert.match(to.stdout, /^moved ConfigMap\/prod\/settings \(deploy\/settings\.yaml → deploy\/app\.yaml\)$/m);
  const both = await ocipack(['diff', `${layout}:production`, `${layout}@${digests.production}`, '--oci-layout']);
  assert.equal(both.code, 0, both.stderr);
  const mixed = await ocipack(['diff', `${layout}:production`, `${repo}:production`, '--from-oci-layout']);
  assert.equal(mixed.code, 0, mixed.stderr);
});

test('both layers are downloaded at once: while the first layer stalls, the second one is asked for', async () => {
  const proxy = await startFaultProxy({ upstream: reg.host });
  try {
    const layerOf = async (t: string): Promise<string> => (JSON.parse((await ocipack(['inspect', `${repo}:${t}`, '-o', 'json'])).stdout) as { layers: Array<{ digest: string }> }).layers[0]!.digest;
    const [first, second] = [await layerOf('production'), await layerOf('staging')];
    proxy.script([{ method: 'GET', path: new RegExp(`/blobs/${first}$`), action: { stall: true } }]);
    const via = `oci://${proxy.host}/team/manifests`;
    const child = spawn(process.execPath, [BIN, 'diff', `${via}:production`, `${via}:staging`], { env: { PATH: process.env.PATH ?? '', HOME: await tempDir(), NO_COLOR: '1' }, stdio: 'ignore' });
    try {
      await proxy.waitFor((r) => r.method === 'GET' && r.path.endsWith(`/blobs/${first}`) && r.fault === 'stall');
      await proxy.waitFor((r) => r.method === 'GET' && r.path.endsWith(`/blobs/${second}`));
    } finally {
      child.kill();
      await once(child, 'close');
    }
  } finally {
    await proxy.close();
  }
});

test('any trouble is exit 2: a bad reference (before any request), a missing tag, a path and a second reference, a tampered layout blob', async () => {
  await reg.resetRequests();
  const bad = await ocipack(['diff', `${repo}:production`, 'oci://Bad/Ref']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.deepEqual(await reg.requests(), [], 'a malformed reference is refused before any network call');
  const missing = await ocipack(['diff', `${repo}:production`, `${repo}:nope`]);
  assert.equal(missing.code, 2, missing.stderr);
  const both = await ocipack(['diff', `${repo}:production`, `${repo}:staging`, '--path', stagingTree]);
  assert.equal(both.code, 2, both.stderr);
  assert.match(both.stderr, /either --path .* or a second reference/);

  const layout = join(await tempDir(), 'store');
  assert.equal((await ocipack(['copy', `${repo}:staging`, `${layout}:staging`, '--to-oci-layout'])).code, 0);
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const manifest = JSON.parse(await readFile(join(layout, 'blobs/sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string }> };
  const blob = join(layout, 'blobs/sha256', manifest.layers[0]!.digest.slice(7));
  const bytes = await readFile(blob);
  bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff;
  await chmod(blob, 0o644);
  await writeFile(blob, bytes);
  const tampered = await ocipack(['diff', `${repo}:production`, `${layout}:staging`, '--to-oci-layout']);
  assert.equal(tampered.code, 2, tampered.stderr);
  assert.equal(tampered.stdout, '', 'nothing is reported from an unverified layer');
});
