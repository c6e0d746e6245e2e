/**
 * The library entry (SPEC §1): every use-case through `import … from 'ocipack'`'s entry module, in a child process
 * against a real registry, printing nothing and never exiting; plus static checks that nothing below
 * src/cli/ prints, exits or loads the terminal libraries.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runProcess, tempDir, type CliResult } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY = pathToFileURL(join(ROOT, 'dist/src/index.js')).href;
let reg: Awaited<ReturnType<typeof startRegistry>>;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
});
after(async () => {
  await reg?.stop();
});

/** The round trip a library user writes; results go to a file so stdout/stderr must stay empty. */
const ROUND_TRIP = `
import * as lib from ${JSON.stringify(ENTRY)};
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
const exits = [];
process.exit = (code) => { exits.push(code); throw new Error('process.exit called by the library'); };
const [host, src, work, resultFile] = process.argv.slice(1);
const ref = 'oci://' + host + '/lib/app';
const events = [];
const onEvent = (e) => events.push(e.type);
const common = { onEvent, env: {} };
const out = {};
out.exports = Object.keys(lib).sort();
out.push = await lib.push({ ...common, reference: ref + ':v1.0.0', path: src, source: 'https://example.com/repo', revision: 'main@sha1:abc', annotations: ['team=a=b'] });
out.tag = await lib.tag({ ...common, reference: ref + ':v1.0.0', tags: ['latest', 'v1'] });
out.list = await lib.list({ ...common, reference: ref, filterSemver: '>=1.0.0' });
const inspected = await lib.inspect({ ...common, reference: ref + ':v1' });
out.inspect = { digest: inspected.digest, layers: inspected.layers, annotations: inspected.annotations, raw: Buffer.isBuffer(inspected.raw) };
out.diff = await lib.diff({ ...common, reference: ref + ':latest', path: src });
out.build = await lib.build({ ...common, path: src, output: join(work, 'layer.tgz') });
out.pull = await lib.pull({ ...common, reference: ref + ':v1', output: join(work, 'out') });
out.pulled = await readFile(join(work, 'out', 'deploy.yaml'), 'utf8');
const keys = await lib.generateKeyPair({ dir: work, password: 'pw', env: {} });
out.sign = await lib.sign({ ...common, reference: ref + ':v1', key: keys.privateKeyPath, password: 'pw' });
out.verify = await lib.verify({ ...common, reference: ref + ':v1', key: keys.publicKeyPath });
out.copy = await lib.copy({ ...common, source: ref + ':v1', destination: join(work, 'layout') + ':v1', toOciLayout: true, includeReferrers: true });
out.layoutPull = await lib.pull({ ...common, reference: join(work, 'layout') + ':v1', ociLayout: true, output: join(work, 'out2') });
out.diffRefs = await lib.diff({ ...common, reference: ref + ':v1', to: join(work, 'layout') + ':v1', toOciLayout: true, kubernetes: true });
out.errors = [];
for (const attempt of [
  () => lib.pull({ ...common, reference: ref + ':missing', output: join(work, 'out3') }),
  () => lib.push({ ...common, reference: 'oci://' + host + '/UPPER:v1', path: src }),
  () => lib.pull({ ...common, reference: ref + ':v1', output: join(work, 'out4'), maxLayerBytes: 10 }),
]) {
  try { await attempt(); out.errors.push('no error'); } catch (e) {
    out.errors.push({ instance: e instanceof lib.OcipackError, name: e.name, code: e.code, option: e.context?.option ?? null });
  }
}
out.events = [...new Set(events)].sort();
out.exits = exits;
out.exitCode = process.exitCode ?? null;
await writeFile(resultFile, JSON.stringify(out));
`;

function runNode(script: string, args: string[]): Promise<CliResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/' };
  return runProcess(process.execPath, ['--input-type=module', '-e', script, ...args], { env });
}

