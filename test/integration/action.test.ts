/**
 * The GitHub Action (issue 28 §1): the committed bundle is what the sources build, and
 * `@github/local-action run . action/main.js <env-file>` (inputs in, as the runner passes them) pushes
 * to the real registry and hands the digest to a second run that pulls by it, with job outputs and
 * a step summary written; a refused push fails the step with an annotation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { localAction } from '../helpers/localaction.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const exec = promisify(execFile);

let reg: Awaited<ReturnType<typeof startRegistry>>;
let work: string;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  work = await tempDir('ocipack-action-');
  await mkdir(join(work, 'deploy'));
  await writeFile(join(work, 'deploy', 'app.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n');
});
after(async () => {
  await reg?.stop();
});

/** The committed text of a file: git's HEAD in a checkout, else the file itself (an unpacked tarball has no history). */
async function committed(path: string): Promise<string> {
  try {
    return (await exec('git', ['show', `HEAD:${path}`], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    const inGit = await exec('git', ['rev-parse', '--is-inside-work-tree'], { cwd: ROOT }).then(() => true, () => false);
    if (inGit) throw new Error(`${path} is not committed: run npm run build and commit action/ (${String(err)})`);
    return readFile(join(ROOT, path), 'utf8');
  }
}

test('action/main.js and action/index.js as committed are what npm run build makes from the sources', async () => {
  const out = await tempDir('ocipack-bundle-');
  const { bundleAction } = (await import(join(ROOT, 'scripts', 'bundle-action.mjs'))) as { bundleAction: (dir: string) => Promise<void> };
  await bundleAction(out);
  for (const name of ['main.js', 'index.js']) {
    const fresh = await readFile(join(out, name), 'utf8');
    assert.ok(fresh === (await committed(`action/${name}`)), `action/${name} differs from a fresh build: run npm run build and commit action/`);
  }
  const yml = await readFile(join(ROOT, 'action.yml'), 'utf8');
  assert.match(yml, /^runs:\n {2}using: node24\n {2}main: action\/index\.js\n/m);
});


/** GitHub's output file → name → values (the heredoc syntax). */
function parseOutputs(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of text.matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) (out[m[1]!] ??= []).push(m[3]!);
  return out;
}

test('local-action: push with inputs to the loopback registry, outputs and summary written; a second run pulls by the digest output', async () => {
  const runner = { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: work, GITHUB_OUTPUT: join(work, 'output'), GITHUB_STEP_SUMMARY: join(work, 'summary') };
  const ref = `oci://${reg.host}/action/app:v1`;
  const push = await localAction(work, 'push', {
    ...runner, INPUT_COMMAND: 'push', INPUT_REF: ref, INPUT_PATH: join(work, 'deploy'),
    INPUT_SOURCE: 'https://github.com/org/app', INPUT_REVISION: 'main@sha1:0123456789abcdef0123456789abcdef01234567',
    INPUT_ARGS: "--reproducible\n-a 'team=platform ops'", 'INPUT_SIGN-KEYLESS': 'false', INPUT_PROVENANCE: 'false',
  });
  assert.equal(push.code, 0, `${push.stdout}\n${push.stderr}`);
  const out = parseOutputs(await readFile(runner.GITHUB_OUTPUT, 'utf8'));
  const digest = out.digest?.[0] ?? '';
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(out, { digest: [digest], ref: [`${reg.host}/action/app@${digest}`], url: [ref] });
  const summary = await readFile(runner.GITHUB_STEP_SUMMARY, 'utf8');
  assert.ok(summary.includes(`| \`${reg.host}/action/app:v1\` | \`${digest}\` |`), summary);

  // the next step takes the digest-pinned ref output, without a line of shell
  const pull = await localAction(work, 'pull', { ...runner, INPUT_COMMAND: 'pull', INPUT_REF: out.ref![0]!, INPUT_PATH: join(work, 'pulled'), INPUT_ARGS: '--format json' });
  assert.equal(pull.code, 0, `${pull.stdout}\n${pull.stderr}`);
  assert.equal(await readFile(join(work, 'pulled', 'app.yaml'), 'utf8'), await readFile(join(work, 'deploy', 'app.yaml'), 'utf8'));
  const pulled = JSON.parse(pull.stdout.slice(pull.stdout.indexOf('{\n'), pull.stdout.indexOf('\n}\n') + 2)) as { revision: string; digest: string };
  assert.equal(pulled.digest, digest);
  assert.equal(pulled.revision, 'main@sha1:0123456789abcdef0123456789abcdef01234567');
  assert.deepEqual(parseOutputs(await readFile(runner.GITHUB_OUTPUT, 'utf8')).digest, [digest, digest]);
});

test('local-action: a refused push fails the step with an ::error file=…:: annotation; an input a command cannot use is a usage error', async () => {
  await writeFile(join(work, 'deploy', '.env'), 'TOKEN=abc\n');
  const runner = { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: work };
  const refused = await localAction(work, 'refused', { ...runner, INPUT_COMMAND: 'push', INPUT_REF: `oci://${reg.host}/action/app:v2`, INPUT_PATH: join(work, 'deploy') });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stdout + refused.stderr, /::error file=deploy\/\.env,line=1::a \.env file with KEY=VALUE lines; --allow-secrets pushes it anyway/);
  const misuse = await localAction(work, 'misuse', { ...runner, INPUT_COMMAND: 'tag', INPUT_REF: `oci://${reg.host}/action/app:v1`, INPUT_SOURCE: 'x' });
  assert.notEqual(misuse.code, 0);
  assert.match(misuse.stdout + misuse.stderr, /input source does not apply to the tag command/);
});
