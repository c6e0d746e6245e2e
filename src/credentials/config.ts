/**
 * Docker's config.json (`auths`, `credHelpers`, `credsStore`), the `DOCKER_AUTH_CONFIG` variable and
 * podman's containers-auth.json files (SPEC §6): where they live, how they parse, which entry answers
 * for a registry. Messages name the file and key, never a value from it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errCode, isMissing } from '../core/errno.js';
import { OcipackError } from '../core/errors.js';
import type { Env } from '../core/options.js';
import { keyMatches, serverKey } from './keys.js';
import type { Credential } from './types.js';

/** One `auths` entry, as docker and podman write them. */
export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  [field: string]: unknown;
}

/** The parts of a config document we read; every other field is kept as is when we write it back. */
export interface ConfigDocument {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [field: string]: unknown;
}

/** `$DOCKER_CONFIG/config.json`, else `<home>/.docker/config.json`; undefined when neither can be named. */
export function dockerConfigPath(env: Env, homeDir: string | undefined): string | undefined {
  const dir = env.DOCKER_CONFIG;
  if (dir !== undefined && dir !== '') return join(dir, 'config.json');
  return homeDir === undefined || homeDir === '' ? undefined : join(homeDir, '.docker', 'config.json');
}

/** podman's auth files in lookup order: `REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, `~/.config/containers/auth.json`. */
export function podmanAuthPaths(env: Env, homeDir: string | undefined): string[] {
  const out: string[] = [];
  if (env.REGISTRY_AUTH_FILE) out.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  if (homeDir) out.push(join(homeDir, '.config', 'containers', 'auth.json'));
  return out;
}

/**
 * Helm's registry config (`helm registry login` writes it, docker format): `HELM_REGISTRY_CONFIG`,
 * else `$XDG_CONFIG_HOME/helm/registry/config.json`, else `~/.config/helm/registry/config.json`.
 */
export function helmRegistryConfigPath(env: Env, homeDir: string | undefined): string | undefined {
  if (env.HELM_REGISTRY_CONFIG) return env.HELM_REGISTRY_CONFIG;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'helm', 'registry', 'config.json');
  return homeDir ? join(homeDir, '.config', 'helm', 'registry', 'config.json') : undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and shape-checks a config document; errors name `source` and never quote its text. */
export function parseConfig(text: string, source: string): ConfigDocument {
  if (text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new OcipackError('BAD_INPUT', `${source} is not valid JSON`);
  }
  if (!isRecord(doc)) throw new OcipackError('BAD_INPUT', `${source} must hold a JSON object`);
  const bad = (field: string, want: string): never => {
    throw new OcipackError('BAD_INPUT', `${source}: "${field}" must be ${want}`);
  };
  if (doc.auths !== undefined) {
    if (!isRecord(doc.auths)) bad('auths', 'an object');
    for (const [key, entry] of Object.entries(doc.auths as Record<string, unknown>)) {
      if (!isRecord(entry)) bad(`auths.${key}`, 'an object');
      for (const f of ['auth', 'username', 'password', 'identitytoken', 'registrytoken']) {
        const v = (entry as Record<string, unknown>)[f];
        if (v !== undefined && typeof v !== 'string') bad(`auths.${key}.${f}`, 'a string');
      }
    }
  }
  if (doc.credHelpers !== undefined) {
    if (!isRecord(doc.credHelpers)) bad('credHelpers', 'an object');
    for (const [key, v] of Object.entries(doc.credHelpers as Record<string, unknown>)) if (typeof v !== 'string') bad(`credHelpers.${key}`, 'a string');
  }
  if (doc.credsStore !== undefined && typeof doc.credsStore !== 'string') bad('credsStore', 'a string');
  return doc as ConfigDocument;
}

/** Reads a config file; undefined when it does not exist. */
export async function readConfig(path: string): Promise<ConfigDocument | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw new OcipackError('CREDENTIALS', `cannot read ${path} (${errCode(err) ?? 'error'})`, { cause: err });
  }
  return parseConfig(text, path);
}

/** The `auths` entry for a registry: the exact key first, else the first key that normalises to it. */
export function findAuthEntry(doc: ConfigDocument, registry: string): { key: string; entry: AuthEntry } | undefined {
  const auths = doc.auths ?? {};
  const exact = serverKey(registry);
  const hit = auths[exact];
  if (hit) return { key: exact, entry: hit };
  for (const [key, entry] of Object.entries(auths)) if (keyMatches(key, registry)) return { key, entry };
  return undefined;
}

/**
 * The credential an entry holds: `registrytoken` (sent as Bearer), `identitytoken` (OAuth2 refresh
 * token), `auth` (base64 `user:password`), or `username`/`password`; undefined for an empty entry.
 */
export function credentialFromEntry(entry: AuthEntry, where: string): Credential | undefined {
  if (entry.registrytoken) return { registryToken: entry.registrytoken };
  let username = entry.username ?? '';
  let password = entry.password ?? '';
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(entry.auth.trim()) || i < 0) {
      throw new OcipackError('BAD_INPUT', `${where}: "auth" must be base64 of "user:password"`);
    }
    username = decoded.slice(0, i);
    password = decoded.slice(i + 1);
  }
  if (entry.identitytoken) return username === '' ? { identityToken: entry.identitytoken } : { identityToken: entry.identitytoken, username };
  if (username === '' && password === '') return undefined;
  return { username, password };
}

/** The credential helper configured for a registry: `credHelpers[host]`, else `credsStore`. */
export function helperFor(doc: ConfigDocument, registry: string): { name: string; via: 'credHelpers' | 'credsStore' } | undefined {
  for (const [key, name] of Object.entries(doc.credHelpers ?? {})) {
    if (keyMatches(key, registry) && name !== '') return { name, via: 'credHelpers' };
  }
  if (doc.credsStore) return { name: doc.credsStore, via: 'credsStore' };
  return undefined;
}