test('every use-case works through the library entry, prints nothing, never exits, and throws typed errors', async () => {
  const work = await tempDir();
  const src = join(work, 'src');
  await mkdir(src);
  await writeFile(join(src, 'deploy.yaml'), 'kind: Deployment\n'.repeat(50));
  const resultFile = join(work, 'result.json');
  const r = await runNode(ROUND_TRIP, [reg.host, src, work, resultFile]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '', 'the library wrote to stdout');
  assert.equal(r.stderr, '', 'the library wrote to stderr');
  const out = JSON.parse(await readFile(resultFile, 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  for (const name of ['push', 'pull', 'tag', 'list', 'diff', 'build', 'inspect', 'verify', 'sign', 'copy', 'generateKeyPair', 'login', 'logout', 'OcipackError', 'RegistryError', 'parseReference']) {
    assert.ok((out.exports as string[]).includes(name), `${name} is not exported`);
  }
  const digest = out.push.digest as string;
  assert.deepEqual(out.push, {
    url: `oci://${reg.host}/lib/app@${digest}`, tagUrl: `oci://${reg.host}/lib/app:v1.0.0`, repository: `${reg.host}/lib/app`, tag: 'v1.0.0', tags: ['v1.0.0'], digest, unchanged: false,
  });
  assert.deepEqual(out.tag.tags, ['latest', 'v1']);
  assert.equal(out.tag.digest, digest);
  assert.deepEqual(out.list.map((e: { tag: string; digest: string; source: string }) => [e.tag, e.digest, e.source]), [['v1.0.0', digest, 'https://example.com/repo']]);
  assert.equal(out.inspect.digest, digest);
  assert.equal(out.inspect.annotations.team, 'a=b');
  assert.equal(out.inspect.raw, true);
  assert.equal(out.diff.differ, false);
  assert.deepEqual(out.diff.changes, []);
  assert.deepEqual([out.diffRefs.differ, out.diffRefs.digest, out.diffRefs.to.digest, out.diffRefs.changes, out.diffRefs.objects], [false, digest, digest, [], []], 'diff of two artifacts: the registry one and its layout copy');
  assert.equal(out.build.digest, out.inspect.layers[0].digest, 'build writes the bytes push uploaded');
  assert.equal(out.pull.digest, digest);
  assert.equal(out.pull.revision, 'main@sha1:abc');
  assert.equal(out.pulled, 'kind: Deployment\n'.repeat(50));
  assert.equal(out.sign.digest, digest);
  assert.equal(out.verify.verified, true);
  assert.equal(out.verify.signatures.filter((s: { verified: boolean }) => s.verified).length, 1);
  assert.equal(out.copy.digest, digest);
  assert.equal(out.copy.referrers >= 1, true, 'the signature travelled with --include-referrers');
  assert.equal(out.layoutPull.digest, digest);
  assert.deepEqual(out.errors.map((e: { code: string }) => e.code), ['NOT_FOUND', 'USAGE', 'CAP']);
  for (const e of out.errors) assert.equal(e.instance, true);
  assert.equal(out.errors[2].option, 'maxLayerBytes');
  for (const type of ['step', 'blob:start', 'blob:progress', 'blob:done', 'manifest:pushed']) {
    assert.ok((out.events as string[]).includes(type), `no ${type} event reached onEvent`);
  }
  assert.deepEqual(out.exits, []);
  assert.equal(out.exitCode, null);
});

/** Every .ts file under a directory, recursively. */
async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) found.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) found.push(p);
  }
  return found;
}

test('below src/cli/ nothing prints, exits or reads the process environment, arguments or working directory (DESIGN.md; imports are checked by dependency-cruiser)', async () => {
  const offences: string[] = [];
  for (const file of await sources(join(ROOT, 'src'))) {
    const rel = relative(ROOT, file);
    if (rel.startsWith(join('src', 'cli')) || rel.startsWith(join('src', 'action'))) continue; // the faces (the action runs the CLI)
    const code = (await readFile(file, 'utf8')).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const re of [/process\.exit\b/, /process\.(stdout|stderr)\b/, /\bconsole\.\w+/, /process\.(env|argv)\b/, /process\.cwd\(/]) {
      if (re.test(code)) offences.push(`${rel}: ${re.source}`);
    }
  }
  assert.deepEqual(offences, []);
});
