/**
 * Issue 15 §5-§9 against the real registry and real podman/buildah layouts: several sources in one
 * reproducible layer (and diff against it), stdin as stdin.yaml byte for byte, empty artifacts
 * refused, referrers-schema tags hidden by list, and layouts others write addressed by full ref name.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { containers, type Containers } from '../helpers/containers.js';
import { putManifest } from '../helpers/rawoci.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let ctr: Containers;
before(async () => {
  reg = await startRegistry({ auth: 'none' });
  ctr = await containers();
});
after(async () => {
  await reg?.stop();
  await ctr?.close();
});

async function files(root: string, tree: Record<string, string>): Promise<string> {
  for (const [rel, content] of Object.entries(tree)) {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), content);
  }
  return root;
}

async function listTree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    out.push(`${prefix}${e.name}${e.isDirectory() ? '/' : ''}`);
    if (e.isDirectory()) out.push(...await listTree(join(dir, e.name), `${prefix}${e.name}/`));
  }
  return out;
}

test('push -f dir1 -f dir2=apps/extra -f file.yaml: one layer, same digest on every run, diff agrees, collision is exit 2', async () => {
  const work = await tempDir();
  const base = await files(join(work, 'base'), { 'kustomization.yaml': 'resources: []\n', 'logo.png': 'ignored', 'apps/a.yaml': 'a: 1\n' });
  const extra = await files(join(work, 'extra'), { 'b.yaml': 'b: 2\n', 'skip.yaml': 'x', '.sourceignore': 'skip.yaml\n' });
  const single = join(work, 'single.yaml');
  await writeFile(single, 'single: true\n');
  const ref = `oci://${reg.host}/multi/app:v1`;
  const args = ['-f', base, '-f', `${extra}=apps/extra`, '-f', single, '--reproducible', '--source', 's', '--revision', 'r'];
  const first = await ocipack(['push', ref, ...args, '-o', 'json']);
  assert.equal(first.code, 0, first.stderr);
  const again = await ocipack(['push', `oci://${reg.host}/multi/again:v1`, ...args, '-o', 'json']);
  assert.equal(again.code, 0, again.stderr);
  const digest = (JSON.parse(first.stdout) as { digest: string }).digest;
  assert.equal((JSON.parse(again.stdout) as { digest: string }).digest, digest, 'two runs, one digest');
  const built = await ocipack(['build', ...args.slice(0, 6), '-o', join(work, 'layer.tgz'), '--format', 'json']);
  assert.equal(built.code, 0, built.stderr);

  const out = join(work, 'out');
  const pulled = await ocipack(['pull', ref, '-o', out]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.deepEqual(await listTree(out), [
    'apps/', 'apps/a.yaml', 'apps/extra/', 'apps/extra/.sourceignore', 'apps/extra/b.yaml', 'kustomization.yaml', 'single.yaml',
  ]);
  assert.equal(await readFile(join(out, 'apps/extra/b.yaml'), 'utf8'), 'b: 2\n');

  const same = await ocipack(['diff', ref, ...args.slice(0, 6)]);
  assert.equal(same.code, 0, same.stdout + same.stderr);
  await writeFile(join(extra, 'b.yaml'), 'b: 3\n');
  const changed = await ocipack(['diff', ref, ...args.slice(0, 6)]);
  assert.equal(changed.code, 1, changed.stderr);
  assert.match(changed.stdout, /^changed apps\/extra\/b\.yaml$/m);

  const clash = await files(join(work, 'clash'), { 'a.yaml': 'other\n' });
  const collided = await ocipack(['push', ref, '-f', base, '-f', `${clash}=apps`]);
  assert.equal(collided.code, 2, collided.stderr);
  assert.match(collided.stderr, /"apps\/a\.yaml" would come from two sources/);
});

test('push -f - stores stdin as stdin.yaml byte for byte (--stdin-name renames it)', async () => {
  const input = Buffer.from('apiVersion: v1\r\nkind: ConfigMap\n# \u00e9\u0000no newline at the end', 'utf8');
  const ref = `oci://${reg.host}/stdin/app:v1`;
  const pushed = await ocipack(['push', ref, '-f', '-', '--source', 's', '--revision', 'r'], { input });
  assert.equal(pushed.code, 0, pushed.stderr);
  const out = join(await tempDir(), 'out');
  assert.equal((await ocipack(['pull', ref, '-o', out])).code, 0);
  assert.deepEqual(await readdir(out), ['stdin.yaml']);
  assert.deepEqual(await readFile(join(out, 'stdin.yaml')), input);
  const named = await ocipack(['push', ref, '-f', '-', '--stdin-name', 'prod.yml', '--source', 's', '--revision', 'r'], { input });
  assert.equal(named.code, 0, named.stderr);
  const out2 = join(await tempDir(), 'out');
  assert.equal((await ocipack(['pull', ref, '-o', out2])).code, 0);
  assert.deepEqual(await readdir(out2), ['prod.yml']);
});

test('an empty or all-ignored tree is refused with exit 2 naming the path and the rules, unless --allow-empty', async () => {
  const dir = await files(await tempDir(), { 'logo.png': 'x', 'pics/a.jpg': 'y' });
  const ref = `oci://${reg.host}/empty/app:v1`;
  const refused = await ocipack(['push', ref, '-f', dir]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, new RegExp(`every file in "${dir}" is ignored`));
  assert.match(refused.stderr, /"\*\.png" \(flux's default ignore list\)/);
  assert.match(refused.stderr, /--allow-empty/);
  assert.equal((await fetch(`${reg.url}/v2/empty/app/tags/list`)).status, 404, 'nothing was pushed');
  const allowed = await ocipack(['push', ref, '-f', dir, '--allow-empty']);
  assert.equal(allowed.code, 0, allowed.stderr);
});

test('an empty stdin (`false | ocipack push … -f -`) is refused like an empty tree: exit 2, a hint, nothing pushed; --allow-empty pushes it', async () => {
  const ref = `oci://${reg.host}/empty/stdin:v1`;
  const refused = await ocipack(['push', ref, '-f', '-'], { input: '' });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /✗ nothing to pack: stdin is empty \(0 bytes read\)\n {2}hint: check the command piped into ocipack \(it wrote nothing\), or pass --allow-empty/);
  assert.equal((await fetch(`${reg.url}/v2/empty/stdin/tags/list`)).status, 404, 'nothing was pushed');
  const built = await ocipack(['build', '-f', '-', '-o', join(await tempDir(), 'a.tgz')], { input: '' });
  assert.equal(built.code, 2, built.stderr);
  const allowed = await ocipack(['push', ref, '-f', '-', '--allow-empty'], { input: '' });
  assert.equal(allowed.code, 0, allowed.stderr);
});

test('list hides referrers-schema sha256-<hex> tags as it hides .sig; --all-tags shows them', async () => {
  const src = await files(await tempDir(), { 'a.yaml': 'a\n' });
  const pushed = await ocipack(['push', `oci://${reg.host}/refs/app:v1`, '-f', src, '-o', 'json']);
  assert.equal(pushed.code, 0, pushed.stderr);
  const hex = (JSON.parse(pushed.stdout) as { digest: string }).digest.slice('sha256:'.length);
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }));
  await putManifest(reg.url, 'refs/app', `sha256-${hex}`, index, 'application/vnd.oci.image.index.v1+json');
  const hidden = await ocipack(['list', `oci://${reg.host}/refs/app`, '-o', 'json']);
  assert.equal(hidden.code, 0, hidden.stderr);
  assert.deepEqual((JSON.parse(hidden.stdout) as Array<{ tag: string }>).map((r) => r.tag), ['v1']);
  const all = await ocipack(['list', `oci://${reg.host}/refs/app`, '--all-tags', '-o', 'json']);
  assert.deepEqual((JSON.parse(all.stdout) as Array<{ tag: string }>).map((r) => r.tag).sort(), [`sha256-${hex}`, 'v1']);
});

test('podman save --format oci-dir: list shows the full ref name, <dir>@tag=<ref.name> and no tag address it', async () => {
  const work = await tempDir();
  await writeFile(join(work, 'a.yaml'), 'a: 1\n');
  await ctr.layer('localhost/listed:latest', undefined, { '/app/a.yaml': join(work, 'a.yaml') });
  const dir = join(work, 'saved');
  await ctr.saveOciDir('localhost/listed:latest', dir);
  const listed = await ocipack(['list', dir, '--oci-layout', '-o', 'json']);
  assert.equal(listed.code, 0, listed.stderr);
  const rows = JSON.parse(listed.stdout) as Array<{ tag: string; artifact: string; digest: string; size: number }>;
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.tag, 'localhost/listed:latest');
  assert.equal(rows[0]!.artifact, `${dir}@tag=localhost/listed:latest`);
  assert.ok(rows[0]!.size > 0);
  const table = await ocipack(['list', dir, '--oci-layout']);
  assert.match(table.stdout, /^REF NAME\s+DIGEST\s+SIZE/m);
  assert.match(table.stdout, /localhost\/listed:latest\s+sha256:/);
  for (const ref of [`${dir}@tag=localhost/listed:latest`, dir, `${dir}@${rows[0]!.digest}`]) {
    const inspected = await ocipack(['inspect', ref, '--oci-layout', '-o', 'json']);
    assert.equal(inspected.code, 0, `${ref}: ${inspected.stderr}`);
    assert.equal((JSON.parse(inspected.stdout) as { digest: string }).digest, rows[0]!.digest);
  }
  const copied = join(work, 'copied');
  const cp = await ocipack(['copy', `${dir}@tag=localhost/listed:latest`, `${copied}@tag=localhost/listed:v2`, '--from-oci-layout', '--to-oci-layout']);
  assert.equal(cp.code, 0, cp.stderr);
  const index = JSON.parse(await readFile(join(copied, 'index.json'), 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
  assert.equal(index.manifests[0]!.annotations?.['org.opencontainers.image.ref.name'], 'localhost/listed:v2');
  const missing = await ocipack(['inspect', `${dir}:latest`, '--oci-layout']);
  assert.notEqual(missing.code, 0, 'an explicit :latest does not fall back to the only image');
});
