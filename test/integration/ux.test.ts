/** The CLI's user experience: help, usage errors, output modes, colours, errors with hints, and TTY progress. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ocipack, ocipackOnTty as onTty, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { buildProgram } from '../../src/cli/program.js';

type Registry = Awaited<ReturnType<typeof startRegistry>>;
let reg: Registry;
let authReg: Registry;
let small: string;
let big: string;
const PASSWORD = 'ux-Secret-pw-41';
/** Any ANSI escape sequence (colours, cursor movement). */
const ANSI = /\u001b\[/;
/** An SGR colour code (`ESC[34m`), as opposed to cursor control. */
const COLOUR = /\u001b\[3\dm/;
/** Colours on: nothing in the environment turns them off (the helper sets NO_COLOR by default). */
const PLAIN_ENV = { NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: 'xterm' };

before(async () => {
  [reg, authReg] = await Promise.all([startRegistry({ auth: 'none' }), startRegistry({ auth: 'htpasswd', users: { alice: PASSWORD } })]);
  small = await tempDir();
  await mkdir(join(small, 'apps'));
  await writeFile(join(small, 'apps/deploy.yaml'), 'kind: Deployment\n'.repeat(200));
  big = await tempDir();
  await writeFile(join(big, 'blob.bin'), randomBytes(6 * 1024 * 1024));
  const r = await ocipack(['push', `oci://${reg.host}/ux/app:v1`, '-f', small]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await Promise.all([reg?.stop(), authReg?.stop()]);
});

test('--help lists every command with a one-line summary; every command has an Example: and exits 0', async () => {
  const names = buildProgram().commands.map((c) => c.name()).filter((n) => n !== 'help');
  assert.ok(names.length >= 11, `commands: ${names.join(', ')}`);
  const top = await ocipack(['--help']);
  assert.equal(top.code, 0);
  for (const name of names) {
    const line = top.stdout.split('\n').find((l) => new RegExp(`^  ${name} `).test(l));
    assert.ok(line, `${name} missing from --help`);
    assert.match(line, new RegExp(`^  ${name} .*\\S\\s{2,}\\S`), `${name} has no summary`);
  }
  assert.match(top.stdout, /Exit codes:/);
  const helps = await Promise.all(names.map((name) => ocipack([name, '--help'])));
  helps.forEach((h, i) => {
    assert.equal(h.code, 0, `${names[i]} --help`);
    assert.match(h.stdout, new RegExp(`\\nExample:\\n {2}.*\\bocipack ${names[i]}\\b`), `${names[i]} --help has no Example:`);
    assert.doesNotMatch(h.stdout, /Example:\n\s*\n/);
  });
  const viaHelp = await ocipack(['help', 'pull']);
  assert.equal(viaHelp.code, 0);
  assert.match(viaHelp.stdout, /Usage: ocipack pull/);
});

/** Commands about the CLI itself, with nothing for a library to do. */
const CLI_ONLY = new Set(['version', 'completion']);

test('every command has a row in the README Commands table and a same-named library export', async () => {
  const readme = await readFile(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  const table = readme.slice(readme.indexOf('\n## Commands\n'), readme.indexOf('\n### ', readme.indexOf('\n## Commands\n')));
  const rows = table.split('\n').filter((l) => l.startsWith('| `'));
  const lib = (await import('../../src/index.js')) as Record<string, unknown>;
  for (const name of buildProgram().commands.map((c) => c.name()).filter((n) => n !== 'help')) {
    const row = rows.find((r) => (r.split('|')[1] ?? '').includes(`\`${name}`));
    assert.ok(row, `README Commands table has no row for ${name}`);
    assert.match(row.split('|').slice(3).join('|'), new RegExp(`ocipack ${name}\\b`), `README row for ${name} has no example`);
    if (CLI_ONLY.has(name)) continue;
    const fn = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    assert.equal(typeof lib[fn], 'function', `the library exports no ${fn}()`);
  }
});

test('unknown commands and flags are exit 2 with a suggestion and no stack trace', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['pusj'], /✗ unknown command 'pusj'\n\(Did you mean push\?\)/],
    [['help', 'pul'], /✗ unknown command 'pul'\n\(Did you mean pull\?\)/],
    [['push', 'oci://x/y:z', '--pth', '.'], /✗ unknown option '--pth'\n\(Did you mean --path\?\)/],
    [['list', 'oci://x/y', '--filter-semvr', '1'], /Did you mean --filter-semver\?/],
    [['--quite', 'list', 'oci://x/y'], /Did you mean --quiet\?/],
    [['pull', 'oci://x/y:z', '-o', 'out', '--max-layer-size', 'lots'], /✗ --max-layer-size must be a size/],
    [['push', 'oci://x/y:z', '-f', '.', '--timeout', 'soon'], /✗ invalid duration "soon"/],
    [['push', 'oci://x/y:z', '-f', '.', '--format', 'xml'], /✗ option '--format <format>' argument 'xml' is invalid/],
    [['pull'], /✗ missing required argument 'reference'/],
  ];
  for (const [args, re] of cases) {
    const r = await ocipack(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace without --debug');
    assert.equal(r.stdout, '');
  }
  const none = await ocipack([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Usage: ocipack/);
});

test('on a pipe: no ANSI escapes, no spinner, stdout only carries machine output', async () => {
  const ref = `oci://${reg.host}/ux/pipe:v1`;
  const text = await ocipack(['push', ref, '-f', big], { env: PLAIN_ENV });
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout, '');
  assert.doesNotMatch(text.stderr, ANSI);
  assert.doesNotMatch(text.stderr, /uploading|packing/);
  // the 6 MiB file gets the guard's one warning line (issue 28 §4)
  assert.match(text.stderr, /^► pushing artifact to .*\n⚠ "blob.bin": a big file for a config artifact \(6 MiB, over 1 MiB\)\n✔ artifact successfully pushed to /m);

  const json = await ocipack(['push', ref, '-f', big, '-o', 'json'], { env: PLAIN_ENV });
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(Object.keys(JSON.parse(json.stdout) as object), ['url', 'repository', 'tag', 'digest', 'tagUrl', 'tags', 'unchanged'], 'flux\'s four fields first, in its order');
  const yaml = await ocipack(['--format', 'yaml', 'pull', ref, '-o', join(await tempDir(), 'o')], { env: PLAIN_ENV });
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.match(yaml.stdout, /^url: /m);
  assert.match(yaml.stdout, /^digest: sha256:[0-9a-f]{64}$/m);
  for (const r of [json, yaml]) assert.doesNotMatch(r.stdout + r.stderr, ANSI);
});

test('colours: FORCE_COLOR forces them on a pipe; NO_COLOR and --no-color win over it', async () => {
  const args = ['inspect', `oci://${reg.host}/ux/app:v1`];
  const forced = await ocipack(args, { env: { ...PLAIN_ENV, FORCE_COLOR: '1' } });
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /\u001b\[34m►\u001b\[39m inspecting/);
  assert.doesNotMatch(forced.stdout, ANSI, 'machine output is never coloured');
  const noColor = await ocipack(args, { env: { ...PLAIN_ENV, FORCE_COLOR: '1', NO_COLOR: '1' } });
  const flag = await ocipack(['--no-color', ...args], { env: { ...PLAIN_ENV, FORCE_COLOR: '1' } });
  for (const r of [noColor, flag]) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^► inspecting/m);
    assert.doesNotMatch(r.stderr, ANSI);
  }
  const failed = await ocipack(['pull', `oci://${reg.host}/ux/none:v1`, '-o', join(await tempDir(), 'o')], { env: { ...PLAIN_ENV, FORCE_COLOR: '1' } });
  assert.match(failed.stderr, /\u001b\[31m✗\u001b\[39m pull failed: /);
});

test('--quiet prints nothing on success (warnings included) but still reports errors', async () => {
  const out = join(await tempDir(), 'o');
  const link = await tempDir();
  await writeFile(join(link, 'a.yaml'), 'a: 1\n');
  await import('node:fs/promises').then((fs) => fs.symlink('a.yaml', join(link, 'b.yaml')));
  const runs = await Promise.all([
    ocipack(['push', `oci://${reg.host}/ux/quiet:v1`, '-f', link, '--quiet']),
    ocipack(['--quiet', 'pull', `oci://${reg.host}/ux/app:v1`, '-o', out]),
    ocipack(['tag', `oci://${reg.host}/ux/app:v1`, '-t', 'q1', '--quiet']),
    ocipack(['build', '-f', small, '-o', join(out, '..', 'a.tgz'), '--quiet']),
  ]);
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, '');
  }
  const listed = await ocipack(['list', `oci://${reg.host}/ux/app`, '--quiet']);
  assert.equal(listed.stderr, '');
  assert.match(listed.stdout, /^ARTIFACT\s+DIGEST/, 'the table is machine output and stays');
  const failed = await ocipack(['pull', `oci://${reg.host}/ux/missing:v1`, '-o', out, '--quiet']);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /^✗ pull failed: .*not found/);
});

