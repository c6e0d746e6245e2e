/**
 * The README's CI recipes (issue 28 §5), read out of README.md and run against the loopback registry
 * (htpasswd auth, the registry standing in for ghcr.io / the GitLab registry): the YAML is parsed and each
 * step's `uses:` (the action, through @github/local-action), `run:` or `script:` line is run the way the
 * runner would, `${{ … }}` expressions filled from a small context (steps' outputs included); the shell
 * recipe runs as written. `npx --yes ocipack` is the ocipack under test (a shim on PATH). Keyless signing
 * needs Sigstore's services: here `sign-keyless`/`provenance`/`--sign-keyless` are left out, and the
 * keyless tests cover them against mock services.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { BIN, runProcess, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const USER = 'ci-bot';
const PASSWORD = 'ci-secret';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let blocks: Array<{ lang: string; text: string }>;

before(async () => {
  reg = await startRegistry({ auth: 'htpasswd', users: { [USER]: PASSWORD } });
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## CI recipes\n');
  assert.ok(start >= 0, 'README has a "## CI recipes" section');
  const body = readme.slice(start, readme.indexOf('\n## ', start + 1));
  blocks = [...body.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] ?? '', text: m[2] ?? '' }));
});
after(async () => {
  await reg?.stop();
});

/** A workspace with ./deploy, a HOME of its own, and `npx` on PATH running the ocipack under test. */
async function workspace(): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await tempDir('ocipack-recipe-');
  await mkdir(join(dir, 'deploy'));
  await writeFile(join(dir, 'deploy', 'app.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n');
  await mkdir(join(dir, 'bin'));
  const npx = `#!/bin/sh\nwhile [ "$1" = --yes ] || [ "$1" = -y ]; do shift; done\ncase "$1" in ocipack|ocipack@*) shift ;; *) echo "npx $1: not in this test" >&2; exit 99 ;; esac\nexec "${process.execPath}" "${BIN}" "$@"\n`;
  await writeFile(join(dir, 'bin', 'npx'), npx);
  await chmod(join(dir, 'bin', 'npx'), 0o755);
  await mkdir(join(dir, 'home'));
  return { dir, env: { PATH: [join(dir, 'bin'), dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(':'), HOME: join(dir, 'home'), NO_COLOR: '1' } };
}

/** Runs one shell line (or script) with bash, as both runners do; fails the test on a non-zero exit. */
async function sh(script: string, env: Record<string, string>, cwd: string): Promise<string> {
  const r = await runProcess('bash', ['-e', '-c', script], { env, cwd });
  assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `${{ a.b.c }}` filled from `ctx`; an expression the context does not have fails the test. */
function expand(text: string, ctx: Record<string, unknown>): string {
  return text.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_m, path: string) => {
    const v = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], ctx);
    assert.equal(typeof v, 'string', `the recipe uses \${{ ${path} }}, which this runner does not know`);
    return v as string;
  });
}

/** The line without `--sign-keyless` and `--provenance` (they need Sigstore's services; the keyless tests run them against mocks). */
function withoutKeyless(t: TestContext, line: string): string {
  const out = line.replace(/ --sign-keyless| --provenance/g, '');
  if (out !== line) t.diagnostic(`--sign-keyless/--provenance left out of: ${line}`);
  return out;
}

/** GitHub's output file → name → value (last one wins). */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) out[m[1]!] = m[3]!;
  return out;
}

interface Step { id?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> }

/** Runs a workflow's one job the way the runner does, the action through @github/local-action. */
async function runWorkflow(t: TestContext, yamlText: string): Promise<{ dir: string; outputs: Record<string, Record<string, string>> }> {
  const wf = parse(yamlText) as { env?: Record<string, string>; jobs: Record<string, { steps: Step[] }> };
  const { dir, env } = await workspace();
  const github = { sha: '0123456789abcdef0123456789abcdef01234567', actor: USER, repository: 'Org/App', workspace: dir };
  const wfEnv = { ...(wf.env ?? {}), REGISTRY: reg.host }; // the loopback registry stands in for ghcr.io
  const steps: Record<string, { outputs: Record<string, string> }> = {};
  const [job] = Object.values(wf.jobs);
  for (const [n, step] of (job?.steps ?? []).entries()) {
    if (step.uses?.startsWith('actions/')) continue; // checkout, setup-node: the workspace and Node are here already
    const ctx = { github, env: wfEnv, secrets: { GITHUB_TOKEN: PASSWORD }, steps };
    const output = join(dir, `output-${n}`);
    await writeFile(output, '');
    const runner = {
      ...env, ...wfEnv, GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: dir, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: join(dir, 'summary'),
      GITHUB_SHA: github.sha, GITHUB_ACTOR: USER, GITHUB_REPOSITORY: github.repository, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REF_NAME: 'main',
    };
    if (step.uses !== undefined) {
      assert.match(step.uses, /^OWNER\/ocipack@/, 'the only action a recipe uses besides actions/* is this one');
      const inputs: Record<string, string> = {};
      for (const [k, v] of Object.entries(step.with ?? {})) inputs[`INPUT_${k.toUpperCase()}`] = expand(String(v), ctx);
      for (const k of ['INPUT_SIGN-KEYLESS', 'INPUT_PROVENANCE']) {
        if (inputs[k] === undefined) continue;
        t.diagnostic(`step ${n}: ${k.slice(6).toLowerCase()}: ${inputs[k]} left out (keyless signing needs Sigstore's services)`);
        delete inputs[k];
      }
      const envFile = join(dir, `step-${n}.env`);
      await writeFile(envFile, Object.entries({ ...runner, ...inputs }).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n'));
      const r = await runProcess(process.execPath, [join(ROOT, 'node_modules/@github/local-action/bin/local-action.js'), 'run', ROOT, 'action/main.js', envFile], {
        env: { ...env, npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_cache: join(dir, 'npm-cache') }, cwd: ROOT,
      });
      assert.equal(r.code, 0, `step ${n} (${step.uses})\n${r.stdout}\n${r.stderr}`);
    } else {
      assert.ok(step.run, `step ${n} has uses: or run:`);
      const stepEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(step.env ?? {})) stepEnv[k] = expand(String(v), ctx);
      await sh(withoutKeyless(t, expand(step.run, ctx)), { ...runner, ...stepEnv }, dir);
    }
    if (step.id !== undefined) steps[step.id] = { outputs: parseOutputs(await readFile(output, 'utf8')) };
  }
  return { dir, outputs: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, v.outputs])) };
}

