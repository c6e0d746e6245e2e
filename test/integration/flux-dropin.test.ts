/**
 * ocipack as a drop-in for the flux CLI's artifact commands: every example command line of
 * `flux push|pull|tag|build|diff artifact` and `flux list artifacts` (flux2 cmd/flux/*_artifact.go, v2.x docs)
 * runs through bash as written, with `flux <verb> artifact(s)` mapped to `ocipack <verb>` and the registry
 * host pointed at a real local registry; then every flux flag of each command at once (except --provider).
 * Also the drop-in extras: `version`, `-q`, `-o json|yaml` beside `--format`, JSON fields, `completion`,
 * and a user `org.opencontainers.image.created` annotation honoured or refused.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN, ocipack, runProcess, tempDir, type CliResult } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';

const exec = promisify(execFile);
let reg: Awaited<ReturnType<typeof startRegistry>>;
let repo: string;
let sha: string;

/** The flux CLI as a shell function over ocipack: the only thing changed in the examples below. */
const SHIM = `
set -e -o pipefail
ocipack() { "${process.execPath}" "${BIN}" "$@"; }
flux() {
  local verb="$1" kind="$2"; shift 2
  case "$verb $kind" in
    "push artifact") ocipack push "$@";;
    "pull artifact") ocipack pull "$@";;
    "tag artifact") ocipack tag "$@";;
    "list artifacts") ocipack list "$@";;
    "diff artifact") ocipack diff "$@";;
    "build artifact") ocipack build "$@";;
    *) echo "not a flux artifact command: $verb $kind" >&2; return 99;;
  esac
}
docker() { cat > /dev/null; }                       # \`docker login\`: this registry needs no login
kustomize() { cat ./path/to/local/manifest.yaml; }  # \`kustomize build .\`: some manifests on stdout
cosign() { printf '%s\\n' "$*" > cosign.args; }      # \`cosign sign <ref>\`: record what it would sign
`;

/** Run a flux example in the git checkout; only `oci://ghcr.io/` and `oci://docker.io/` are pointed at `reg`. */
function runExample(script: string, env: Record<string, string> = {}): Promise<CliResult> {
  const local = script.replaceAll('oci://ghcr.io/', `oci://${reg.host}/`).replaceAll('oci://docker.io/', `oci://${reg.host}/`);
  const fullEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: repo, NO_COLOR: '1', ...env };
  return runProcess('bash', ['-c', SHIM + local], { env: fullEnv, cwd: repo });
}

async function git(...args: string[]): Promise<string> {
  const { stdout } = await exec('git', args, { cwd: repo });
  return stdout.trim();
}

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  repo = await tempDir('ocipack-flux-');
  await mkdir(join(repo, 'path/to/local/manifests'), { recursive: true });
  await mkdir(join(repo, 'kustomize'));
  await writeFile(join(repo, 'path/to/local/manifests/deploy.yaml'), 'kind: Deployment\n');
  await writeFile(join(repo, 'path/to/local/manifests/logo.png'), 'not shipped: flux ignores *.png');
  await writeFile(join(repo, 'path/to/local/manifest.yaml'), 'kind: ConfigMap\n');
  await writeFile(join(repo, 'kustomize/kustomization.yaml'), 'resources: []\n');
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.email', 'ci@example.com');
  await git('config', 'user.name', 'ci');
  await git('remote', 'add', 'origin', 'https://github.com/org/app.git');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'manifests');
  await git('tag', 'v1.0.0');
  sha = await git('rev-parse', 'HEAD');
  // what the pull/tag/diff examples read: an artifact flux's own docs assume exists
  for (const ref of ['org/manifests/app:v0.0.1', 'stefanprodan/manifests/podinfo:6.2.0']) {
    const r = await ocipack(['push', `oci://${reg.host}/${ref}`, '-f', join(repo, 'kustomize'), '--source', 'x', '--revision', 'y']);
    assert.equal(r.code, 0, r.stderr);
  }
});
after(async () => {
  await reg?.stop();
});

