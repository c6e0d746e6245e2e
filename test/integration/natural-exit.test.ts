/**
 * The CLI ends when its event loop does, never by the forced exit that can hang on a background
 * compile (src/cli/main.ts, nodejs/node#54918): after each command, registry contact included (plain,
 * TLS, Basic auth, failures), nothing may still hold the loop. A preload reports a call of
 * process.exit, which main.ts makes only when something held the loop past its grace.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { freePort, startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { makeTestCa, type TestCa } from '../helpers/tls.js';

const FORCED = 'ocipack-test: process.exit was called';
let plain: RunningRegistry;
let basic: RunningRegistry;
let secure: RunningRegistry;
let ca: TestCa;
let src: string;
let work: string;
let env: Record<string, string>;

before(async () => {
  ca = await makeTestCa('natural exit CA');
  [plain, basic, secure] = await Promise.all([
    startRegistry({ auth: 'none' }),
    startRegistry({ auth: 'htpasswd', users: { ana: 'ana-pw' } }),
    startRegistry({ tls: { cert: ca.cert, key: ca.key } }),
  ]);
  work = await tempDir();
  src = join(work, 'src');
  await mkdir(src);
  await writeFile(join(src, 'app.yaml'), 'kind: ConfigMap\n');
  const preload = join(work, 'forced.cjs');
  await writeFile(preload, `const exit = process.exit;\nprocess.exit = function (code) { process._rawDebug(${JSON.stringify(FORCED)}); return exit.call(process, code); };\n`);
  env = { NODE_OPTIONS: `--require=${preload}` };
});
after(async () => {
  await Promise.all([plain?.stop(), basic?.stop(), secure?.stop()]);
});

async function run(args: string[], code: number): Promise<CliResult> {
  const r = await ocipack(args, { env });
  assert.equal(r.code, code, r.stderr);
  assert.doesNotMatch(r.stderr, new RegExp(FORCED), `something held the event loop after: ocipack ${args.join(' ')}`);
  return r;
}

const out = (): string => join(work, `out-${Math.random().toString(36).slice(2)}`);

test('push, pull, tag, list, copy and inspect on a plain loopback registry end with their event loop', async () => {
  const ref = `oci://${plain.host}/exit/app`;
  await run(['push', `${ref}:v1`, '-f', src], 0);
  await run(['pull', `${ref}:v1`, '-o', out()], 0);
  await run(['tag', `${ref}:v1`, '--tag', 'v2'], 0);
  await run(['list', ref], 0);
  await run(['copy', `${ref}:v1`, `${ref}-copy:v1`], 0);
  await run(['inspect', `${ref}:v1`], 0);
});

test('a TLS registry and a Basic-auth registry: the run ends with its loop', async () => {
  await run(['push', `oci://${secure.host}/exit/tls:v1`, '-f', src, '--ca-file', ca.ca], 0);
  await run(['pull', `oci://${secure.host}/exit/tls:v1`, '-o', out(), '--ca-file', ca.ca], 0);
  await run(['push', `oci://${basic.host}/exit/basic:v1`, '-f', src, '--creds', 'ana:ana-pw'], 0);
  await run(['pull', `oci://${basic.host}/exit/basic:v1`, '-o', out(), '--creds', 'ana:wrong'], 1);
});

test('failures end with their loop too: a missing tag, a closed port, a usage error', async () => {
  await run(['pull', `oci://${plain.host}/exit/app:missing`, '-o', out()], 1);
  await run(['pull', `oci://127.0.0.1:${await freePort()}/exit/app:v1`, '-o', out()], 1);
  await run(['pull', `oci://${plain.host}/exit/app:v1`], 2);
  await run(['push', '--help'], 0);
});
