/**
 * The docker credential-helper protocol (docker-credential-helpers README): `docker-credential-<name>
 * get|store|erase` with the server URL or a `{ServerURL, Username, Secret}` document on stdin.
 * `exec` is injected so tests need no binaries; a helper that hangs is killed after a timeout.
 */
import { DEFAULTS } from '../core/defaults.js';
import { errCode } from '../core/errno.js';
import { OcipackError } from '../core/errors.js';
import type { Env } from '../core/options.js';
import type { Credential } from './types.js';

export type { ExecOptions, ExecResult, HelperExec } from '../core/credential.js';
import type { ExecResult, HelperExec } from '../core/credential.js';

/** What docker-credential-helpers prints when a store has nothing for the server. */
const NOT_FOUND = /credentials not found/i;
/** The username credential helpers use to say "the secret is an identity token". */
const TOKEN_USER = '<token>';
/** Helper names are single path components (`pass`, `desktop`, `ecr-login`), never paths. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Spawns the helper with a clean stdin/stdout pipe, kills it after `timeoutMs`, never uses a shell. */
export const defaultExec: HelperExec = async (program, args, opts) => {
  // Loaded on first use: most runs never start a helper, and node:child_process costs ~2 ms to load.
  const { spawn } = await import('node:child_process');
  return spawnHelper(spawn, program, args, opts);
};

function spawnHelper(spawn: typeof import('node:child_process').spawn, ...[program, args, opts]: Parameters<HelperExec>): ReturnType<HelperExec> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) env[k] = v;
    const child = spawn(program, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(Object.assign(new Error(`${program} timed out`), { code: 'ETIMEDOUT' }));
    }, opts.timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => { /* a helper that exits without reading stdin */ });
    child.on('error', (e) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(opts.input);
  });
}

export interface HelperContext {
  env: Env;
  exec?: HelperExec;
  timeoutMs?: number;
}

/** `docker-credential-<name>`, refusing names that are not a single safe path component. */
export function helperProgram(name: string): string {
  if (!HELPER_NAME.test(name)) throw new OcipackError('BAD_INPUT', `invalid credential helper name "${name}"`);
  return `docker-credential-${name}`;
}

/** The helper's own message, one line, bounded: what it printed on stdout or stderr. */
function helperMessage(r: ExecResult): string {
  const text = (r.stdout.trim() || r.stderr.trim()).replace(/[\u0000-\u001f\u007f]+/g, ' ');
  if (text === '') return r.code === null ? 'killed by a signal' : `exit status ${r.code}`;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

async function run(name: string, action: 'get' | 'store' | 'erase', input: string, ctx: HelperContext): Promise<ExecResult> {
  const program = helperProgram(name);
  const exec = ctx.exec ?? defaultExec;
  const timeoutMs = ctx.timeoutMs ?? DEFAULTS.credentialHelperTimeoutMs;
  try {
    return await exec(program, [action], { input, env: ctx.env, timeoutMs });
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT') {
      throw new OcipackError('CREDENTIALS', `credential helper ${program} not found on PATH`, {
        context: { program, next: 'helper-missing' },
        cause: err,
      });
    }
    if (code === 'ETIMEDOUT') {
      const limit = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
      throw new OcipackError('CREDENTIALS', `credential helper ${program} did not answer within ${limit}; it was stopped`, { cause: err });
    }
    throw new OcipackError('CREDENTIALS', `cannot run credential helper ${program} (${code ?? 'error'})`, { cause: err });
  }
}

/** Parses a `get` answer; an empty answer, empty fields or "credentials not found" mean none. */
export function parseGetAnswer(r: ExecResult, program: string): Credential | undefined {
  if (r.code !== 0) {
    if (NOT_FOUND.test(r.stdout) || NOT_FOUND.test(r.stderr)) return undefined;
    throw new OcipackError('CREDENTIALS', `credential helper ${program} failed: ${helperMessage(r)}`);
  }
  if (r.stdout.trim() === '') return undefined;
  let doc: { Username?: unknown; Secret?: unknown };
  try {
    doc = JSON.parse(r.stdout) as typeof doc;
  } catch {
    throw new OcipackError('CREDENTIALS', `credential helper ${program} printed something that is not JSON`);
  }
  const username = typeof doc.Username === 'string' ? doc.Username : '';
  const secret = typeof doc.Secret === 'string' ? doc.Secret : '';
  if (secret === '' && username === '') return undefined;
  if (username === TOKEN_USER) return { identityToken: secret };
  return { username, password: secret };
}

/** `get`: the credential the helper holds for `serverUrl`, or undefined when it has none. */
export async function helperGet(name: string, serverUrl: string, ctx: HelperContext): Promise<Credential | undefined> {
  return parseGetAnswer(await run(name, 'get', serverUrl, ctx), helperProgram(name));
}

/** `store`: hands the helper `{ServerURL, Username, Secret}`; a failure quotes the helper's message. */
export async function helperStore(name: string, serverUrl: string, username: string, secret: string, ctx: HelperContext): Promise<void> {
  const input = JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: secret });
  const r = await run(name, 'store', input, ctx);
  if (r.code !== 0) throw new OcipackError('CREDENTIALS', `credential helper ${helperProgram(name)} could not store the credentials: ${helperMessage(r)}`);
}

/** `erase`: true when erased, false when the helper had nothing for `serverUrl`. */
export async function helperErase(name: string, serverUrl: string, ctx: HelperContext): Promise<boolean> {
  const r = await run(name, 'erase', serverUrl, ctx);
  if (r.code === 0) return true;
  if (NOT_FOUND.test(r.stdout) || NOT_FOUND.test(r.stderr)) return false;
  throw new OcipackError('CREDENTIALS', `credential helper ${helperProgram(name)} could not erase the credentials: ${helperMessage(r)}`);
}
