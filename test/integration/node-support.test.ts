/**
 * Node support stays honest: package.json `engines` promises no Node version that a shipped dependency refuses,
 * the Node running this suite (CI runs it on 22, 24 and 26) is one it promises, the CLI uses Node's module
 * compile cache (in ~/.cache, never in the command's TMPDIR), and an older Node gets one line and exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { BIN, ocipack, runProcess, tempDir, tempLeft, type CliResult } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Manifest { name: string; engines?: { node?: string }; dependencies?: Record<string, string> }

const readManifest = async (dir: string): Promise<Manifest> => JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Where Node would load `name` from when required inside `from` (node_modules lookup upwards, stopping at ROOT). */
function locate(name: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    assert.notEqual(dir, ROOT.replace(/\/$/, ''), `${name} (needed by ${from}) is not installed`);
  }
}

/** Every installed production dependency, transitively: directory → manifest. */
async function productionTree(): Promise<Map<string, Manifest>> {
  const seen = new Map<string, Manifest>();
  const visit = async (dir: string): Promise<void> => {
    for (const name of Object.keys((await readManifest(dir)).dependencies ?? {})) {
      const at = locate(name, dir);
      if (seen.has(at)) continue;
      seen.set(at, await readManifest(at));
      await visit(at);
    }
  };
  await visit(ROOT.replace(/\/$/, ''));
  return seen;
}

test('engines.node promises only what every shipped dependency accepts, and this Node is within it', async () => {
  const ours = (await readManifest(ROOT)).engines?.node;
  assert.ok(ours && semver.validRange(ours), `package.json engines.node is a range (${ours})`);
  const tree = await productionTree();
  assert.ok(tree.size > 10, `walked the installed dependency tree (${tree.size} packages)`);
  const wider = [...tree.values()].filter((m) => m.engines?.node && !semver.subset(ours, m.engines.node));
  assert.deepEqual(wider.map((m) => `${m.name} wants ${m.engines?.node}`), [], `engines "${ours}" is within every dependency's`);
  assert.ok(semver.satisfies(process.version, ours), `the suite runs on ${process.version}, which engines "${ours}" must include`);
});

test('the CLI keeps compiled code in ~/.cache/ocipack where Node has a compile cache, and nothing in TMPDIR', async () => {
  const home = await tempDir('ocipack-home-');
  const tmp = await tempDir('ocipack-tmp-');
  const r = await ocipack(['--help'], { env: { HOME: home, TMPDIR: tmp } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await tempLeft(tmp), [], 'TMPDIR belongs to the command');
  const cache = join(home, '.cache', 'ocipack', 'v8');
  assert.ok((await readdir(cache, { recursive: true })).length > 1, `compiled code cached under ${cache} on ${process.version}`);
});

/** Runs the CLI on this Node made to report `version` (process.version and process.versions.node) before it starts. */
async function asNode(version: string, args: string[]): Promise<CliResult> {
  const dir = await tempDir('ocipack-old-node-');
  const preload = join(dir, 'old.cjs');
  await writeFile(preload, `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '${version}' } });\nObject.defineProperty(process, 'version', { value: 'v${version}' });\n`);
  return runProcess(process.execPath, ['-r', preload, BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir } });
}

test('on a Node that engines does not take, the CLI says which it found and which it needs, in one line, exit 2', async () => {
  const range = (await readManifest(ROOT)).engines?.node ?? '';
  for (const version of ['20.20.2', '22.22.1', '23.11.0', '24.14.0', '25.2.0']) {
    assert.equal(semver.satisfies(version, range), false, `${version} is outside engines`);
    const r = await asNode(version, ['pull', 'oci://localhost:5000/app:v1', '-o', 'out']);
    assert.equal(r.code, 2, `Node ${version}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line on Node ${version}: ${r.stderr}`);
    assert.match(lines[0]!, new RegExp(`Node\\.js v${version.replaceAll('.', '\\.')}: install a current Node`));
    assert.match(lines[0]!, /22\.22\.2\+, 24\.15\+ or 26\+/);
  }
  for (const version of ['22.22.2', '24.15.0', '26.0.0']) {
    assert.ok(semver.satisfies(version, range), `${version} is inside engines`);
    const r = await asNode(version, ['--help']);
    assert.equal(r.code, 0, `Node ${version} runs: ${r.stderr}`);
  }
});
