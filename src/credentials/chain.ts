/**
 * The credential chain of SPEC §6: `--creds`, then docker config (`DOCKER_AUTH_CONFIG`, then
 * `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`: `credHelpers[host]`, else `credsStore`,
 * else `auths`), then podman's auth files, then Helm's registry config (issue 14 §2), then anonymous. `env`, `homeDir` and `exec` are injected.
 */
import type { Env } from '../core/options.js';
import { credentialFromEntry, dockerConfigPath, findAuthEntry, helmRegistryConfigPath, helperFor, parseConfig, podmanAuthPaths, readConfig, type ConfigDocument } from './config.js';
import { helperGet, type HelperExec } from './helper.js';
import { serverKey } from './keys.js';
import { credentialFromFlag, describeSource, type Credential, type CredentialResolver, type CredentialSource } from './types.js';

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

/** A credential found in the chain and where it came from (for messages, hints and `--debug`). */
export interface FoundCredential {
  credential: Credential;
  source: CredentialSource;
}

/** Which kind of file a document is: decides how its `auths` entries are named as a source. */
type FileKind = 'docker-config' | 'podman' | 'helm';

/** The home directory from the injected options: `homeDir`, else `HOME`, else `USERPROFILE`. */
export function homeOf(opts: { env?: Env; homeDir?: string }): string | undefined {
  return opts.homeDir ?? opts.env?.HOME ?? opts.env?.USERPROFILE;
}

/** What a docker-config-shaped document says for a registry: its helper first, then its `auths` entry. */
async function fromDocument(doc: ConfigDocument, file: string, kind: FileKind, registry: string, opts: ChainOptions, useHelpers: boolean): Promise<FoundCredential | undefined> {
  const env = opts.env ?? {};
  const helper = useHelpers ? helperFor(doc, registry) : undefined;
  if (helper) {
    const ctx = { env, ...(opts.exec ? { exec: opts.exec } : {}), ...(opts.helperTimeoutMs !== undefined ? { timeoutMs: opts.helperTimeoutMs } : {}) };
    const credential = await helperGet(helper.name, serverKey(registry), ctx);
    if (credential) return { credential, source: { kind: 'helper', name: helper.name, file } };
  }
  const hit = findAuthEntry(doc, registry);
  if (!hit) return undefined;
  const credential = credentialFromEntry(hit.entry, `${file} auths["${hit.key}"]`);
  return credential && { credential, source: { kind, key: hit.key, file } };
}

/** Walks the chain for one registry (`docker.io`, `ghcr.io`, `localhost:5000`); undefined means anonymous. */
export async function findCredential(registry: string, opts: ChainOptions): Promise<FoundCredential | undefined> {
  if (opts.creds !== undefined) return { credential: credentialFromFlag(opts.creds), source: { kind: 'flag', flag: 'creds' } };
  const env = opts.env ?? {};
  const home = homeOf(opts);
  const inline = env.DOCKER_AUTH_CONFIG;
  if (inline !== undefined && inline.trim() !== '') {
    const doc = parseConfig(inline, 'DOCKER_AUTH_CONFIG');
    const found = await fromDocument({ auths: doc.auths ?? {} }, 'DOCKER_AUTH_CONFIG', 'docker-config', registry, opts, false);
    if (found) return found;
  }
  const configPath = dockerConfigPath(env, home);
  const docker = configPath === undefined ? undefined : await readConfig(configPath);
  if (docker && configPath !== undefined) {
    const found = await fromDocument(docker, configPath, 'docker-config', registry, opts, true);
    if (found) return found;
  }
  for (const path of podmanAuthPaths(env, home)) {
    const doc = await readConfig(path);
    const found = doc && (await fromDocument(doc, path, 'podman', registry, opts, true));
    if (found) return found;
  }
  const helmPath = helmRegistryConfigPath(env, home);
  const helm = helmPath === undefined ? undefined : await readConfig(helmPath);
  return helm && helmPath !== undefined ? fromDocument(helm, helmPath, 'helm', registry, opts, true) : undefined;
}

/** A resolver over the chain; `--creds` is checked right away (usage error, exit 2). Answers carry their source. */
export function credentialChain(opts: ChainOptions): CredentialResolver {
  if (opts.creds !== undefined) credentialFromFlag(opts.creds);
  return async (registry) => {
    const found = await findCredential(registry, opts);
    opts.onDebug?.(found ? `credentials for ${registry} from ${describeFound(found.source)}` : `no credentials for ${registry}: anonymous`);
    return found && { ...found.credential, source: found.source };
  };
}

/** The source with its file, for `--debug` (the error message uses the shorter describeSource). */
function describeFound(s: CredentialSource): string {
  return 'file' in s && s.file !== 'DOCKER_AUTH_CONFIG' && s.kind !== 'podman' ? `${describeSource(s)} in ${s.file}` : describeSource(s);
}
