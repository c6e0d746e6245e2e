/**
 * Where `login` puts credentials and `logout` takes them away, the way docker does: through
 * `credHelpers`/`credsStore` when configured (`store`/`erase`), else base64 `auth` in config.json,
 * written atomically (temp file + rename) with mode 0600, every other field of the file kept.
 */
import { chmod, mkdir, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errCodeText } from '../core/errno.js';
import { OcipackError } from '../core/errors.js';
import { writeFileAtomic } from '../core/files.js';
import { withLockFile } from '../core/lock.js';
import type { Env } from '../core/options.js';
import { homeOf } from './chain.js';
import { dockerConfigPath, helmRegistryConfigPath, helperFor, readConfig, type ConfigDocument } from './config.js';
import { helperErase, helperGet, helperStore, type HelperExec } from './helper.js';
import { keyMatches } from './keys.js';

export interface StoreOptions {
  /** Which file: docker's config.json (default), or Helm's registry config (`login --helm`). */
  file?: 'docker' | 'helm';
  env?: Env;
  homeDir?: string;
  exec?: HelperExec;
  helperTimeoutMs?: number;
}

/** Where credentials went or came from: a helper program, or the config file itself. */
export interface StoreLocation {
  /** `docker-credential-pass`, or `config.json` when stored in the file. */
  store: string;
  /** The config file that was read (and, for the file store, written). */
  configPath: string;
}

function configPathOf(opts: StoreOptions): string {
  if (opts.file === 'helm') {
    const helm = helmRegistryConfigPath(opts.env ?? {}, homeOf(opts));
    if (helm === undefined) throw new OcipackError('CREDENTIALS', 'cannot find the helm registry config: neither HELM_REGISTRY_CONFIG, XDG_CONFIG_HOME nor a home directory is set');
    return helm;
  }
  const path = dockerConfigPath(opts.env ?? {}, homeOf(opts));
  if (path === undefined) throw new OcipackError('CREDENTIALS', 'cannot find the docker config: neither DOCKER_CONFIG nor a home directory is set');
  return path;
}

/** The file a write should replace: the target of a symlinked config.json (as docker does), else the path. */
async function writeTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

/**
 * Writes the document as docker does (tab-indented JSON) through the one atomic write (core/files.ts),
 * mode 0600 whatever the umask took away (it only ever takes bits away, so the file is never wider).
 */
async function writeConfigAtomic(path: string, doc: ConfigDocument): Promise<void> {
  const target = await writeTarget(path);
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  try {
    await writeFileAtomic(target, `${JSON.stringify(doc, null, '\t')}\n`, { mode: 0o600 });
    await chmod(target, 0o600);
  } catch (err) {
    const cause = err instanceof OcipackError && err.cause !== undefined ? err.cause : err;
    throw new OcipackError('IO', `cannot write ${path} (${errCodeText(cause)})`, { cause: err });
  }
}

function helperCtx(opts: StoreOptions): { env: Env; exec?: HelperExec; timeoutMs?: number } {
  const ctx: { env: Env; exec?: HelperExec; timeoutMs?: number } = { env: opts.env ?? {} };
  if (opts.exec) ctx.exec = opts.exec;
  if (opts.helperTimeoutMs !== undefined) ctx.timeoutMs = opts.helperTimeoutMs;
  return ctx;
}

/** Every `auths` key that names the registry of `key` (with or without scheme, `/v1/`, path). */
function matchingKeys(doc: ConfigDocument, key: string): string[] {
  return Object.keys(doc.auths ?? {}).filter((k) => keyMatches(k, key));
}

/**
 * Stores `username`/`password` under `key` (`ghcr.io`, `https://index.docker.io/v1/`): through the
 * configured helper (config.json then keeps an empty `auths` entry, as docker writes), else base64 `auth`.
 */
export async function saveCredentials(key: string, username: string, password: string, opts: StoreOptions): Promise<StoreLocation> {
  const configPath = configPathOf(opts);
  return locked(configPath, () => save(configPath, key, username, password, opts));
}

/**
 * Read-modify-write of the config file under `<file>.lock` (core/lock.ts): the file is re-read inside the
 * lock and written with fsync + rename, so parallel logins and logouts all land.
 */
async function locked<T>(configPath: string, fn: () => Promise<T>): Promise<T> {
  const target = await writeTarget(configPath);
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  return withLockFile(`${target}.lock`, fn);
}

async function save(configPath: string, key: string, username: string, password: string, opts: StoreOptions): Promise<StoreLocation> {
  const doc: ConfigDocument = (await readConfig(configPath)) ?? {};
  const auths: Record<string, Record<string, unknown>> = { ...(doc.auths ?? {}) };
  for (const k of matchingKeys(doc, key)) delete auths[k];
  const helper = helperFor(doc, key);
  if (helper) {
    await helperStore(helper.name, key, username, password, helperCtx(opts));
    auths[key] = {};
  } else {
    auths[key] = { auth: Buffer.from(`${username}:${password}`, 'utf8').toString('base64') };
  }
  await writeConfigAtomic(configPath, { ...doc, auths });
  return { store: helper ? `docker-credential-${helper.name}` : 'config.json', configPath };
}

/** Removes the credentials for `key` from the helper and the file; `removed` is false when there were none. */
export async function eraseCredentials(key: string, opts: StoreOptions): Promise<StoreLocation & { removed: boolean }> {
  const configPath = configPathOf(opts);
  return locked(configPath, () => erase(configPath, key, opts));
}

async function erase(configPath: string, key: string, opts: StoreOptions): Promise<StoreLocation & { removed: boolean }> {
  const doc = await readConfig(configPath);
  const helper = doc && helperFor(doc, key);
  let removed = false;
  // Ask first: some helpers (docker-credential-pass) fail `erase` for a server they never stored.
  if (helper && (await helperGet(helper.name, key, helperCtx(opts))) !== undefined) {
    removed = await helperErase(helper.name, key, helperCtx(opts));
  }
  const keys = doc ? matchingKeys(doc, key) : [];
  if (doc && keys.length > 0) {
    const auths = { ...(doc.auths ?? {}) };
    for (const k of keys) {
      if (Object.keys(auths[k] ?? {}).length > 0) removed = true;
      delete auths[k];
    }
    await writeConfigAtomic(configPath, { ...doc, auths });
  }
  return { store: helper ? `docker-credential-${helper.name}` : 'config.json', configPath, removed };
}
