/**
 * The npm package as users get it: `npm pack` from a clean checkout (no dist/: the prepack script builds it)
 * ships only what runs (< 1 MiB, no install-time scripts), the tarball installs into an empty project from the
 * npm cache, `npx ocipack` and the `flux-ocipack` plugin bin run, and `import { push, pull } from 'ocipack'`
 * works, typed, without printing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, readFile, readdir, writeFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runProcess, tempDir, type CliResult } from '../helpers/cli.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MiB = 1024 * 1024;

/** Run a command, resolving with its exit code and output (npm prints config warnings on stderr; never fatal here). */
function run(cmd: string, args: string[], cwd: string): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1' })) if (v !== undefined) env[k] = v;
  return runProcess(cmd, args, { env, cwd });
}

interface PackInfo { filename: string; size: number; files: Array<{ path: string }> }

/** Any native addon or build file in an installed dependency tree. */
async function nativeFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) found.push(...(await nativeFiles(p)));
    else if (e.name === 'binding.gyp' || e.name.endsWith('.node')) found.push(p);
  }
  return found;
}

const CONSUMER_JS = `
import { push, pull } from 'ocipack';
import { readFile, writeFile } from 'node:fs/promises';
const events = [];
const pushed = await push({ reference: './layout:v1', ociLayout: true, path: './src', reproducible: true, onEvent: (e) => events.push(e.type), env: {} });
const pulled = await pull({ reference: './layout:v1', ociLayout: true, output: './out', env: {} });
const content = await readFile('./out/app.yaml', 'utf8');
await writeFile('./result.json', JSON.stringify({ pushed, pulled: pulled.digest, content, events: events.length }));
`;

const CONSUMER_TS = `
import { push, pull, OcipackError, type PushOptions, type PushResult, type PullResult, type ProgressEvent } from 'ocipack';
const seen: ProgressEvent['type'][] = [];
const opts: PushOptions = { reference: './layout:v1', ociLayout: true, path: './src', reproducible: true, onEvent: (e) => { seen.push(e.type); } };
const pushed: PushResult = await push(opts);
const pulled: PullResult = await pull({ reference: './layout:v1', ociLayout: true, output: './out' });
const digest: string = pushed.digest;
export const summary = [digest, pulled.revision, OcipackError.name, seen.length];
`;

const CONSUMER_BAD_TS = `
import { push } from 'ocipack';
await push({ reference: './layout:v1', path: './src', notAnOption: true });
`;

/**
 * What `git clone` of this tree gives: the files git tracks or would track (.gitignore'd ones such as dist/ left
 * out), copied into `dir`; node_modules linked in, as `npm ci` would have filled it (the build needs tsc, esbuild).
 */
async function cleanCheckout(dir: string): Promise<void> {
  const { stdout } = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 16 * MiB });
  for (const file of stdout.split('\0').filter((f) => f !== '')) {
    await cp(join(ROOT, file), join(dir, file), { recursive: true, errorOnExist: false }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err; // a tracked file deleted in the work tree
    });
  }
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

