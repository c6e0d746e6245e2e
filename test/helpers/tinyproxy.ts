/**
 * Starts the real Debian `tinyproxy` on a free loopback port with a generated config: only 127.0.0.1
 * may use it, and no `ConnectPort` line, so CONNECT goes to any port (a test registry's random one).
 * Its log (LogLevel Info) names every request and CONNECT, so tests can prove traffic went through it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './registry.js';

export interface RunningTinyproxy {
  /** `http://127.0.0.1:<port>`: the value for HTTPS_PROXY / HTTP_PROXY. */
  url: string;
  port: number;
  /** `CONNECT host:port` targets and absolute-URI requests seen since start or the last reset, in order. */
  requests(): Promise<string[]>;
  resetRequests(): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function config(port: number, dir: string): string {
  return [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 120',
    `LogFile "${join(dir, 'tinyproxy.log')}"`,
    'LogLevel Info',
    `PidFile "${join(dir, 'tinyproxy.pid')}"`,
    'MaxClients 64',
    'Allow 127.0.0.1',
    'DisableViaHeader Yes',
    // No ConnectPort lines: CONNECT is allowed to every port.
    '',
  ].join('\n');
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Parses tinyproxy's log into request lines (`CONNECT 127.0.0.1:5000`, `GET http://…`). */
export function parseTinyproxyLog(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/Request \(file descriptor \d+\): (\S+) (\S+) HTTP/g)) out.push(`${m[1]} ${m[2]}`);
  return out;
}

/** Starts tinyproxy in the foreground (`-d`); fails with a hint when the binary is missing. */
export async function startTinyproxy(): Promise<RunningTinyproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-tinyproxy-'));
  const port = await freePort();
  const conf = join(dir, 'tinyproxy.conf');
  await writeFile(conf, config(port, dir));
  const child = spawn('tinyproxy', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  running.add(child);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    running.delete(child);
    resolve();
  }));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    if (failed) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`cannot start tinyproxy (${(failed as NodeJS.ErrnoException).code}): install the Debian package tinyproxy`);
    }
    if (await listening(port)) break;
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`tinyproxy did not start on port ${port}: ${stderr}`);
    }
  }
  const log = join(dir, 'tinyproxy.log');
  let offset = 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: async () => parseTinyproxyLog((await readFile(log).catch(() => Buffer.alloc(0))).subarray(offset).toString('utf8')),
    resetRequests: async () => {
      offset = (await readFile(log).catch(() => Buffer.alloc(0))).length;
    },
    stop: async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exit;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
