/**
 * The README's two commands, read out of README.md so they cannot drift from what works:
 * - the first block of "Run it" runs exactly as written, from an empty directory, with nothing but Node (npx finds
 *   ocipack where `npm install -g` puts it; npm offline, every proxy variable pointing at a closed port, no registry),
 *   round-trips the files and prints the output the README shows;
 * - the "Test" block is what .ci/run runs, its set-up step finds every peer in check-only mode, and on a machine
 *   without them stops with the exact apt-get line instead of running the suite;
 * - every program a test or the bench starts by name is on the set-up's list (so a new peer is installed too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, runProcess, tempDir } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The fenced code blocks (language, text) of one `## ` section of README.md. */
async function readmeBlocks(section: string): Promise<Array<{ lang: string; text: string }>> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${section}\n`);
  assert.ok(start >= 0, `README has no "## ${section}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const body = readme.slice(start, end < 0 ? undefined : end);
  return [...body.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] ?? '', text: m[2] ?? '' }));
}

/** Output lines compared loosely: whitespace runs (the list table's tabs) as one space, mktemp paths as <dir>. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\S*\/tmp\.[A-Za-z0-9]+/g, '<dir>').replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .sort();
}

test('README "Run it": the first block runs verbatim with only Node (no registry, no network) and prints what the README shows', async () => {
  const [run, shown] = await readmeBlocks('Run it');
  assert.equal(run?.lang, 'sh');
  assert.equal(shown?.lang, 'text', 'the run block is followed by its output');

  const work = await tempDir('ocipack-readme-');
  const prefix = join(work, 'global'); // what `npm install -g ocipack` leaves: <prefix>/bin/ocipack
  await mkdir(join(prefix, 'bin'), { recursive: true });
  await symlink(BIN, join(prefix, 'bin', 'ocipack'));
  const empty = join(work, 'cwd');
  const tmp = join(work, 'tmp');
  await mkdir(empty);
  await mkdir(tmp);
  const closed = 'http://127.0.0.1:9';
  const env: Record<string, string> = {
    PATH: [join(prefix, 'bin'), dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(':'),
    HOME: work,
    TMPDIR: tmp,
    NO_COLOR: '1',
    npm_config_prefix: prefix,
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    HTTP_PROXY: closed,
    HTTPS_PROXY: closed,
    http_proxy: closed,
    https_proxy: closed,
  };
  const r = await runProcess('sh', ['-e', '-c', run!.text], { env, cwd: empty });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);

  assert.deepEqual(await readdir(empty), [], 'the block works in a directory of its own');
  const made = (await readdir(tmp)).filter((n) => n.startsWith('tmp.')); // mktemp's; npm may keep a compile cache there too
  assert.equal(made.length, 1, 'one directory made by mktemp -d');
  const demo = join(tmp, made[0]!);
  const pulled = await readFile(join(demo, 'out', 'app.yaml'), 'utf8');
  assert.equal(pulled, await readFile(join(demo, 'deploy', 'app.yaml'), 'utf8'), 'pulled back what was pushed');
  assert.ok((await readdir(join(demo, 'store'))).includes('index.json'), './store is an OCI image layout');

  assert.deepEqual(lines(r.stdout + r.stderr), lines(shown!.text), 'the README shows the real output (digest included)');
});

test('README "Test": .ci/run runs it, and its set-up step checks the peers or stops with the exact install line', async () => {
  const [block] = await readmeBlocks('Test');
  const command = block!.text.trim();
  assert.equal(block!.lang, 'sh');
  assert.doesNotMatch(command, /\n/, 'one command line');
  const ci = await readFile(join(ROOT, '.ci', 'run'), 'utf8');
  assert.ok(ci.split('\n').includes(command), `.ci/run runs the README's "${command}" as written`);

  // the set-up step inside the npm scripts the README names
  const scripts = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const named = [...command.matchAll(/npm (?:run )?([\w:-]+)/g)].map((m) => m[1]!).filter((s) => s !== 'ci');
  const steps = named.flatMap((s) => (scripts[s] ?? '').split('&&').map((x) => x.trim()));
  const setup = steps.find((s) => s.startsWith('node scripts/setup.mjs'));
  assert.ok(setup, `one of ${named.join(', ')} runs node scripts/setup.mjs`);
  assert.match(scripts.pretest ?? '', /^node scripts\/setup\.mjs --check && /, 'npm test checks before it builds');

  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const found = await runProcess('sh', ['-c', `${setup} --check`], { env, cwd: ROOT });
  assert.equal(found.code, 0, found.stderr);
  assert.match(found.stderr, /all \d+ test peers found/);

  // a machine with nothing but Node on PATH
  const bare = await tempDir('ocipack-bare-');
  await symlink(process.execPath, join(bare, 'node'));
  const none = await runProcess('/bin/sh', ['-c', `${setup} --check`], { env: { PATH: bare, HOME: bare }, cwd: ROOT });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /check only, nothing installed/);
  const line = none.stderr.match(/^(sudo )?apt-get update && (sudo )?apt-get install -y --no-install-recommends (.+)$/m);
  assert.ok(line, `an apt-get line in:\n${none.stderr}`);
  const debs = line[3]!.split(' ');
  for (const pkg of ['docker-registry', 'skopeo', 'apache2-utils', 'gnupg', 'pass', 'golang-docker-credential-helpers', 'tinyproxy', 'openssl', 'python3']) {
    assert.ok(debs.includes(pkg), `${pkg} is in the install line`);
  }
});

/** Programs a test or the bench starts by a literal name (the first argument of spawn, execFile, run, onPath, need …). */
async function startedPrograms(dir: string): Promise<Set<string>> {
  const found = new Set<string>();
  for (const name of await readdir(dir, { recursive: true })) {
    if (!name.endsWith('.ts')) continue;
    const text = await readFile(join(dir, name), 'utf8');
    for (const m of text.matchAll(/\b(?:spawn|spawnSync|execFile|execFileSync|exec|run|runProcess|onPath|need)\(\s*'([^']+)'/g)) found.add(m[1]!);
  }
  return found;
}

test('every program the tests and the bench start by name is a peer scripts/setup.mjs checks and installs', async () => {
  const listed = await runProcess(process.execPath, [join(ROOT, 'scripts', 'setup.mjs'), '--list'], { env: {}, cwd: ROOT });
  assert.equal(listed.code, 0, listed.stderr);
  const peers = new Set(listed.stdout.split('\n').filter(Boolean));
  const node = new Set(['node', 'npm', 'npx', 'sh', '/bin/sh']); // Node itself and the POSIX shell
  const started = new Set([...(await startedPrograms(join(ROOT, 'test'))), ...(await startedPrograms(join(ROOT, 'bench')))]);
  assert.ok(started.has('skopeo') && started.has('openssl'), `the scan finds programs (${[...started].join(' ')})`);
  assert.deepEqual([...started].filter((p) => !peers.has(p) && !node.has(p)).sort(), [], 'started but not in setup.mjs PEERS');
});