test('README: the GitHub Actions recipe with the action pushes, tags and pulls by the digest output, no shell', async (t) => {
  const recipe = blocks.find((b) => b.lang === 'yaml' && b.text.includes('uses: OWNER/ocipack@'));
  assert.ok(recipe, 'a recipe that uses the action');
  const { dir, outputs } = await runWorkflow(t, recipe.text);
  assert.match(outputs.push?.digest ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.equal(outputs.push?.ref, `${reg.host}/org/app/manifests@${outputs.push?.digest}`);
  assert.equal(await readFile(join(dir, 'pulled', 'app.yaml'), 'utf8'), await readFile(join(dir, 'deploy', 'app.yaml'), 'utf8'));
  assert.match(await readFile(join(dir, 'summary'), 'utf8'), /^### ocipack tag$/m);
});

test('README: the GitHub Actions recipe with npx logs in, pushes, tags latest and verifies by the ref output', async (t) => {
  const recipe = blocks.find((b) => b.lang === 'yaml' && b.text.includes('npx --yes ocipack push') && b.text.includes('jobs:'));
  assert.ok(recipe, 'a recipe that runs npx');
  const { outputs } = await runWorkflow(t, recipe.text);
  assert.equal(outputs.push?.url, `oci://${reg.host}/org/app/manifests:0123456789ab`, 'the repository lowercased, the short SHA as tag');
});

test('README: the GitLab CI recipe pushes with a dotenv report whose OCIPACK_REF the deploy job pulls', async (t) => {
  const recipe = blocks.find((b) => b.lang === 'yaml' && b.text.includes('.gitlab-ci.yml'));
  assert.ok(recipe, 'a GitLab recipe');
  const jobs = parse(recipe.text) as Record<string, { script: string[]; id_tokens?: Record<string, { aud: string }>; artifacts?: { reports?: { dotenv?: string } } }>;
  assert.deepEqual(jobs['push-manifests']?.id_tokens, { SIGSTORE_ID_TOKEN: { aud: 'sigstore' } }, 'keyless signing gets its OIDC token');
  const { dir, env } = await workspace();
  const ci = { ...env, GITLAB_CI: 'true', CI_REGISTRY: reg.host, CI_REGISTRY_USER: USER, CI_REGISTRY_PASSWORD: PASSWORD, CI_REGISTRY_IMAGE: `${reg.host}/group/project`, CI_COMMIT_SHORT_SHA: '01234567' };
  for (const line of jobs['push-manifests']!.script) {
    await sh(withoutKeyless(t, line), ci, dir);
  }
  const report = await readFile(join(dir, jobs['push-manifests']!.artifacts!.reports!.dotenv!), 'utf8');
  const vars = Object.fromEntries(report.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.match(vars.OCIPACK_REF ?? '', new RegExp(`^${reg.host}/group/project/manifests@sha256:[0-9a-f]{64}$`));
  const deploy = await workspace();
  await sh(`echo "$CI_REGISTRY_PASSWORD" | npx --yes ocipack login "$CI_REGISTRY" -u "$CI_REGISTRY_USER" --password-stdin`, { ...ci, HOME: deploy.env.HOME! }, deploy.dir);
  for (const line of jobs['deploy-manifests']!.script) await sh(line, { ...ci, ...vars, HOME: deploy.env.HOME! }, deploy.dir);
  assert.equal(await readFile(join(deploy.dir, 'deploy', 'app.yaml'), 'utf8'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n');
});

test('README: the generic shell recipe runs as written', async () => {
  const recipe = blocks.find((b) => b.lang === 'sh');
  assert.ok(recipe, 'a shell recipe');
  const { dir, env } = await workspace();
  await sh(`printf '%s' "$PW" | "${process.execPath}" "${BIN}" login "$REGISTRY" -u ${USER} --password-stdin`, { ...env, REGISTRY: reg.host, PW: PASSWORD }, dir);
  await sh(recipe.text, { ...env, REGISTRY: reg.host, BUILD_ID: '42' }, dir);
  assert.equal(await readFile(join(dir, 'pulled', 'app.yaml'), 'utf8'), await readFile(join(dir, 'deploy', 'app.yaml'), 'utf8'));
  // push wrote the file; pull by the pinned ref replaced its keys
  assert.match(await readFile(join(dir, 'ocipack.env'), 'utf8'), /^OCIPACK_REF=127\.0\.0\.1:\d+\/org\/app\/manifests@sha256:[0-9a-f]{64}$/m);
});
