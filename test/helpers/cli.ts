/** Spawn the built CLI (bin/ocipack.cjs, the `ocipack` command), on pipes or on a pseudo-terminal, and capture its exit code and output. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = fileURLToPath(new URL('../../../bin/ocipack.cjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run any program to completion, capturing its exit code and output; `input` goes to its stdin. */
export function runProcess(cmd: string, args: string[], opts: { env: Record<string, string>; cwd?: string; input?: string | Buffer }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd ?? process.cwd(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Run `ocipack args…`; `env` is merged over a clean environment (HOME isolated unless given). */
export function ocipack(args: string[], opts: { env?: Record<string, string | undefined>; input?: string | Buffer; cwd?: string } = {}): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ PATH: process.env.PATH, HOME: process.env.OCIPACK_TEST_HOME ?? process.env.HOME, NO_COLOR: '1', ...opts.env })) {
    if (v !== undefined) env[k] = v;
  }
  const run: { env: Record<string, string>; cwd?: string; input?: string | Buffer } = { env };
  if (opts.cwd !== undefined) run.cwd = opts.cwd;
  if (opts.input !== undefined) run.input = opts.input;
  return runProcess(process.execPath, [BIN, ...args], run);
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'ocipack-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * Run `ocipack args…` on a pseudo-terminal (`script` makes stdout and stderr a TTY); both streams
 * arrive merged in `stdout`. `env` is merged over PATH and HOME only (no NO_COLOR by default).
 */
export function ocipackOnTty(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const fullEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ PATH: process.env.PATH, HOME: process.env.HOME, ...env })) if (v !== undefined) fullEnv[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => out.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: '' });
    });
  });
}

/**
 * What a run left in the temp space `tmp`: its entries, with this user's ocipack directory (where runs
 * make their temporary directories, src/core/tempdir.ts) counted by what it holds, not by being there.
 */
export async function tempLeft(tmp: string): Promise<string[]> {
  const own = `ocipack-${process.getuid?.() ?? 'user'}`;
  const out: string[] = [];
  for (const name of await readdir(tmp)) {
    if (name === own) out.push(...(await readdir(join(tmp, own))).map((n) => `${own}/${n}`));
    else out.push(name);
  }
  return out;
}