test('--verbose adds detail lines; --debug adds a redacted HTTP trace and stack traces; secrets never appear', async () => {
  const ref = `oci://${authReg.host}/ux/app:v1`;
  const creds = `alice:${PASSWORD}`;
  const verbose = await ocipack(['push', `oci://${authReg.host}/ux/verbose:v1`, '-f', small, '--creds', creds, '--verbose']);
  assert.equal(verbose.code, 0, verbose.stderr);
  assert.match(verbose.stderr, /^◎ uploaded [\d.]+ (B|KiB) \(sha256:[0-9a-f]{64}\)$/m);
  assert.match(verbose.stderr, /^◎ manifest sha256:[0-9a-f]{64} tagged v1$/m);
  assert.doesNotMatch(verbose.stderr, /\[debug\]/);

  const debug = await ocipack(['push', ref, '-f', small, '--creds', creds, '--debug']);
  assert.match(debug.stderr, /^\[debug\] > PUT http:\/\/127\.0\.0\.1:\d+\/v2\/ux\/app\/blobs\/uploads\/.*authorization: Basic <redacted>/m);
  assert.equal(debug.code, 0, debug.stderr);
  assert.match(debug.stderr, /^\[debug\] > PUT http:\/\/127\.0\.0\.1:\d+\/v2\/ux\/app\/manifests\/v1 .*authorization: Basic <redacted>/m);
  assert.match(debug.stderr, /^\[debug\] < 201 PUT /m);
  const b64 = Buffer.from(creds).toString('base64');
  for (const secret of [PASSWORD, b64]) assert.ok(!debug.stderr.includes(secret), 'a secret leaked into --debug');

  const denied = await ocipack(['push', ref, '-f', small, '--creds', 'alice:wrong-pw']);
  assert.equal(denied.code, 1);
  assert.deepEqual(denied.stderr.split('\n').filter((l) => l.startsWith('✗') || l.startsWith('  hint:')), [
    `✗ push failed: credentials for ${authReg.host} were rejected (from --creds)`,
    `  hint: check the value of --creds (user:password, or a token) for ${authReg.host}`,
  ]);
  assert.doesNotMatch(denied.stderr, /\n\s+at /);
  const traced = await ocipack(['push', ref, '-f', small, '--creds', 'alice:wrong-pw', '--debug']);
  assert.equal(traced.code, 1);
  assert.match(traced.stderr, /CredentialsRejectedError: credentials for [^\n]* were rejected[^\n]*\n\s+at /);
  assert.ok(!traced.stderr.includes('wrong-pw'));
});

