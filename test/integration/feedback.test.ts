/**
 * Feedback a user acts on: `diff --unified` shows what changed line by line; `delete` removes a tag or (with
 * --force) a manifest from a real registry and from a layout, and says where to go when a registry refuses
 * deletes (405 UNSUPPORTED, as GHCR and Docker Hub answer: a fault-proxy stand-in in front of the real
 * registry); `--dry-run` on push, copy, tag and delete writes nothing (the registry's access log shows only
 * reads); push checks the registry while packing, so a closed port or a missing login fails with nothing sent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { freePort, startRegistry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/faultproxy.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let authReg: Awaited<ReturnType<typeof startRegistry>>;
let proxy: FaultProxy;
let src: string;

const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);

before(async () => {
  [reg, authReg] = await Promise.all([startRegistry({ auth: 'none' }), startRegistry({ auth: 'htpasswd', users: { alice: 'pw-Feedback-1' } })]);
  proxy = await startFaultProxy({ upstream: reg.host });
  src = await tempDir();
  await writeFile(join(src, 'deploy.yaml'), 'kind: Deployment\nreplicas: 1\nimage: app:v1\n');
  await writeFile(join(src, 'data.bin'), Buffer.from([0, 1, 2, 3]));
});
after(async () => {
  await proxy?.close();
  await Promise.all([reg?.stop(), authReg?.stop()]);
});

test('diff --unified prints a unified diff per changed text file; binary files say so; -u in JSON as patch', async () => {
  const ref = `oci://${reg.host}/fb/diff:v1`;
  assert.equal((await ocipack(['push', ref, '-f', src])).code, 0);
  const local = await tempDir();
  await writeFile(join(local, 'deploy.yaml'), 'kind: Deployment\nreplicas: 3\nimage: app:v1\n');
  await writeFile(join(local, 'data.bin'), Buffer.from([0, 1, 2, 4]));
  await writeFile(join(local, 'new.yaml'), 'kind: Service\n');
  const r = await ocipack(['diff', ref, '--path', local, '-u']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, [
    'Binary files a/data.bin and b/data.bin differ',
    '--- a/deploy.yaml',
    '+++ b/deploy.yaml',
    '@@ -1,3 +1,3 @@',
    ' kind: Deployment',
    '-replicas: 1',
    '+replicas: 3',
    ' image: app:v1',
    '--- /dev/null',
    '+++ b/new.yaml',
    '@@ -0,0 +1,1 @@',
    '+kind: Service',
    '',
  ].join('\n'));
  const json = await ocipack(['diff', ref, '--path', local, '--unified', '-o', 'json']);
  const changes = (JSON.parse(json.stdout) as { changes: Array<{ path: string; patch?: string; noPatch?: string }> }).changes;
  assert.equal(changes.find((c) => c.path === 'data.bin')?.noPatch, 'binary');
  assert.match(changes.find((c) => c.path === 'deploy.yaml')?.patch ?? '', /^\+replicas: 3$/m);
  const plain = await ocipack(['diff', ref, '--path', local]);
  assert.equal(plain.stdout, 'changed data.bin\nchanged deploy.yaml\nadded new.yaml\n', 'without -u: the path list, as before');
});

test('delete against the real registry: a tag (distribution 2.x cannot delete one alone: --force deletes its manifest), a digest with --force; --dry-run deletes nothing', async () => {
  const repo = `oci://${reg.host}/fb/delete`;
  assert.equal((await ocipack(['push', `${repo}:v1`, '-f', src])).code, 0);
  assert.equal((await ocipack(['tag', `${repo}:v1`, '-t', 'v2,v3'])).code, 0);
  const digest = (JSON.parse((await ocipack(['inspect', `${repo}:v1`, '-o', 'json'])).stdout) as { digest: string }).digest;

  await reg.resetRequests();
  const dry = await ocipack(['delete', `${repo}:v1`, '--dry-run', '-o', 'json']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(JSON.parse(dry.stdout), {
    repository: `${reg.host}/fb/delete`, digest, tags: ['v1'], manifestDeleted: false, dryRun: true, tag: 'v1',
    ifTagDeleteRefused: { digest, tags: ['v1', 'v2', 'v3'], deleted: false },
  });
  assert.match(dry.stderr, /⚠ if the registry cannot delete a tag alone .*the run fails and deletes nothing; --force would delete manifest .*@sha256:[0-9a-f]{64} and its tags v1, v2, v3/);
  // issue 25: the forced dry run names every tag the real run below deletes with the manifest
  const dryForced = await ocipack(['delete', `${repo}:v1`, '--force', '--dry-run']);
  assert.equal(dryForced.code, 0, dryForced.stderr);
  assert.match(dryForced.stderr, /⚠ if the registry cannot delete a tag alone \(the CNCF distribution registry 2\.x cannot\), --force deletes manifest .*@sha256:[0-9a-f]{64} and its tags v1, v2, v3 instead/);
  assert.deepEqual((await reg.requests()).filter((q) => WRITES.has(q.method)), [], 'a dry run only reads');

  const untag = await ocipack(['delete', `${repo}:v1`]);
  assert.equal(untag.code, 1, untag.stderr);
  assert.match(untag.stderr, /✗ .*fb\/delete cannot delete a tag by itself \(it answered 400 DIGEST_INVALID\); --force deletes the manifest sha256:[0-9a-f]{64} instead, which removes its other tags too \(v2, v3\)/);
  assert.match(untag.stderr, /hint: add --force to delete the manifest/);
  assert.equal((await ocipack(['inspect', `${repo}:v1`])).code, 0, 'nothing deleted');
  const forcedTag = await ocipack(['delete', `${repo}:v1`, '--force', '-o', 'json']);
  assert.equal(forcedTag.code, 0, forcedTag.stderr);
  assert.deepEqual((JSON.parse(forcedTag.stdout) as { tags: string[] }).tags.sort(), ['v1', 'v2', 'v3']);
  for (const t of ['v1', 'v2', 'v3']) assert.equal((await ocipack(['inspect', `${repo}:${t}`])).code, 1, `${t} is gone`);

  assert.equal((await ocipack(['push', `${repo}:v4`, '-f', src, '--reproducible'])).code, 0);
  const d4 = (JSON.parse((await ocipack(['inspect', `${repo}:v4`, '-o', 'json'])).stdout) as { digest: string }).digest;
  const unforced = await ocipack(['delete', `${repo}@${d4}`]);
  assert.equal(unforced.code, 2);
  assert.match(unforced.stderr, /add --force/);
  const forced = await ocipack(['delete', `${repo}@${d4}`, '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /✔ deleted manifest .*and its tags v4/);
  const gone = await fetch(`${reg.url}/v2/fb/delete/manifests/${d4}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(gone.status, 404);
});

test('delete against a registry that refuses (405 UNSUPPORTED): says deletes are not allowed via the API, and where to go; registry code kept', async () => {
  const repo = `oci://${proxy.host}/fb/refuse`;
  assert.equal((await ocipack(['push', `${repo}:v1`, '-f', src])).code, 0);
  proxy.script([{ method: 'DELETE', action: { status: 405, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errors: [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.' }] }) } }]);
  const r = await ocipack(['delete', `${repo}:v1`]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`✗ .*${proxy.host} does not allow deletes through the registry API: it answered 405 \\(UNSUPPORTED\\)`));
  assert.match(r.stderr, /hint: .*delete by digest only|web UI/);
  assert.equal((await ocipack(['inspect', `${repo}:v1`])).code, 0, 'still there');
  proxy.script([]);
});

test('delete in an OCI layout: a tag, then the manifest by digest', async () => {
  const dir = join(await tempDir(), 'layout');
  assert.equal((await ocipack(['push', `${dir}:v1`, '--oci-layout', '-f', src])).code, 0);
  assert.equal((await ocipack(['tag', `${dir}:v1`, '--oci-layout', '-t', 'v2'])).code, 0);
  const digest = (JSON.parse((await ocipack(['inspect', `${dir}:v1`, '--oci-layout', '-o', 'json'])).stdout) as { digest: string }).digest;
  assert.equal((await ocipack(['delete', `${dir}:v1`, '--oci-layout'])).code, 0);
  assert.deepEqual((JSON.parse((await ocipack(['list', dir, '--oci-layout', '-o', 'json'])).stdout) as Array<{ tag: string }>).map((e) => e.tag), ['v2']);
  assert.equal((await ocipack(['delete', `${dir}@${digest}`, '--oci-layout', '--force'])).code, 0);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: unknown[] };
  assert.deepEqual(index.manifests, []);
  assert.ok(!(await readdir(join(dir, 'blobs/sha256'))).includes(digest.slice(7)), 'the manifest blob is gone');
  const missing = await ocipack(['delete', `${dir}:v9`, '--oci-layout']);
  assert.equal(missing.code, 1);
});

test('--dry-run on push, copy and tag prints what would happen and writes nothing to the registry', async () => {
  const repo = `oci://${reg.host}/fb/dry`;
  assert.equal((await ocipack(['push', `${repo}:v1`, '-f', src, '--reproducible'])).code, 0);
  const changed = await tempDir();
  await writeFile(join(changed, 'deploy.yaml'), 'kind: Deployment\nreplicas: 2\n');
  await reg.resetRequests();

  const push = await ocipack(['push', `${repo}:v1`, '-f', changed, '--dry-run', '-o', 'json']);
  assert.equal(push.code, 0, push.stderr);
  const plan = (JSON.parse(push.stdout) as { dryRun: boolean; plan: { blobs: Array<{ action: string }>; previous: string } });
  assert.equal(plan.dryRun, true);
  assert.deepEqual(plan.plan.blobs.map((b) => b.action), ['upload', 'upload']);
  assert.match(push.stderr, /would move \(from sha256:[0-9a-f]{64}\) .*fb\/dry:v1 → sha256:/);
  const same = await ocipack(['push', `${repo}:v1`, '-f', src, '--reproducible', '--dry-run']);
  assert.match(same.stderr, /already holds this content; nothing would be uploaded/);

  const tag = await ocipack(['tag', `${repo}:v1`, '-t', 'v1,latest', '--dry-run']);
  assert.equal(tag.code, 0, tag.stderr);
  assert.match(tag.stderr, /fb\/dry:v1 → sha256:[0-9a-f]{64}: would keep/);
  assert.match(tag.stderr, /fb\/dry:latest → sha256:[0-9a-f]{64}: would create/);

  const copy = await ocipack(['copy', `${repo}:v1`, `oci://${reg.host}/fb/dry-copy:v1`, '--dry-run', '-o', 'json']);
  assert.equal(copy.code, 0, copy.stderr);
  const c = JSON.parse(copy.stdout) as { copied: number; dryRun: boolean };
  assert.deepEqual([c.copied, c.dryRun], [3, true]);
  const layoutDst = join(await tempDir(), 'not-yet');
  const toLayout = await ocipack(['copy', `${repo}:v1`, `${layoutDst}:v1`, '--to-oci-layout', '--dry-run']);
  assert.equal(toLayout.code, 0, toLayout.stderr);
  await assert.rejects(readdir(layoutDst), /ENOENT/, 'a dry run into a new layout creates nothing');

  assert.deepEqual((await reg.requests()).filter((q) => WRITES.has(q.method)), [], 'only reads reached the registry');
  assert.equal((await ocipack(['list', `oci://${reg.host}/fb/dry-copy`])).code, 1);
});

test('push reaches the registry while packing: a closed port or a missing login fails, and nothing is uploaded', async () => {
  const big = await tempDir();
  await mkdir(join(big, 'd'));
  await writeFile(join(big, 'd/blob.bin'), randomBytes(8 * 1024 * 1024));
  const closed = await freePort();
  const dead = await ocipack(['push', `oci://127.0.0.1:${closed}/fb/fast:v1`, '-f', big]);
  assert.equal(dead.code, 1);
  assert.match(dead.stderr, new RegExp(`✗ push failed: .*127\\.0\\.0\\.1:${closed}`));

  await authReg.resetRequests();
  const anon = await ocipack(['push', `oci://${authReg.host}/fb/fast:v1`, '-f', big]);
  assert.equal(anon.code, 1);
  assert.match(anon.stderr, new RegExp(`authentication required for ${authReg.host.replace(/\./g, '\\.')}`));
  assert.match(anon.stderr, /hint: run `ocipack login/);
  assert.deepEqual((await authReg.requests()).filter((q) => WRITES.has(q.method)), [], 'no upload was started');
});
