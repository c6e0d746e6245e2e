/**
 * The credential chain of SPEC §6: `--creds`, then docker config (`DOCKER_AUTH_CONFIG`, then
 * `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`: `credHelpers[host]`, else `credsStore`,
 * else `auths`), then podman's auth files, then anonymous. `env`, `homeDir` and `exec` are injected.
 */
import type { Env } from '../core/options.js';
import { credentialFromEntry, dockerConfigPath, findAuthEntry, helperFor, parseConfig, podmanAuthPaths, readConfig, type ConfigDocument } from './config.js';
import { helperGet, type HelperExec } from './helper.js';
import { serverKey } from './keys.js';
import { credentialFromFlag, type Credential, type CredentialResolver } from './types.js';

export interface ChainOptions {
  /** `--creds`; parsed at once so a malformed value fails before any I/O. */
  creds?: string;
  env?: Env;
  homeDir?: string;
  exec?: HelperExec;
  helperTimeoutMs?: number;
  /** Says where a credential came from (never the credential itself). */
  onDebug?: (message: string) => void;
}

/** A credential found in the chain and where it came from (for messages and `--debug`). */
export interface FoundCredential {
  credential: Credential;
  source: string;
}

/** The home directory from the injected options: `homeDir`, else `HOME`, else `USERPROFILE`. */
export function homeOf(opts: { env?: Env; homeDir?: string }): string | undefined {
  return opts.homeDir ?? opts.env?.HOME ?? opts.env?.USERPROFILE;
}

/** What a docker-config-shaped document says for a registry: its helper first, then its `auths` entry. */
async function fromDocument(doc: ConfigDocument, source: string, registry: string, opts: ChainOptions, useHelpers: boolean): Promise<FoundCredential | undefined> {
  const env = opts.env ?? {};
  const helper = useHelpers ? helperFor(doc, registry) : undefined;
  if (helper) {
    const ctx = { env, ...(opts.exec ? { exec: opts.exec } : {}), ...(opts.helperTimeoutMs !== undefined ? { timeoutMs: opts.helperTimeoutMs } : {}) };
    const credential = await helperGet(helper.name, serverKey(registry), ctx);
    if (credential) return { credential, source: `docker-credential-${helper.name} (${helper.via} in ${source})` };
  }
  const hit = findAuthEntry(doc, registry);
  if (!hit) return undefined;
  const credential = credentialFromEntry(hit.entry, `${source} auths["${hit.key}"]`);
  return credential && { credential, source: `auths["${hit.key}"] in ${source}` };
}

/** Walks the chain for one registry (`docker.io`, `ghcr.io`, `localhost:5000`); undefined means anonymous. */
export async function findCredential(registry: string, opts: ChainOptions): Promise<FoundCredential | undefined> {
  if (opts.creds !== undefined) return { credential: credentialFromFlag(opts.creds), source: '--creds' };
  const env = opts.env ?? {};
  const home = homeOf(opts);
  const inline = env.DOCKER_AUTH_CONFIG;
  if (inline !== undefined && inline.trim() !== '') {
    const doc = parseConfig(inline, 'DOCKER_AUTH_CONFIG');
    const found = await fromDocument({ auths: doc.auths ?? {} }, 'DOCKER_AUTH_CONFIG', registry, opts, false);
    if (found) return found;
  }
  const configPath = dockerConfigPath(env, home);
  const docker = configPath === undefined ? undefined : await readConfig(configPath);
  if (docker && configPath !== undefined) {
    const found = await fromDocument(docker, configPath, registry, opts, true);
    if (found) return found;
  }
  for (const path of podmanAuthPaths(env, home)) {
    const doc = await readConfig(path);
    const found = doc && (await fromDocument(doc, path, registry, opts, true));
    if (found) return found;
  }
  return undefined;
}

/** A resolver over the chain; `--creds` is checked right away (usage error, exit 2). */
export function credentialChain(opts: ChainOptions): CredentialResolver {
  if (opts.creds !== undefined) credentialFromFlag(opts.creds);
  return async (registry) => {
    const found = await findCredential(registry, opts);
    opts.onDebug?.(found ? `credentials for ${registry} from ${found.source}` : `no credentials for ${registry}: anonymous`);
    return found?.credential;
  };
}
