/**
 * A lock file for a file several processes rewrite (an OCI layout's index.json, docker's config.json): created with O_EXCL,
 * holding its owner's pid, host and a random token; a lock whose owner process is gone (same host) or
 * that is older than DEFAULTS.fileLock.staleMs is stale and taken over, so a killed writer never
 * blocks the next one. The lock file is untrusted like the directory it lies in: it is read without following a
 * link, never blocking on a FIFO and at most DEFAULTS.fileLock.maxBytes, and anything else found under its
 * name (a link, FIFO, directory, huge file) is refused with a clear error instead of waited for.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { lstat, open, unlink } from 'node:fs/promises';
import { DEFAULTS } from './defaults.js';
import { hasErrCode, ioError } from './errno.js';
import { OcipackError } from './errors.js';
import { readRegular } from './untrusted.js';

interface LockOwner {
  pid?: number;
  host?: string;
  token?: string;
}

export interface LockOptions {
  signal?: AbortSignal;
  /** A lock older than this is stale whoever holds it (a writer on another host that died). */
  staleMs?: number;
  /** Give up waiting after this long. */
  waitMs?: number;
}

/** Runs `fn` while holding the lock file `path` (created beside the file it guards), then releases it. */
export async function withLockFile<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const token = await acquire(path, opts);
  try {
    return await fn();
  } finally {
    await release(path, token);
  }
}

async function acquire(path: string, opts: LockOptions): Promise<string> {
  const token = randomBytes(12).toString('hex');
  const body = JSON.stringify({ pid: process.pid, host: hostname(), token });
  const deadline = Date.now() + (opts.waitMs ?? DEFAULTS.fileLock.waitMs);
  for (;;) {
    if (opts.signal?.aborted) throw new OcipackError('CANCELLED', `stopped waiting for ${path}`, { cause: opts.signal.reason });
    try {
      const h = await open(path, 'wx', 0o644);
      try {
        await h.writeFile(body);
      } finally {
        await h.close();
      }
      return token;
    } catch (err) {
      if (!hasErrCode(err, 'EEXIST')) throw ioError('cannot create lock file', path, err);
    }
    await removeIfStale(path, opts.staleMs ?? DEFAULTS.fileLock.staleMs);
    if (Date.now() > deadline) {
      throw new OcipackError('IO', `${path} is held by another writer (${await describe(path)}); gave up waiting`, {
        context: { path, next: 'stale-lock' },
      });
    }
    await new Promise((r) => setTimeout(r, DEFAULTS.fileLock.pollMs + Math.floor(Math.random() * DEFAULTS.fileLock.pollMs)));
  }
}

/** The lock's content and owner; undefined when it is gone; a lock no writer made (link, FIFO, huge) is refused. */
async function readOwner(path: string): Promise<{ text: string; owner: LockOwner } | undefined> {
  let bytes: Buffer | undefined;
  try {
    bytes = await readRegular(path, DEFAULTS.fileLock.maxBytes, `lock file ${path}`);
  } catch (err) {
    if (!(err instanceof OcipackError) || (err.code !== 'UNSAFE' && err.code !== 'CAP')) throw err;
    throw new OcipackError('UNSAFE', `${err.message}; no ocipack writer made it`, { context: { path, next: 'stale-lock' }, cause: err });
  }
  if (bytes === undefined) return undefined;
  const text = bytes.toString('utf8');
  try {
    return { text, owner: JSON.parse(text) as LockOwner };
  } catch {
    return { text, owner: {} };
  }
}

/** True when a process with this pid runs on this host (EPERM: it runs as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return hasErrCode(err, 'EPERM');
  }
}

async function removeIfStale(path: string, staleMs: number): Promise<void> {
  const seen = await readOwner(path);
  if (seen === undefined) return;
  const { owner } = seen;
  const dead = owner.host === hostname() && typeof owner.pid === 'number' && owner.pid !== process.pid && !alive(owner.pid);
  let old = false;
  try {
    old = Date.now() - (await lstat(path)).mtimeMs > staleMs;
  } catch {
    return;
  }
  if (!dead && !old) return;
  // Remove only the lock we judged: a writer that took it over meanwhile has another token.
  const again = await readOwner(path);
  if (again?.text === seen.text) await unlink(path).catch(() => undefined);
}

async function describe(path: string): Promise<string> {
  const o = (await readOwner(path))?.owner;
  return o?.pid === undefined ? 'unknown owner' : `pid ${o.pid} on ${o.host ?? '?'}`;
}

async function release(path: string, token: string): Promise<void> {
  const o = await readOwner(path);
  if (o?.owner.token === token) await unlink(path).catch(() => undefined);
}
