/**
 * Issue 28 §2, §3 against the real registry: push, pull, tag, copy and sign append digest/ref/url to
 * $GITHUB_OUTPUT, a table to $GITHUB_STEP_SUMMARY and OCIPACK_* lines to --dotenv; warnings about a file
 * become `::warning file=…::` annotations on stderr (stdout stays JSON); --no-ci-outputs writes nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let work: string;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  work = await tempDir('ocipack-ci-');
  await mkdir(join(work, 'deploy'));
  await writeFile(join(work, 'deploy', 'app.yaml'), 'kind: ConfigMap\n');
  await writeFile(join(work, 'deploy', 'b.yaml'), 'b: 1\n');
  await symlink('app.yaml', join(work, 'deploy', 'link,:x.yaml'));
});
after(async () => {
  await reg?.stop();
});

/** GitHub's output file → name → value (the heredoc syntax). */
function parseOutputs(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const re = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) (out[m[1]!] ??= []).push(m[3]!);
  return out;
}

test('push, pull, tag, copy, sign on GitHub Actions: outputs, summary, dotenv and annotations', async () => {
  const env = {
    GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: work,
    GITHUB_OUTPUT: join(work, 'gh-output'), GITHUB_STEP_SUMMARY: join(work, 'gh-summary'), OCIPACK_DOTENV: join(work, 'build.env'),
    COSIGN_PASSWORD: 'pw',
  };
  const repo = `${reg.host}/ci/app`;
  const push = await ocipack(['push', `oci://${repo}:v1`, '-f', 'deploy', '--reproducible', '-o', 'json'], { env, cwd: work });
  assert.equal(push.code, 0, push.stderr);
  const digest = (JSON.parse(push.stdout) as { digest: string }).digest;
  assert.ok(push.stderr.includes('::warning file=deploy/link%2C%3Ax.yaml::skipping symlink "link,:x.yaml"\n'), push.stderr);
  let outputs = parseOutputs(await readFile(env.GITHUB_OUTPUT, 'utf8'));
  assert.deepEqual(outputs, { digest: [digest], ref: [`${repo}@${digest}`], url: [`oci://${repo}:v1`] });
  assert.equal(await readFile(env.OCIPACK_DOTENV, 'utf8'), `OCIPACK_DIGEST=${digest}\nOCIPACK_REF=${repo}@${digest}\nOCIPACK_URL=oci://${repo}:v1\n`);
  const summary = await readFile(env.GITHUB_STEP_SUMMARY, 'utf8');
  assert.match(summary, new RegExp(`^\\| \`${repo}:v1\` \\| \`${digest}\` \\| \\d+ B \\| 2 \\| — \\| — \\|$`, 'm'), summary);

  const pull = await ocipack(['pull', `oci://${repo}:v1`, '-o', join(work, 'out')], { env, cwd: work });
  assert.equal(pull.code, 0, pull.stderr);
  // extraction is told per MiB and at the end: the row counts every file extracted
  const pulled = (await readFile(env.GITHUB_STEP_SUMMARY, 'utf8')).split('### ocipack pull')[1] ?? '';
  assert.match(pulled, /^\| `[^`]+:v1` \| `sha256:[0-9a-f]{64}` \| \d+ B \| 2 \|/m, pulled);
  const tag = await ocipack(['tag', `oci://${repo}:v1`, '-t', 'stable'], { env, cwd: work });
  assert.equal(tag.code, 0, tag.stderr);
  const copy = await ocipack(['copy', `oci://${repo}:v1`, `oci://${reg.host}/ci/mirror:v1`], { env, cwd: work });
  assert.equal(copy.code, 0, copy.stderr);
  assert.equal((await ocipack(['generate-key-pair'], { env, cwd: work })).code, 0);
  const sign = await ocipack(['sign', `oci://${repo}:v1`, '--key', 'cosign.key'], { env, cwd: work });
  assert.equal(sign.code, 0, sign.stderr);

  outputs = parseOutputs(await readFile(env.GITHUB_OUTPUT, 'utf8'));
  assert.deepEqual(outputs.digest, [digest, digest, digest, digest, digest]);
  assert.deepEqual(outputs.url, [`oci://${repo}:v1`, `oci://${repo}:v1`, `oci://${repo}:stable`, `oci://${reg.host}/ci/mirror:v1`, `oci://${repo}:v1`]);
  assert.deepEqual(outputs.ref?.[3], `${reg.host}/ci/mirror@${digest}`);
  const all = await readFile(env.GITHUB_STEP_SUMMARY, 'utf8');
  assert.deepEqual([...all.matchAll(/^### ocipack (\w+)$/gm)].map((m) => m[1]), ['push', 'pull', 'tag', 'copy', 'sign']);
  assert.match(all, /^\| `[^`]+:v1` \| `sha256:[0-9a-f]{64}` \| — \| — \| key sha256:[0-9a-f]{64} \| — \|$/m, 'sign names the key');
  assert.equal((await readFile(env.OCIPACK_DOTENV, 'utf8')).match(/^OCIPACK_DIGEST=/gm)?.length, 1, 'one value per key');
});

test('--no-ci-outputs and a dry run write nothing; outside GitHub Actions no annotation is printed', async () => {
  const env = { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: join(work, 'none-output'), GITHUB_STEP_SUMMARY: join(work, 'none-summary') };
  const off = await ocipack(['push', `oci://${reg.host}/ci/off:v1`, '-f', 'deploy', '--no-ci-outputs'], { env, cwd: work });
  assert.equal(off.code, 0, off.stderr);
  assert.ok(!off.stderr.includes('::warning'), off.stderr);
  const dry = await ocipack(['push', `oci://${reg.host}/ci/off:v2`, '-f', 'deploy', '--dry-run'], { env, cwd: work });
  assert.equal(dry.code, 0, dry.stderr);
  await assert.rejects(readFile(env.GITHUB_OUTPUT), { code: 'ENOENT' });
  await assert.rejects(readFile(env.GITHUB_STEP_SUMMARY), { code: 'ENOENT' });
  const plain = await ocipack(['push', `oci://${reg.host}/ci/off:v3`, '-f', 'deploy'], { cwd: work });
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(plain.stderr.includes('⚠ skipping symlink') && !plain.stderr.includes('::'), plain.stderr);
});

test('an error on GitHub Actions is also an ::error:: annotation; an unwritable GITHUB_OUTPUT fails the step', async () => {
  const env = { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: join(work, 'no-such-dir', 'out') };
  const bad = await ocipack(['pull', `oci://${reg.host}/ci/missing:v1`, '-o', join(work, 'x')], { env, cwd: work });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /^::error::pull failed: /m);
  const unwritable = await ocipack(['push', `oci://${reg.host}/ci/app:v9`, '-f', 'deploy/app.yaml'], { env, cwd: work });
  assert.equal(unwritable.code, 1, unwritable.stderr);
  assert.match(unwritable.stderr, /cannot write the job outputs to .*no-such-dir/);
});
