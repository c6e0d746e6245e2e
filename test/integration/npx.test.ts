/**
 * The npm package as users get it: `npm pack` ships only what runs (< 1 MiB, no install scripts), the tarball
 * installs into an empty project from the npm cache, `npx ocipack` runs, and `import { push, pull } from 'ocipack'`
 * works, typed, without printing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
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

test('npm pack → install into an empty project → npx ocipack and a typed library round trip', async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const work = await tempDir('ocipack-npx-');

  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], ROOT);
  assert.equal(packed.code, 0, packed.stderr);
  const info = (JSON.parse(packed.stdout) as PackInfo[])[0]!;
  assert.ok(info.size < MiB, `tarball is ${info.size} bytes`);
  const paths = info.files.map((f) => f.path);
  for (const must of ['package.json', 'README.md', 'bin/ocipack.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js']) {
    assert.ok(paths.includes(must), `${must} is not in the tarball`);
  }
  const stray = paths.filter((p) => !/^(package\.json|README\.md|LICENSE|bin\/ocipack\.js|dist\/src\/.*\.js|dist\/src\/.*\.d\.ts|dist\/cli\/.*\.js)$/.test(p));
  assert.deepEqual(stray, [], 'only what runs (and the library types) is shipped');

  const { stdout: manifest } = await exec('tar', ['-xzOf', join(work, info.filename), 'package/package.json']);
  const shipped = JSON.parse(manifest) as { scripts?: Record<string, string>; dependencies: Record<string, string> };
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare', 'prepack']) {
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
