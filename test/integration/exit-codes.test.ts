/**
 * README's exit-code table, one row at a time, against the real registry: each command is a case the
 * row names, and its exit code must be the row's (issue 17 "Help and errors").
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { BIN, ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { onTerminal } from '../helpers/pty.js';

type Registry = Awaited<ReturnType<typeof startRegistry>>;
let reg: Registry;
let work: string;
let src: string;
let big: string;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  work = await tempDir();
  src = join(work, 'src');
  await mkdir(src);
  await writeFile(join(src, 'deploy.yaml'), 'kind: Deployment\n');
  big = join(work, 'big');
  await mkdir(big);
  await writeFile(join(big, 'blob.bin'), randomBytes(32 * 1024 * 1024));
  await mkdir(join(work, 'docker'));
  await writeFile(join(work, 'docker', 'config.json'), '{"auths": {');
  const keys = await ocipack(['generate-key-pair'], { cwd: work, env: { COSIGN_PASSWORD: 'exit-codes-pw' } });
  assert.equal(keys.code, 0, keys.stderr);
  const seeded = await ocipack(['push', `oci://${reg.host}/codes/app:v1`, '--path', src]);
  assert.equal(seeded.code, 0, seeded.stderr);
});
after(async () => {
  await reg?.stop();
});

/** The README's table rows by code (so a row added there without a case here fails the first test). */
async function readmeCodes(): Promise<string[]> {
  const readme = await readFile(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  const section = readme.split('\n## Exit codes\n')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\| ([0-9][0-9 /]*) \|/gm)].map((m) => (m[1] ?? '').trim());
}

const out = (): string => join(work, `out-${Math.random().toString(36).slice(2)}`);

/** One case per row: the row's code and a command the row covers. */
const ROWS: { row: string; name: string; code: number; run: () => Promise<CliResult> }[] = [
  { row: '0', name: 'a pull that works', code: 0, run: () => ocipack(['pull', `oci://${reg.host}/codes/app:v1`, '-o', out()]) },
  { row: '1', name: 'a tag the registry does not have', code: 1, run: () => ocipack(['pull', `oci://${reg.host}/codes/app:nope`, '-o', out()]) },
  { row: '1', name: 'a registry nobody listens on', code: 1, run: () => ocipack(['list', 'oci://127.0.0.1:9/codes/app']) },
  { row: '2', name: 'a malformed reference', code: 2, run: () => ocipack(['pull', 'oci://UPPER/Case::v1', '-o', out()]) },
  { row: '2', name: 'an unknown flag', code: 2, run: () => ocipack(['pull', `oci://${reg.host}/codes/app:v1`, '--no-such-flag']) },
  { row: '2', name: 'a malformed config file', code: 2, run: () => ocipack(['logout', reg.host], { env: { DOCKER_CONFIG: join(work, 'docker') } }) },
  { row: '2', name: '--layer out of range', code: 2, run: () => ocipack(['pull', `oci://${reg.host}/codes/app:v1`, '-o', out(), '--layer', '7']) },
  { row: '2', name: '--media-type with no matching layer', code: 2, run: () => ocipack(['pull', `oci://${reg.host}/codes/app:v1`, '-o', out(), '--media-type', 'application/x-none']) },
  { row: '2', name: 'list of a layout directory that does not exist', code: 2, run: () => ocipack(['list', join(work, 'no-such-layout'), '--oci-layout']) },
  { row: '3', name: 'verify of an unsigned artifact', code: 3, run: () => ocipack(['verify', `oci://${reg.host}/codes/app:v1`, '--key', join(work, 'cosign.pub')]) },
  { row: '130 / 143 / 129', name: 'SIGTERM during a push', code: 143, run: () => terminatedPush() },
  { row: '130 / 143 / 129', name: 'Ctrl-C at the login user-name prompt', code: 130, run: () => atPrompt([['Username: ', '\x03']]) },
  { row: '130 / 143 / 129', name: 'Ctrl-C at the login password prompt', code: 130, run: () => atPrompt([['Username: ', 'bob'], ['Password: ', '\x03']]) },
];

/** `login` on a terminal, typing the answers (Ctrl-C is \x03): the prompt in raw mode gets no signal from the terminal. */
async function atPrompt(answers: Array<[string, string]>): Promise<CliResult> {
  const r = await onTerminal(['login', reg.host], { HOME: work }, answers);
  assert.match(r.out, /✗ login failed: interrupted by SIGINT/);
  return { code: r.code, stdout: r.out, stderr: '' };
}

/** A push of a 32 MiB file sent SIGTERM at its first debug line (its handlers are set up by then). */
function terminatedPush(): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'push', `oci://${reg.host}/codes/big:v1`, '--path', big, '--debug'], {
      env: { PATH: process.env.PATH ?? '', HOME: work, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && stderr.includes('[debug]')) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr }));
  });
}

test('every row of README\'s exit-code table has a case here', async () => {
  const rows = await readmeCodes();
  assert.ok(rows.length >= 5, `rows found: ${rows.join(', ')}`);
  for (const row of rows) assert.ok(ROWS.some((r) => r.row === row), `no case for README row ${row}`);
});

for (const c of ROWS) {
  test(`exit ${c.code} (README row ${c.row}): ${c.name}`, async () => {
    const r = await c.run();
    assert.equal(r.code, c.code, `${r.stdout}\n${r.stderr}`);
  });
}