test('npm pack from a clean checkout → install into an empty project → npx ocipack, flux-ocipack and a typed library round trip', async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const work = await tempDir('ocipack-npx-');
  const checkout = join(work, 'checkout');
  await cleanCheckout(checkout);
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], checkout);
  assert.equal(packed.code, 0, packed.stderr);
  assert.match(packed.stderr, /> ocipack@[^ ]+ prepack/, 'npm pack ran the prepack script (the build)');
  const info = (JSON.parse(packed.stdout) as PackInfo[])[0]!;
  assert.ok(info.size < MiB, `tarball is ${info.size} bytes`);
  const paths = info.files.map((f) => f.path);
  for (const must of ['package.json', 'README.md', 'bin/ocipack.cjs', 'bin/ocipack.js', 'bin/flux-ocipack.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/cli/ocipack.js']) {
    assert.ok(paths.includes(must), `${must} is not in the tarball`);
  }
  const stray = paths.filter((p) => !/^(package\.json|README\.md|LICENSE|bin\/((flux-)?ocipack\.js|ocipack\.cjs)|dist\/src\/.*\.js|dist\/src\/.*\.d\.ts|dist\/cli\/.*\.js)$/.test(p));
  assert.deepEqual(stray, [], 'only what runs (and the library types) is shipped');

  const { stdout: manifest } = await exec('tar', ['-xzOf', join(work, info.filename), 'package/package.json']);
  const shipped = JSON.parse(manifest) as { scripts?: Record<string, string>; dependencies: Record<string, string> };
  // prepack runs on `npm pack`/`npm publish` (and for git dependencies, which need the build); never on install.
  assert.equal(shipped.scripts?.prepack, 'npm run build');
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
    assert.equal(shipped.scripts?.[hook], undefined, `an install-time script "${hook}" would run on every install`);
  }

  const project = join(work, 'project');
  await mkdir(join(project, 'src'), { recursive: true });
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  await writeFile(join(project, 'src/app.yaml'), 'kind: ConfigMap\n');
  const installed = await run('npm', ['install', join(work, info.filename), '--no-audit', '--no-fund', '--prefer-offline'], project);
  assert.equal(installed.code, 0, installed.stderr);
  assert.deepEqual(await nativeFiles(join(project, 'node_modules')), [], 'no native dependencies');

  const version = await run('npx', ['--no', '--', 'ocipack', '--version'], project);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout, `${pkg.version}\n`);
  const help = await run('npx', ['--no', '--', 'ocipack', '--help'], project);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^ {2}push \[options\] <reference>/m);

  // The installed bins run a real command: push into a layout and pull it back; the plugin bin is the same program.
  const pushed = await run('npx', ['--no', '--', 'ocipack', 'push', './cli-layout:v1', '--oci-layout', '-f', './src', '--reproducible', '-o', 'json'], project);
  assert.equal(pushed.code, 0, pushed.stderr);
  const pushedDigest = (JSON.parse(pushed.stdout) as { digest: string }).digest;
  const plugin = await run(join(project, 'node_modules/.bin/flux-ocipack'), ['pull', './cli-layout:v1', '--oci-layout', '-o', './cli-out', '--format', 'json'], project);
  assert.equal(plugin.code, 0, plugin.stderr);
  assert.equal((JSON.parse(plugin.stdout) as { digest: string }).digest, pushedDigest);
  assert.equal(await readFile(join(project, 'cli-out/app.yaml'), 'utf8'), 'kind: ConfigMap\n');
  const pluginHelp = await run(join(project, 'node_modules/.bin/flux-ocipack'), ['push', '--help'], project);
  assert.match(pluginHelp.stdout, /^Usage: flux ocipack push /m);

  await writeFile(join(project, 'consumer.mjs'), CONSUMER_JS);
  const lib = await run(process.execPath, ['consumer.mjs'], project);
  assert.equal(lib.code, 0, lib.stderr);
  assert.equal(lib.stdout, '');
  assert.equal(lib.stderr, '');
  const result = JSON.parse(await readFile(join(project, 'result.json'), 'utf8')) as { pushed: { digest: string; url: string }; pulled: string; content: string; events: number };
  assert.match(result.pushed.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(result.pulled, result.pushed.digest);
  assert.equal(result.content, 'kind: ConfigMap\n');
  assert.ok(result.events > 0);

  // The shipped .d.ts files type a consumer: a correct program compiles, a misspelt option does not.
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const tsconfig = {
    compilerOptions: {
      module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true,
      skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')],
    },
  };
  await writeFile(join(project, 'good.ts'), CONSUMER_TS);
  await writeFile(join(project, 'bad.ts'), CONSUMER_BAD_TS);
  await writeFile(join(project, 'tsconfig.good.json'), JSON.stringify({ ...tsconfig, files: ['good.ts'] }));
  await writeFile(join(project, 'tsconfig.bad.json'), JSON.stringify({ ...tsconfig, files: ['bad.ts'] }));
  const good = await run(process.execPath, [tsc, '-p', 'tsconfig.good.json'], project);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  const bad = await run(process.execPath, [tsc, '-p', 'tsconfig.bad.json'], project);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout, /bad\.ts.*notAnOption/);
});
