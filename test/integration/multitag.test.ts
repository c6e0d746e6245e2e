/**
 * Issue 27 item 4, several tags in one push or copy (`oci://r/app:1.4.2,1.4,latest`, oras's convention):
 * against the real distribution registry, which has no `?tag=` parameters, one PUT by digest (unconfirmed)
 * then one PUT per tag with the same bytes; against a stand-in that implements distribution-spec's
 * "Pushing Manifests with tags" (OCI-Tag headers), one manifest PUT, or one plus a PUT per tag it did not
 * confirm; a layout gets every tag in index.json; bad lists are exit 2 before any request; the JSON output
 * keeps `tag` (the first) and adds `tags`, and the CI outputs still name the first tag.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startTagQueryServer } from '../helpers/tagquery.js';
import { startFaultProxy, type FaultProxy } from '../helpers/faultproxy.js';

let reg: RunningRegistry;
let src: string;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  src = await tempDir();
  await writeFile(join(src, 'app.yaml'), 'kind: ConfigMap\n');
});
after(async () => {
  await reg?.stop();
});

interface Pushed { url: string; tagUrl: string; repository: string; tag: string; tags: string[]; digest: string; unchanged: boolean }

async function pushJson(ref: string, extra: string[] = []): Promise<Pushed> {
  const r = await ocipack(['push', ref, '-f', src, '--reproducible', '--source', 's', '--revision', 'r', '-o', 'json', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Pushed;
}

/** The digest each tag names in the real registry (404 → undefined). */
async function digestsOf(repo: string, tags: string[]): Promise<Array<string | undefined>> {
  return Promise.all(tags.map(async (t) => {
    const res = await fetch(`${reg.url}/v2/${repo}/manifests/${t}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    return res.status === 200 ? res.headers.get('docker-content-digest') ?? undefined : undefined;
  }));
}

const manifestPuts = (log: Array<{ method: string; path: string }>): string[] =>
  log.filter((e) => e.method === 'PUT' && e.path.includes('/manifests/')).map((e) => e.path.slice(e.path.indexOf('/manifests/') + '/manifests/'.length));

test('push to the distribution registry (no ?tag= support): one PUT by digest asking for the tags, then one PUT per tag, same digest', async () => {
  await reg.resetRequests();
  const p = await pushJson(`oci://${reg.host}/multi/app:1.4.2,1.4,latest`);
  assert.equal(p.tag, '1.4.2');
  assert.deepEqual(p.tags, ['1.4.2', '1.4', 'latest']);
  assert.equal(p.url, `oci://${reg.host}/multi/app@${p.digest}`, 'flux prints the digest URL');
  assert.equal(p.tagUrl, `oci://${reg.host}/multi/app:1.4.2`);
  const puts = manifestPuts(await reg.requests());
  assert.deepEqual(puts, [`${p.digest}?tag=1.4.2&tag=1.4&tag=latest`, '1.4.2', '1.4', 'latest']);
  assert.deepEqual(await digestsOf('multi/app', p.tags), [p.digest, p.digest, p.digest]);
});

test('push through a registry with ?tag= (OCI-Tag headers): one manifest PUT for three tags', async () => {
  const shim = await startTagQueryServer(reg.host);
  try {
    const p = await pushJson(`oci://${shim.host}/multi/one:2.0.0,2.0,latest`);
    assert.deepEqual(manifestPuts(shim.log), [`${p.digest}?tag=2.0.0&tag=2.0&tag=latest`]);
    assert.deepEqual(await digestsOf('multi/one', ['2.0.0', '2.0', 'latest']), [p.digest, p.digest, p.digest]);
  } finally {
    await shim.close();
  }
});

test('a registry that confirms only some tags: the rest get a PUT each', async () => {
  const shim = await startTagQueryServer(reg.host, (tags) => tags.slice(0, 1));
  try {
    const p = await pushJson(`oci://${shim.host}/multi/some:3.0.0,3.0,latest`);
    assert.deepEqual(manifestPuts(shim.log), [`${p.digest}?tag=3.0.0&tag=3.0&tag=latest`, '3.0', 'latest']);
    assert.deepEqual(await digestsOf('multi/some', ['3.0.0', '3.0', 'latest']), [p.digest, p.digest, p.digest]);
  } finally {
    await shim.close();
  }
});

test('re-pushing unchanged content with a longer list uploads nothing and adds the new tags', async () => {
  const first = await pushJson(`oci://${reg.host}/multi/again:v1`);
  await reg.resetRequests();
  const again = await pushJson(`oci://${reg.host}/multi/again:v1,stable`);
  assert.equal(again.unchanged, true);
  assert.equal(again.digest, first.digest);
  const log = await reg.requests();
  assert.equal(log.filter((e) => e.method === 'PUT' && e.path.includes('/blobs/')).length, 0, 'no blob uploaded');
  assert.deepEqual(manifestPuts(log), ['stable']);
  assert.deepEqual(await digestsOf('multi/again', ['v1', 'stable']), [first.digest, first.digest]);
});

test('push into a layout: every tag in index.json, one digest', async () => {
  const dir = join(await tempDir(), 'layout');
  const p = await pushJson(`${dir}:a,b,c`, ['--oci-layout']);
  assert.deepEqual(p.tags, ['a', 'b', 'c']);
  assert.equal(p.url, `${dir}@${p.digest}`);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  assert.deepEqual(index.manifests.map((m) => [m.annotations?.['org.opencontainers.image.ref.name'], m.digest]), [['a', p.digest], ['b', p.digest], ['c', p.digest]]);
});

test('copy to a tag list: registry to registry (one PUT per tag after the PUT by digest) and into a layout', async () => {
  const p = await pushJson(`oci://${reg.host}/multi/src:v1`);
  await reg.resetRequests();
  const r = await ocipack(['copy', `oci://${reg.host}/multi/src:v1`, `oci://${reg.host}/multi/dst:1.0.0,1.0,latest`, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { tag: string; tags: string[]; digest: string };
  assert.equal(out.tag, '1.0.0');
  assert.deepEqual(out.tags, ['1.0.0', '1.0', 'latest']);
  assert.deepEqual(manifestPuts(await reg.requests()), [`${p.digest}?tag=1.0.0&tag=1.0&tag=latest`, '1.0.0', '1.0', 'latest']);
  assert.deepEqual(await digestsOf('multi/dst', out.tags), [p.digest, p.digest, p.digest]);

  const dir = join(await tempDir(), 'copied');
  const l = await ocipack(['copy', `oci://${reg.host}/multi/src:v1`, `${dir}:x,y`, '--to-oci-layout']);
  assert.equal(l.code, 0, l.stderr);
  const listed = await ocipack(['list', dir, '--oci-layout', '-o', 'json']);
  assert.deepEqual((JSON.parse(listed.stdout) as Array<{ tag: string; digest: string }>).map((e) => [e.tag, e.digest]).sort(), [['x', p.digest], ['y', p.digest]]);
});

test('bad tag lists are exit 2 before any request', async () => {
  const proxy: FaultProxy = await startFaultProxy({ upstream: reg.host });
  try {
    const digest = `sha256:${'a'.repeat(64)}`;
    const cases: Array<[string[], RegExp]> = [
      [['push', `oci://${proxy.host}/bad/app:1,,2`, '-f', src], /empty tag/],
      [['push', `oci://${proxy.host}/bad/app:1,2,1`, '-f', src], /tag "1" is listed twice/],
      [['push', `oci://${proxy.host}/bad/app:1,2@${digest}`, '-f', src], /cannot be combined with a digest/],
      [['push', `oci://${proxy.host}/bad/app:1,-x`, '-f', src], /invalid tag "-x"/],
      [['push', `oci://${proxy.host}/bad/app:v1,`, '-f', src], /empty tag/],
      [['copy', `oci://${proxy.host}/bad/app:v1`, `oci://${proxy.host}/bad/dst:a,a`], /tag "a" is listed twice/],
      [['push', `${await tempDir()}:a,,b`, '--oci-layout', '-f', src], /empty tag/],
    ];
    for (const [args, message] of cases) {
      const r = await ocipack(args);
      assert.equal(r.code, 2, `${args.join(' ')}\n${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.deepEqual(proxy.log, [], 'no request reached the registry');
  } finally {
    await proxy.close();
  }
});

test('--dotenv and GitHub outputs name the first tag; the JSON keeps flux\'s four fields first', async () => {
  const work = await tempDir();
  const env = { GITHUB_OUTPUT: join(work, 'out'), OCIPACK_DOTENV: join(work, 'build.env') };
  const r = await ocipack(['push', `oci://${reg.host}/multi/ci:v2,latest`, '-f', src, '-o', 'json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout) as Pushed;
  assert.deepEqual(Object.keys(p).slice(0, 6), ['url', 'repository', 'tag', 'digest', 'tagUrl', 'tags']);
  assert.equal(await readFile(env.OCIPACK_DOTENV, 'utf8'), `OCIPACK_DIGEST=${p.digest}\nOCIPACK_REF=${reg.host}/multi/ci@${p.digest}\nOCIPACK_URL=oci://${reg.host}/multi/ci:v2\n`);
  assert.match(await readFile(env.GITHUB_OUTPUT, 'utf8'), new RegExp(`^url<<.*\\noci://${reg.host.replace(/\./g, '\\.')}/multi/ci:v2\\n`, 'm'));
});