test('errors name what failed and give the hint that fixes them', async () => {
  const out = join(await tempDir(), 'o');
  const capped = await ocipack(['pull', `oci://${reg.host}/ux/app:v1`, '-o', out, '--max-layer-size', '1KiB']);
  assert.equal(capped.code, 1);
  assert.match(capped.stderr, /^✗ pull failed: .*1024.*\n {2}hint: raise it with --max-layer-size/m);
  const refused = await ocipack(['list', 'oci://127.0.0.1:9/ux/app']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^✗ list failed: cannot reach 127\.0\.0\.1:9 \(ECONNREFUSED\)\n {2}hint: /m);
  const timedOut = await ocipack(['push', `oci://${reg.host}/ux/slow:v1`, '-f', big, '--timeout', '1ms']);
  assert.equal(timedOut.code, 1);
  assert.match(timedOut.stderr, /✗ push failed: timed out after 1ms[^\n]*\n {2}hint: raise the deadline with --timeout/);
  const badRef = await ocipack(['inspect', 'oci://Registry.example.com/UPPER']);
  assert.equal(badRef.code, 2);
  assert.match(badRef.stderr, /^✗ invalid reference/m, 'input errors are not prefixed with "failed"');
});

test('on a terminal: an ora spinner shows sizes for pack, upload and download; NO_COLOR keeps it but drops colours', async () => {
  const ref = `oci://${reg.host}/ux/tty:v1`;
  const push = await onTty(['push', ref, '-f', big], { ...PLAIN_ENV, NO_COLOR: '1' });
  assert.equal(push.code, 0, push.stdout);
  assert.match(push.stdout, /packing/);
  assert.match(push.stdout, /uploading [\d.]+ (KiB|MiB)/);
  assert.match(push.stdout, /\u001b\[\?25l/, 'the spinner hides the cursor');
  assert.doesNotMatch(push.stdout, COLOUR);
  assert.match(push.stdout, /✔ artifact successfully pushed/);

  const pull = await onTty(['pull', ref, '-o', join(await tempDir(), 'o')], PLAIN_ENV);
  assert.equal(pull.code, 0, pull.stdout);
  assert.match(pull.stdout, /downloading [\d.]+ (KiB|MiB)/);
  assert.match(pull.stdout, /\u001b\[34m►/, 'colours on a terminal');

  const quiet = await onTty(['push', ref, '-f', big, '--quiet'], PLAIN_ENV);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stdout, '', '--quiet also silences the spinner');
  const dumb = await onTty(['push', ref, '-f', big], { ...PLAIN_ENV, TERM: 'dumb' });
  assert.equal(dumb.code, 0, dumb.stdout);
  assert.doesNotMatch(dumb.stdout, ANSI, 'TERM=dumb: no spinner, no colours');
  assert.match(dumb.stdout, /✔ artifact successfully pushed/);
});
