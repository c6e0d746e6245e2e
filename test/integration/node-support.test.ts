/**
 * Node support stays honest: package.json `engines` promises no Node version that a shipped dependency refuses,
 * the Node running this suite (CI runs it on 20, 22 and 24) is one it promises, and the CLI uses Node's module
 * compile cache where it exists (in ~/.cache, never in the command's TMPDIR) and runs without it on Node 20.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { ocipack, tempDir } from '../helpers/cli.js';

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
  assert.deepEqual(await readdir(tmp), [], 'TMPDIR belongs to the command');
  const cache = join(home, '.cache', 'ocipack', 'v8');
  if ('enableCompileCache' in module) {
    assert.ok((await readdir(cache, { recursive: true })).length > 1, `compiled code cached under ${cache} on ${process.version}`);
  } else {
    assert.equal(existsSync(cache), false, `no cache on ${process.version}, which has no module.enableCompileCache`);
  }
});