test('flux push artifact: each example from flux\'s docs', async () => {
  const short = sha.slice(0, 7);
  const ghcr = await runExample(`
  echo $GITHUB_PAT | docker login ghcr.io --username flux --password-stdin
  flux push artifact oci://ghcr.io/org/config/app:$(git rev-parse --short HEAD) \\
	--path="./path/to/local/manifests" \\
	--source="$(git config --get remote.origin.url)" \\
	--revision="$(git branch --show-current)@sha1:$(git rev-parse HEAD)"
`, { GITHUB_PAT: 'unused' });
  assert.equal(ghcr.code, 0, ghcr.stderr);
  assert.match(ghcr.stderr, new RegExp(`✔ artifact successfully pushed to ${reg.host}/org/config/app@sha256:`));

  // flux's docs write `digest_url = $(…)` (spaces around `=`, which bash runs as a command): assigned here
  const signed = await runExample(`
  digest_url=$(flux push artifact \\
	oci://ghcr.io/org/config/app:$(git rev-parse --short HEAD) \\
	--source="$(git config --get remote.origin.url)" \\
	--revision="$(git branch --show-current)@sha1:$(git rev-parse HEAD)" \\
	--path="./path/to/local/manifest.yaml" \\
	--output json | \\
	jq -r '. | .repository + "@" + .digest')
  cosign sign $digest_url
`);
  assert.equal(signed.code, 0, signed.stderr);
  assert.match(await readFile(join(repo, 'cosign.args'), 'utf8'), new RegExp(`^sign ${reg.host}/org/config/app@sha256:[0-9a-f]{64}\\n$`));

  // flux's docs end the first line with `\\ ` (a space after the backslash ends the command there): without it here
  const stdin = await runExample(`
  kustomize build . | flux push artifact oci://ghcr.io/org/config/app:$(git rev-parse --short HEAD) -f - \\
    --source="$(git config --get remote.origin.url)" \\
    --revision="$(git branch --show-current)@sha1:$(git rev-parse HEAD)" \\
    --annotations='org.opencontainers.image.licenses=Apache-2.0' \\
    --annotations='org.opencontainers.image.documentation=https://app.org/docs' \\
    --annotations='org.opencontainers.image.description=Production config.'
`);
  assert.equal(stdin.code, 0, stdin.stderr);
  const inspected = await ocipack(['inspect', `oci://${reg.host}/org/config/app:${short}`, '-o', 'json']);
  const annotations = (JSON.parse(inspected.stdout) as { annotations: Record<string, string> }).annotations;
  assert.equal(annotations['org.opencontainers.image.description'], 'Production config.');
  assert.equal(annotations['org.opencontainers.image.licenses'], 'Apache-2.0');
  assert.equal(annotations['org.opencontainers.image.source'], 'https://github.com/org/app.git');
  assert.equal(annotations['org.opencontainers.image.revision'], `main@sha1:${sha}`);

  const single = await runExample(`
  echo $GITHUB_PAT | docker login ghcr.io --username flux --password-stdin
  flux push artifact oci://ghcr.io/org/config/app:$(git rev-parse --short HEAD) \\
	--path="./path/to/local/manifest.yaml" \\
	--source="$(git config --get remote.origin.url)" \\
	--revision="$(git branch --show-current)@sha1:$(git rev-parse HEAD)"
`);
  assert.equal(single.code, 0, single.stderr);

  const hub = await runExample(`
  echo $DOCKER_PAT | docker login --username flux --password-stdin
  flux push artifact oci://docker.io/org/app-config:$(git tag --points-at HEAD) \\
	--path="./path/to/local/manifests" \\
	--source="$(git config --get remote.origin.url)" \\
	--revision="$(git tag --points-at HEAD)@sha1:$(git rev-parse HEAD)"
`, { DOCKER_PAT: 'unused' });
  assert.equal(hub.code, 0, hub.stderr);

  const creds = await runExample(`
  flux push artifact oci://docker.io/org/app-config:$(git tag --points-at HEAD) \\
	--path="./path/to/local/manifests" \\
	--source="$(git config --get remote.origin.url)" \\
	--revision="$(git tag --points-at HEAD)@sha1:$(git rev-parse HEAD)" \\
	--creds flux:$DOCKER_PAT
`, { DOCKER_PAT: 'a-token' });
  assert.equal(creds.code, 0, creds.stderr);
  const pulled = await tempDir();
  const back = await ocipack(['pull', `oci://${reg.host}/org/app-config:v1.0.0`, '-o', pulled]);
  assert.equal(back.code, 0, back.stderr);
  assert.equal(await readFile(join(pulled, 'deploy.yaml'), 'utf8'), 'kind: Deployment\n');
  await assert.rejects(readFile(join(pulled, 'logo.png')), /ENOENT/, 'flux\'s default ignore list applies');
});

