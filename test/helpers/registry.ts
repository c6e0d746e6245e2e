/**
 * Starts the real CNCF distribution registry (`docker-registry` from Debian, or `registry`) on a free
 * loopback port with a generated config, for integration tests. No mocks: a real process, real storage.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface TokenAuthConfig {
  realm: string;
  service: string;
  issuer: string;
  /** Path of a PEM bundle with the certificate(s) the token signer's chain ends in. */
  rootCertBundle: string;
}

export interface RegistryOptions {
  auth?: 'none' | 'htpasswd' | 'token';
  /** For `htpasswd`: user name → password (bcrypt-hashed with `htpasswd -nbB`). */
  users?: Record<string, string>;
  /** For `token`: the `auth.token` section (the token server lives in another helper). */
  token?: TokenAuthConfig;
  /** Serve HTTPS: PEM file paths, or the PEM text itself. */
  tls?: { cert: string; key: string };
  /** Extra top-level config sections, merged over the generated ones (e.g. `notifications`). */
  extraConfig?: Record<string, unknown>;
}

export interface AccessLogEntry {
  method: string;
  /** Path and query as requested. */
  path: string;
  status: number;
}

export interface RunningRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  /** `http://127.0.0.1:<port>` (or https with `tls`). */
  url: string;
  /** The temp dir holding config, storage and log; removed by stop(). */
  rootDir: string;
  /** The registry's stdout+stderr, access log included. */
  logFile: string;
  /** Requests the registry has logged since it became ready or since the last `resetRequests()`. */
  requests(): Promise<AccessLogEntry[]>;
  /** Start counting requests afresh (e.g. right before the operation under test). */
  resetRequests(): Promise<void>;
  stop(): Promise<void>;
}

type Yaml = string | number | boolean | Yaml[] | { [k: string]: Yaml | undefined };

/** Renders a config object as YAML (block style; strings double-quoted, which YAML reads as JSON strings). */
export function toYaml(value: Yaml, indent = ''): string {
  if (Array.isArray(value)) return value.map((v) => `${indent}- ${isScalar(v) ? scalar(v) : `\n${toYaml(v, `${indent}  `)}`}`).join('\n');
  if (typeof value !== 'object') return `${indent}${scalar(value)}`;
  const lines: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    lines.push(isScalar(v) ? `${indent}${k}: ${scalar(v)}` : `${indent}${k}:\n${toYaml(v, `${indent}  `)}`);
  }
  return lines.join('\n');
}

function isScalar(v: Yaml): v is string | number | boolean {
  return typeof v !== 'object';
}

function scalar(v: string | number | boolean): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** The registry config for the options, as an object (exported so other helpers can extend it). */
export function registryConfig(opts: RegistryOptions, dir: string, port: number, files: { htpasswd?: string; cert?: string; key?: string }): Record<string, Yaml> {
  const http: Record<string, Yaml> = { addr: `127.0.0.1:${port}`, secret: 'ocipack-test-secret' };
  if (files.cert !== undefined && files.key !== undefined) http.tls = { certificate: files.cert, key: files.key };
  const config: Record<string, Yaml> = {
    version: '0.1',
    log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
    storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
    http,
  };
  if (opts.auth === 'htpasswd') config.auth = { htpasswd: { realm: 'ocipack-test', path: files.htpasswd ?? '' } };
  if (opts.auth === 'token') {
    if (!opts.token) throw new Error('startRegistry: auth "token" needs the token option');
    const t = opts.token;
    config.auth = { token: { realm: t.realm, service: t.service, issuer: t.issuer, rootcertbundle: t.rootCertBundle } };
  }
  return { ...config, ...(opts.extraConfig as Record<string, Yaml> | undefined) };
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** The registry binary: `docker-registry` (Debian), else `registry`. */
export async function registryBinary(): Promise<string> {
  const found = (await onPath('docker-registry')) ?? (await onPath('registry'));
  if (!found) throw new Error('no registry binary found (docker-registry or registry on PATH): install the Debian package docker-registry');
  return found;
}

/** One bcrypt htpasswd line per user, made by `htpasswd -nbB` (Debian package apache2-utils). */
export async function htpasswdLines(users: Record<string, string>): Promise<string> {
  const lines: string[] = [];
  for (const [user, password] of Object.entries(users)) {
    try {
      const { stdout } = await exec('htpasswd', ['-nbB', user, password]);
      lines.push(stdout.trim());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('htpasswd not found: install the Debian package apache2-utils');
      throw err;
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A free TCP port on 127.0.0.1 (there is a small race until the registry binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function pemFile(dir: string, name: string, value: string): Promise<string> {
  if (!value.includes('-----BEGIN')) return value;
  const path = join(dir, name);
  await writeFile(path, value, { mode: 0o600 });
  return path;
}

/** Marks the helper's readiness probes so they are not counted as the test's requests. */
const PROBE = 'ocipack-ready-probe';

/** Parses the access-log lines (combined log format) of the registry's output, without readiness probes. */
export function parseAccessLog(text: string): AccessLogEntry[] {
  const out: AccessLogEntry[] = [];
  for (const m of text.matchAll(/"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /g)) {
    if ((m[2] as string).includes(PROBE)) continue;
    out.push({ method: m[1] as string, path: m[2] as string, status: Number(m[3]) });
  }
  return out;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a registry; retries on another port if the chosen one was taken meanwhile. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  const binary = await registryBinary();
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-registry-'));
  try {
    const files: { htpasswd?: string; cert?: string; key?: string } = {};
    if (opts.auth === 'htpasswd') {
      files.htpasswd = join(dir, 'htpasswd');
      await writeFile(files.htpasswd, await htpasswdLines(opts.users ?? {}), { mode: 0o600 });
    }
    if (opts.tls) {
      files.cert = await pemFile(dir, 'cert.pem', opts.tls.cert);
      files.key = await pemFile(dir, 'key.pem', opts.tls.key);
    }
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await launch(binary, opts, dir, files);
      } catch (err) {
        lastError = err;
        if (!String((err as Error).message).includes('address already in use')) break;
      }
    }
    throw lastError;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function launch(binary: string, opts: RegistryOptions, dir: string, files: { htpasswd?: string; cert?: string; key?: string }): Promise<RunningRegistry> {
  const port = await freePort();
  const configFile = join(dir, 'config.yml');
  const logFile = join(dir, 'registry.log');
  await writeFile(configFile, `${toYaml(registryConfig(opts, dir, port, files))}\n`);
  const log = await open(logFile, 'a');
  const child = spawn(binary, ['serve', configFile], { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  running.add(child);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    running.delete(child);
    resolve();
  }));
  const scheme = opts.tls ? 'https' : 'http';
  const host = `127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitPromise;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!(await answers(`${scheme}://${host}/v2/?${PROBE}`))) {
    if (exited || Date.now() > deadline) {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
      if (!exited) child.kill('SIGKILL');
      await exitPromise;
      throw new Error(`registry did not start on ${host}:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let offset = 0;
  return {
    host,
    url: `${scheme}://${host}`,
    rootDir: dir,
    logFile,
    requests: async () => parseAccessLog((await readFile(logFile)).subarray(offset).toString('utf8')),
    resetRequests: async () => {
      offset = (await readFile(logFile)).length;
    },
    stop,
  };
}

/** True once the URL answers with any HTTP status (401 counts: the registry is up). */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, { rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}
