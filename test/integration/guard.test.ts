/**
 * Guardrails before a push (issue 28 §4), through the CLI against the real registry: a plaintext Secret,
 * a private key, a .env file or a kubeconfig with a token refuses the push (exit 2, one line naming the
 * file and --allow-secrets, nothing uploaded, an ::error file=…,line=…:: per file on GitHub Actions);
 * --allow-secrets pushes with warnings; build and diff report the same findings as warnings.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let work: string;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  work = await tempDir('ocipack-guard-');
  await mkdir(join(work, 'deploy', 'apps'), { recursive: true });
  await writeFile(join(work, 'deploy', 'apps', 'app.yaml'), 'apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n');
  await writeFile(join(work, 'deploy', 'sealed.yaml'), 'apiVersion: v1\nkind: Secret\ndata:\n  password: ENC[AES256_GCM,data:x]\nsops:\n  version: 3.8.1\n');
});
after(async () => {
  await reg?.stop();
});

test('push refuses a plaintext Secret: exit 2, one line naming the file and --allow-secrets, nothing uploaded', async () => {
  const ref = `oci://${reg.host}/guard/app:v1`;
  await reg.resetRequests();
  const r = await ocipack(['push', ref, '-f', 'deploy'], { cwd: work, env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: work } });
  assert.equal(r.code, 2, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('✗'));
  assert.deepEqual(errors, ['✗ refusing to push credentials: "apps/app.yaml" line 6: a Kubernetes Secret "db" with plaintext stringData (no sops metadata); --allow-secrets pushes them anyway']);
  assert.ok(r.stderr.includes('::error file=deploy/apps/app.yaml,line=6::a Kubernetes Secret "db" with plaintext stringData (no sops metadata); --allow-secrets pushes it anyway\n'), r.stderr);
  assert.ok(!r.stderr.includes('sealed.yaml'), 'a sops-encrypted Secret is fine');
  const uploads = (await reg.requests()).filter((q) => q.method === 'POST' || q.method === 'PUT' || q.method === 'PATCH');
  assert.deepEqual(uploads, [], 'nothing was uploaded');

  const allowed = await ocipack(['push', ref, '-f', 'deploy', '--allow-secrets', '-o', 'json'], { cwd: work });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stderr, /⚠ "apps\/app.yaml" line 6: a Kubernetes Secret "db" with plaintext stringData \(no sops metadata\)/);
  assert.match(JSON.parse(allowed.stdout).digest as string, /^sha256:/);
});

test('a private key, a .env file and a kubeconfig with a token are refused too; build and diff warn about each', async () => {
  const dir = join(work, 'more');
  await mkdir(dir);
  await writeFile(join(dir, 'tls.key'), '-----BEGIN EC PRIVATE KEY-----\nMHc=\n-----END EC PRIVATE KEY-----\n');
  await writeFile(join(dir, 'tls.crt'), '-----BEGIN CERTIFICATE-----\nMHc=\n-----END CERTIFICATE-----\n');
  await writeFile(join(dir, 'prod.env'), '# settings\nAPI_TOKEN=abc\n');
  await writeFile(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: abc\n');
  await writeFile(join(dir, 'big.yaml'), Buffer.alloc(1024 * 1024 + 1, 0x61));
  const push = await ocipack(['push', `oci://${reg.host}/guard/more:v1`, '-f', 'more'], { cwd: work });
  assert.equal(push.code, 2, push.stderr);
  assert.match(push.stderr, /✗ refusing to push credentials: "kubeconfig" line 1: a kubeconfig with embedded credentials \(token\); "prod.env" line 2: a .env file with KEY=VALUE lines; "tls.key" line 1: a PEM private key \(EC PRIVATE KEY\); --allow-secrets pushes them anyway\n/);
  assert.match(push.stderr, /⚠ "big.yaml": a big file for a config artifact \(1 MiB, over 1 MiB\)/);

  const build = await ocipack(['build', '-f', 'more', '-o', join(work, 'more.tgz')], { cwd: work });
  assert.equal(build.code, 0, build.stderr);
  const warnings = build.stderr.split('\n').filter((l) => l.startsWith('⚠'));
  assert.deepEqual(warnings.map((l) => l.replace(/:.*/, '')), ['⚠ "big.yaml"', '⚠ "kubeconfig" line 1', '⚠ "prod.env" line 2', '⚠ "tls.key" line 1']);
  assert.ok(warnings.slice(1).every((l) => l.endsWith('; push refuses it unless allowed')), warnings.join('\n'));

  const pushed = await ocipack(['push', `oci://${reg.host}/guard/more:v1`, '-f', 'more', '--allow-secrets', '--quiet'], { cwd: work });
  assert.equal(pushed.code, 0, pushed.stderr);
  const diff = await ocipack(['diff', `oci://${reg.host}/guard/more:v1`, '--path', 'more'], { cwd: work });
  assert.equal(diff.code, 0, diff.stderr);
  assert.equal(diff.stderr.split('\n').filter((l) => l.startsWith('⚠')).length, 4, diff.stderr);
});