test('flux pull, tag, list, diff and build artifact: each example from flux\'s docs', async () => {
  const pull = await runExample('flux pull artifact oci://ghcr.io/org/manifests/app:v0.0.1 --output ./path/to/local/manifests');
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal(await readFile(join(repo, 'path/to/local/manifests/kustomization.yaml'), 'utf8'), 'resources: []\n');

  const tag = await runExample('flux tag artifact oci://ghcr.io/org/manifests/app:v0.0.1 --tag latest');
  assert.equal(tag.code, 0, tag.stderr);
  const list = await runExample('flux list artifacts oci://ghcr.io/org/manifests/app');
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ARTIFACT\s+DIGEST\s+SOURCE\s+REVISION/);
  assert.match(list.stdout, new RegExp(`${reg.host}/org/manifests/app:latest\\s+sha256:`));
  assert.match(list.stdout, new RegExp(`${reg.host}/org/manifests/app:v0.0.1\\s+sha256:`));

  // The diff example's reference has two tags (`manifests:podinfo:6.2.0`): flux rejects it, and so does ocipack.
  const typo = await runExample('flux diff artifact oci://ghcr.io/stefanprodan/manifests:podinfo:6.2.0 --path=./kustomize');
  assert.equal(typo.code, 2, typo.stderr);
  assert.match(typo.stderr, /reference/i);
  const diff = await runExample('flux diff artifact oci://ghcr.io/stefanprodan/manifests/podinfo:6.2.0 --path=./kustomize');
  assert.equal(diff.code, 0, diff.stderr);

  const build = await runExample(`
  flux build artifact --path ./path/to/local/manifests --output ./path/to/artifact.tgz
  flux build artifact --path ./path/to/local/manifest.yaml --output ./path/to/artifact.tgz
  tar -ztvf ./path/to/artifact.tgz
`);
  assert.equal(build.code, 0, build.stderr);
  assert.match(build.stdout, /manifest\.yaml$/m);
  const short = await runExample('flux build artifact -p ./kustomize && tar -ztf artifact.tgz');
  assert.equal(short.code, 0, short.stderr);
  assert.equal(short.stdout, 'kustomization.yaml\n', '-p is --path and -o defaults to artifact.tgz, as in flux');
});

