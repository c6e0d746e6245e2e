/** CI outputs and annotations (issue 28 §2, §3): pure formatting, escaping, and the files written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotator, escapeData, escapeProperty, workflowCommand } from '../../../src/cli/annotations.js';
import { ciTargets, dotenvText, githubOutputText, observeFacts, summaryMarkdown, writeCiOutputs, type CiFacts } from '../../../src/cli/ci-outputs.js';
import { artifactOutputs } from '../../../src/cli/ci-results.js';
import type { ProgressEvent } from '../../../src/core/events.js';

const D = `sha256:${'a'.repeat(64)}`;

test('workflow commands: data escapes %, CR, LF; properties also : and ,', () => {
  assert.equal(escapeData('50% done\r\nnext'), '50%25 done%0D%0Anext');
  assert.equal(escapeProperty('a:b,c%\n'), 'a%3Ab%2Cc%25%0A');
  assert.equal(workflowCommand('warning', 'big file', 'deploy/a.yaml', 3), '::warning file=deploy/a.yaml,line=3::big file\n');
  assert.equal(workflowCommand('error', 'no file'), '::error::no file\n');
  assert.equal(workflowCommand('error', 'no line for no file', undefined, 3), '::error::no line for no file\n');
});

test('annotations: a hostile file name cannot start a workflow command of its own', () => {
  const name = 'x\n::add-mask::secret,line=1::y%0A';
  const line = workflowCommand('warning', `skipping symlink "${name}"`, name);
  assert.equal(line.split('\n').length, 2, 'one line and its newline');
  assert.ok(line.startsWith('::warning file=x%0A%3A%3Aadd-mask%3A%3Asecret%2Cline=1%3A%3Ay%250A::'), line);
  assert.ok(!line.slice(2).includes('\n::'), line);
  // terminal escapes are made visible in the message too
  assert.ok(!workflowCommand('error', 'a\u001b[31mred').includes('\u001b'));
});

test('Annotator: only on GitHub Actions; files relative to GITHUB_WORKSPACE, none outside it', () => {
  assert.equal(Annotator.forEnv({}, '/w'), undefined);
  assert.equal(Annotator.forEnv({ GITHUB_ACTIONS: 'false' }, '/w'), undefined);
  const a = Annotator.forEnv({ GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: '/w' }, '/w/sub')!;
  assert.equal(a.line('warning', 'm', { file: 'deploy/x.yaml', line: 2 }), '::warning file=sub/deploy/x.yaml,line=2::m\n');
  assert.equal(a.line('warning', 'm', { file: '/w/a.yaml' }), '::warning file=a.yaml::m\n');
  assert.equal(a.line('warning', 'm', { file: '/tmp/stdin', line: 4 }), '::warning::m\n', 'a temp file is not in the repository');
});

test('GITHUB_OUTPUT: the heredoc syntax, a value holding the delimiter refused', () => {
  assert.equal(githubOutputText({ digest: D, url: 'oci://h/r:v1' }, 'EOF1'), `digest<<EOF1\n${D}\nEOF1\nurl<<EOF1\noci://h/r:v1\nEOF1\n`);
  assert.match(githubOutputText({ a: 'b' }), /^a<<ghadelimiter_[0-9a-f-]{36}\nb\nghadelimiter_/);
  assert.throws(() => githubOutputText({ a: 'x EOF1' }, 'EOF1'), /delimiter/);
});

test('dotenv: OCIPACK_ keys, a value with a line break left out', () => {
  assert.equal(dotenvText({ digest: D, ref: `h/r@${D}`, url: 'oci://h/r:v1' }), `OCIPACK_DIGEST=${D}\nOCIPACK_REF=h/r@${D}\nOCIPACK_URL=oci://h/r:v1\n`);
  assert.equal(dotenvText({ digest: D, ref: 'a\nb', url: 'u' }), `OCIPACK_DIGEST=${D}\nOCIPACK_URL=u\n`);
});

test('summary: one table row; a | or a line break in a value cannot break the table', () => {
  const md = summaryMarkdown('push', { digest: D, ref: 'r', url: 'u' }, { artifact: 'h/r:v|1', size: 2048, files: 3, signedBy: 'key ab\ncd' });
  assert.match(md, /^### ocipack push\n\n\| artifact \| digest \| size \| files \| signed by \| provenance \|\n/);
  const row = md.split('\n')[4]!;
  assert.equal(row, `| \`h/r:v\\|1\` | \`${D}\` | 2.0 KiB | 3 | key ab cd | — |`);
});

test('artifactOutputs: each command result shape → digest, pinned ref, url; dry runs give none', () => {
  assert.deepEqual(artifactOutputs('push', { url: 'oci://h/r:v1', repository: 'h/r', tag: 'v1', digest: D }, false)?.outputs, { digest: D, ref: `h/r@${D}`, url: 'oci://h/r:v1' });
  // push prints flux's digest URL as `url`: the output stays the tag URL (`ref` pins the digest)
  assert.deepEqual(artifactOutputs('push', { url: `oci://h/r@${D}`, tagUrl: 'oci://h/r:v1', repository: 'h/r', tag: 'v1', tags: ['v1', 'latest'], digest: D }, false)?.outputs, { digest: D, ref: `h/r@${D}`, url: 'oci://h/r:v1' });
  assert.equal(artifactOutputs('push', { url: 'oci://h/r:v1', repository: 'h/r', tag: 'v1', digest: D, dryRun: true }, false), undefined);
  const pull = artifactOutputs('pull', { url: 'oci://h/r:v1', repository: 'h/r', tag: 'v1', digest: D, layer: { size: 10 } }, false)!;
  assert.equal(pull.size, 10);
  assert.deepEqual(artifactOutputs('tag', { repository: 'h/r', digest: D, tags: ['latest', 'v1'] }, false)?.outputs, { digest: D, ref: `h/r@${D}`, url: 'oci://h/r:latest' });
  const copy = artifactOutputs('copy', { source: 'a/b:v1', destination: 'h/m:v1', digest: D, tag: 'v1', bytes: 99 }, false)!;
  assert.deepEqual(copy.outputs, { digest: D, ref: `h/m@${D}`, url: 'oci://h/m:v1' });
  assert.equal(copy.size, 99);
  assert.deepEqual(artifactOutputs('copy', { destination: './lay', digest: D }, true)?.outputs, { digest: D, ref: `./lay@${D}`, url: `./lay@${D}` });
  const signed = artifactOutputs('sign', { url: 'oci://h/r:v1', repository: 'h/r', digest: D, keyFingerprint: 'SHA256:xy' }, false)!;
  assert.equal(signed.signedBy, 'key SHA256:xy');
  const keyless = artifactOutputs('push', { url: 'u', repository: 'h/r', tag: 'v1', digest: D, signature: { identity: 'https://github.com/o/r/.github/workflows/ci.yml@refs/heads/main' }, provenance: { referrer: `sha256:${'b'.repeat(64)}` } }, false)!;
  assert.equal(keyless.signedBy, 'https://github.com/o/r/.github/workflows/ci.yml@refs/heads/main');
  assert.equal(keyless.provenance, `sha256:${'b'.repeat(64)}`);
  assert.equal(artifactOutputs('push', { repository: 'h/r' }, false), undefined, 'no digest, no outputs');
});

test('ciTargets: from the environment and --dotenv/OCIPACK_DOTENV; --no-ci-outputs turns all off', () => {
  assert.equal(ciTargets({}, {}), undefined);
  assert.deepEqual(ciTargets({ GITHUB_OUTPUT: '/o', GITHUB_STEP_SUMMARY: '/s', OCIPACK_DOTENV: '/e' }, {}), { githubOutput: '/o', stepSummary: '/s', dotenv: '/e' });
  assert.deepEqual(ciTargets({ OCIPACK_DOTENV: '/e' }, { dotenv: '/f' }), { dotenv: '/f' });
  assert.equal(ciTargets({ GITHUB_OUTPUT: '/o' }, { ciOutputs: false }), undefined);
});

test('observeFacts: layer size and file count from the pack events, every event passed on', () => {
  const facts: CiFacts = {};
  const seen: ProgressEvent[] = [];
  const on = observeFacts(facts, (e) => seen.push(e));
  on({ type: 'blob:progress', action: 'pack', bytes: 0, total: 10, files: 2 });
  on({ type: 'blob:done', action: 'pack', size: 77 });
  on({ type: 'step', message: 'x' });
  assert.deepEqual(facts, { files: 2, size: 77 });
  assert.equal(seen.length, 3);
});

test('writeCiOutputs: appends outputs and summary, replaces the OCIPACK_ keys of a dotenv file, skips other commands', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-ci-'));
  const t = { githubOutput: join(dir, 'out'), stepSummary: join(dir, 'sum'), dotenv: join(dir, 'build.env') };
  await writeFile(t.githubOutput, 'before=1\n');
  await writeFile(t.dotenv, 'OTHER=1\nOCIPACK_DIGEST=old\n');
  const result = { url: 'oci://h/r:v1', repository: 'h/r', tag: 'v1', digest: D };
  assert.deepEqual(await writeCiOutputs('push', result, { size: 5, files: 1 }, t, false), ['job outputs', 'step summary', 'dotenv report']);
  await writeCiOutputs('sign', { ...result, keyFingerprint: 'k' }, {}, t, false);
  const out = await readFile(t.githubOutput, 'utf8');
  assert.ok(out.startsWith('before=1\ndigest<<'));
  assert.equal(out.match(/^digest<</gm)?.length, 2);
  assert.equal((await readFile(t.stepSummary, 'utf8')).match(/^### ocipack (push|sign)$/gm)?.length, 2);
  assert.equal(await readFile(t.dotenv, 'utf8'), `OTHER=1\nOCIPACK_DIGEST=${D}\nOCIPACK_REF=h/r@${D}\nOCIPACK_URL=oci://h/r:v1\n`);
  assert.deepEqual(await writeCiOutputs('list', result, {}, t, false), []);
  await assert.rejects(writeCiOutputs('push', result, {}, { githubOutput: join(dir, 'missing', 'out') }, false), /cannot write the job outputs/);
});