test('every flux flag of each artifact command is accepted with flux\'s meaning (--provider aside)', async () => {
  await mkdir(join(repo, 'flags-src'));
  for (const [name, body] of Object.entries({ '.gitignore': 'x\n', 'deploy.yaml': 'kind: Deployment\n', 'logo.png': 'png', 'skip.yaml': 'skip\n' })) {
    await writeFile(join(repo, 'flags-src', name), body);
  }
  const r = await runExample(`
  flux push artifact oci://ghcr.io/org/all/flags:v1 --path=./flags-src --source=src --revision=rev \\
    --creds flux:pat --ignore-paths '*.png' --add-ignore-paths 'skip.yaml' -a k=v --annotations k2=v2 \\
    --output yaml --debug --reproducible --insecure-registry --resolve-symlinks --timeout 2m --verbose > push.yaml
  flux pull artifact oci://ghcr.io/org/all/flags:v1 -o ./pulled --creds flux:pat --insecure-registry
  flux tag artifact oci://ghcr.io/org/all/flags:v1 --tag=v1.1.0 --tag stable,candidate --creds flux:pat
  flux list artifacts oci://ghcr.io/org/all/flags --filter-semver '>=1.0.0' --filter-regex '^v' --creds flux:pat --insecure-registry > list.txt
  flux diff artifact oci://ghcr.io/org/all/flags:v1 --path ./flags-src --creds flux:pat \\
    --ignore-paths '*.png' --add-ignore-paths skip.yaml --insecure-registry
  flux build artifact -p ./flags-src -o ./flags.tgz --ignore-paths '*.png' --add-ignore-paths skip.yaml --resolve-symlinks
`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(await readFile(join(repo, 'push.yaml'), 'utf8'), /^digest: sha256:/m);
  assert.match(r.stderr, /\[debug\] /, '--debug prints the HTTP trace');
  const list = await readFile(join(repo, 'list.txt'), 'utf8');
  assert.match(list, /flags:v1\.1\.0/);
  assert.doesNotMatch(list, /flags:stable/);
  // --ignore-paths replaced flux's defaults (so .gitignore is in), --add-ignore-paths extended them (skip.yaml is out)
  assert.deepEqual((await readdir(join(repo, 'pulled'))).sort(), ['.gitignore', 'deploy.yaml']);
  const { stdout } = await exec('tar', ['-ztf', join(repo, 'flags.tgz')]);
  assert.equal(stdout, '.gitignore\ndeploy.yaml\n');
  const inspected = JSON.parse((await ocipack(['inspect', `oci://${reg.host}/org/all/flags:v1`, '-o', 'json'])).stdout) as { annotations: Record<string, string> };
  assert.equal(inspected.annotations['org.opencontainers.image.created'], '1970-01-01T00:00:00Z');
  assert.equal(inspected.annotations.k2, 'v2');
});

test('version, -q, -o json|yaml beside --format, and the JSON fields the library returns', async () => {
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  const v = await ocipack(['version']);
  assert.equal(v.code, 0);
  assert.equal(v.stdout, `ocipack: v${pkg.version}\nnode: ${process.version}\n`);
  assert.equal(JSON.parse((await ocipack(['version', '-o', 'json'])).stdout).version, pkg.version);
  assert.match((await ocipack(['version', '--format', 'yaml'])).stdout, new RegExp(`^version: "?${pkg.version.replace(/\./g, '\\.')}"?$`, 'm'));

  const src = join(repo, 'path/to/local/manifests');
  const ref = `oci://${reg.host}/json/fields:v1`;
  const first = await ocipack(['push', ref, '-f', src, '--reproducible', '-o', 'json', '-q']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stderr, '', '-q is --quiet');
  assert.equal(JSON.parse(first.stdout).unchanged, false);
  const again = await ocipack(['push', ref, '-f', src, '--reproducible', '-o', 'json']);
  assert.equal(JSON.parse(again.stdout).unchanged, true);

  for (const [args, key] of [[['tag', ref, '-t', 'v2'], 'tags'], [['copy', ref, `oci://${reg.host}/json/copy:v1`], 'copied'], [['diff', ref, '--path', src], 'differ']] as const) {
    const viaO = await ocipack([...args, '-o', 'json']);
    assert.ok(viaO.code === 0 || (args[0] === 'diff' && viaO.code === 1), `${args[0]}: ${viaO.stderr}`);
    assert.ok(key in JSON.parse(viaO.stdout), `${args[0]} -o json carries ${key}`);
    const viaFormat = await ocipack([...args, '--format', 'yaml']);
    assert.match(viaFormat.stdout, new RegExp(`^${key}:`, 'm'));
  }
  const bad = await ocipack(['tag', ref, '-t', 'v3', '-o', 'xml']);
  assert.equal(bad.code, 2);

  const out = join(await tempDir(), 'a.tgz');
  const built = await ocipack(['build', '-p', join(repo, 'kustomize'), '-o', out, '--format', 'json']);
  assert.equal(JSON.parse(built.stdout).entries, 1);

  const chart = join(await tempDir(), 'podinfo');
  await mkdir(chart);
  await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: podinfo\nversion: 1.2.3\nappVersion: "6.5.0"\n');
  await writeFile(join(chart, 'values.yaml'), 'replicaCount: 1\n');
  const charted = await ocipack(['push', `oci://${reg.host}/charts`, '--chart', chart, '-o', 'json']);
  assert.equal(charted.code, 0, charted.stderr);
  const c = JSON.parse(charted.stdout) as { chart: { name: string; version: string }; provenance: boolean; tag: string };
  assert.deepEqual([c.chart.name, c.chart.version, c.provenance, c.tag], ['podinfo', '1.2.3', false, '1.2.3']);
});

test('a user org.opencontainers.image.created annotation is honoured (manifest and config) or refused, never replaced', async () => {
  const src = join(repo, 'kustomize');
  const ref = `oci://${reg.host}/created/app:v1`;
  const at = '2025-06-01T12:00:00Z';
  const ok = await ocipack(['push', ref, '-f', src, '-a', `org.opencontainers.image.created=${at}`]);
  assert.equal(ok.code, 0, ok.stderr);
  const raw = JSON.parse((await ocipack(['inspect', ref, '--raw'])).stdout) as { annotations: Record<string, string>; config: { digest: string } };
  assert.equal(raw.annotations['org.opencontainers.image.created'], at);
  const cfg = await fetch(`${reg.url}/v2/created/app/blobs/${raw.config.digest}`);
  assert.equal((await cfg.json() as { created: string }).created, at, 'the config carries the same time');

  const refused: Array<[string[], Record<string, string>, RegExp]> = [
    [['-a', 'org.opencontainers.image.created=yesterday'], {}, /RFC 3339/],
    [['-a', `org.opencontainers.image.created=${at}`, '--reproducible'], {}, /conflicts with --reproducible/],
    [['-a', `org.opencontainers.image.created=${at}`], { SOURCE_DATE_EPOCH: '0' }, /conflicts with SOURCE_DATE_EPOCH/],
    [['-a', 'org.opencontainers.image.source=https://a', '--source', 'https://b'], {}, /disagrees with --source/],
  ];
  for (const [args, env, message] of refused) {
    const r = await ocipack(['push', `oci://${reg.host}/created/refused:v1`, '-f', src, ...args], { env });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const none = await fetch(`${reg.url}/v2/created/refused/tags/list`);
  assert.equal(none.status, 404, 'a refused push uploads nothing');
});

test('completion bash|zsh|fish|powershell: generated from the program; bash completes commands, flags and values', async () => {
  const scripts: Record<string, string> = {};
  for (const shell of ['bash', 'zsh', 'fish', 'powershell']) {
    const r = await ocipack(['completion', shell]);
    assert.equal(r.code, 0, r.stderr);
    scripts[shell] = r.stdout;
    for (const word of ['push', 'generate-key-pair', 'ignore-paths', 'insecure-registry']) assert.ok(r.stdout.includes(word), `${shell} script names ${word}`);
  }
  assert.match(scripts.zsh!, /^#compdef ocipack/);
  assert.match(scripts.fish!, /complete -c ocipack -n '__fish_seen_subcommand_from push' -l path -s f -r -F/);
  assert.match(scripts.powershell!, /Register-ArgumentCompleter -Native -CommandName 'ocipack'/);
  assert.equal((await ocipack(['completion', 'tcsh'])).code, 2);

  const dir = await tempDir();
  await writeFile(join(dir, 'c.bash'), scripts.bash!);
  const complete = (...words: string[]): Promise<CliResult> => runProcess('bash', ['-c', `source ./c.bash
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=()
_ocipack_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], { env: { PATH: process.env.PATH ?? '' }, cwd: dir });
  assert.equal((await complete('ocipack', 'pu')).stdout, 'push\npull\n');
  assert.equal((await complete('ocipack', 'push', '--re')).stdout, '--revision\n--reproducible\n--resolve-symlinks\n--rekor-url\n');
  assert.equal((await complete('ocipack', 'list', '-o', '')).stdout, 'json\nyaml\n');
  assert.equal((await complete('ocipack', '--timeout', '5m', 'build', '--pa')).stdout, '--path\n');
  assert.match((await complete('ocipack', 'pull', 'x', '--i')).stdout, /^--insecure-registry$/m, 'global flags after the command');
  assert.equal((await complete('ocipack', 'build', '-p', 'c.b')).stdout, 'c.bash\n', 'files for a path value');
});

test('flux\'s command shapes run as written: `ocipack push artifact …`, `pull artifact`, `tag artifact`, `list artifacts`', async () => {
  const dir = await tempDir('ocipack-shapes-');
  await writeFile(join(dir, 'a.yaml'), 'kind: ConfigMap\n');
  const ref = `oci://${reg.host}/shapes/app`;
  const push = await ocipack(['push', 'artifact', `${ref}:v1`, '--path', dir, '--source', 's', '--revision', 'r']);
  assert.equal(push.code, 0, push.stderr);
  const tag = await ocipack(['tag', 'artifact', `${ref}:v1`, '--tag', 'latest']);
  assert.equal(tag.code, 0, tag.stderr);
  const list = await ocipack(['list', 'artifacts', ref]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /shapes\/app:latest/);
  const pull = await ocipack(['pull', 'artifact', `${ref}:latest`, '--output', join(dir, 'out')]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal(await readFile(join(dir, 'out', 'a.yaml'), 'utf8'), 'kind: ConfigMap\n');
});
