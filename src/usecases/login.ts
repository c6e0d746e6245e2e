/**
 * login / logout (SPEC §3, §6): check the credentials against the registry first (`GET /v2/`
 * following the token flow), then store them the way docker does; logout erases them again.
 */
import { connect } from '../connect/connect.js';
import { parseServer, type ServerName } from '../credentials/keys.js';
import { eraseCredentials, saveCredentials, type StoreOptions } from '../credentials/store.js';
import { emitter } from '../core/events.js';
import { OcipackError, RegistryError, usageError } from '../core/errors.js';
import type { RegistryOptions, RunOptions } from '../core/options.js';

/** RegistryOptions' `creds`, `credsFor` and `provider` are not used: login checks the user name and password it was given. */
export interface LoginOptions extends RunOptions, RegistryOptions {
  /** `ghcr.io`, `localhost:5000`, `docker.io` (or `https://index.docker.io/v1/`). */
  server: string;
  username: string;
  password: string;
  /** Store in Helm's registry config instead of docker's, so `helm pull oci://…` sees the login. */
  helm?: boolean;
}

export interface LoginResult {
  /** The registry as the user knows it (`docker.io`, `ghcr.io`). */
  registry: string;
  username: string;
  /** `docker-credential-<name>`, or `config.json` when stored in the file. */
  store: string;
  /** The docker config file (or Helm registry config) that was updated. */
  configPath: string;
  /** False when the registry asked for no authentication at all, so nothing could be checked. */
  verified: boolean;
}

export interface LogoutOptions extends Pick<RunOptions, 'env' | 'homeDir'>, Pick<RegistryOptions, 'credentialHelperExec'> {
  server: string;
  /** Erase from Helm's registry config instead of docker's. */
  helm?: boolean;
}

export interface LogoutResult {
  registry: string;
  /** False when there was nothing stored for the registry. */
  removed: boolean;
  store: string;
  configPath: string;
}

/** Usage checks that need no I/O: host, user name and password. */
export function prepareLogin(opts: Pick<LoginOptions, 'server' | 'username' | 'password'>): ServerName {
  const server = parseServer(opts.server);
  if (opts.username === '') throw usageError('missing user name: pass `username`', { option: 'username' });
  if (opts.username.includes(':')) throw usageError('the user name must not contain ":"');
  if (opts.password === '') throw usageError('empty password: pass it with `passwordStdin`, or type it at the prompt', { option: 'passwordStdin' });
  return server;
}

function storeOptions(opts: LogoutOptions): StoreOptions {
  const o: StoreOptions = {};
  if (opts.helm) o.file = 'helm';
  if (opts.env !== undefined) o.env = opts.env;
  if (opts.homeDir !== undefined) o.homeDir = opts.homeDir;
  if (opts.credentialHelperExec !== undefined) o.exec = opts.credentialHelperExec;
  return o;
}

/** Verifies the credentials with the registry, then stores them (helper or config.json, mode 0600). */
export async function login(opts: LoginOptions): Promise<LoginResult> {
  const emit = emitter(opts.onEvent);
  const server = prepareLogin(opts);
  let challenged = false;
  // Only the given user name and password: no --creds, --creds-for or --provider stand in for them.
  const { creds: _creds, credsFor: _credsFor, provider: _provider, ...registry } = opts;
  const conn = connect(opts, registry, {
    credentials: async () => {
      challenged = true;
      return { username: opts.username, password: opts.password };
    },
  });
  emit({ type: 'step', message: `checking credentials for ${server.registry}` });
  try {
    await conn.checkAccess(server);
  } catch (err) {
    if (err instanceof OcipackError && err.code === 'UNAUTHORIZED') {
      const status = err instanceof RegistryError ? err.status : 401;
      throw new RegistryError('UNAUTHORIZED', status, `${server.registry} rejected the user name or password`, [], { host: server.registry, next: 'login-rejected' });
    }
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
  if (!challenged) emit({ type: 'warning', message: `${server.registry} asks for no authentication; the credentials could not be checked` });
  const where = await saveCredentials(server.key, opts.username, opts.password, storeOptions(opts));
  return { registry: server.registry, username: opts.username, store: where.store, configPath: where.configPath, verified: challenged };
}

/** Erases the stored credentials of a registry (helper `erase`, and the `auths` entry). */
export async function logout(opts: LogoutOptions): Promise<LogoutResult> {
  const server = parseServer(opts.server);
  const r = await eraseCredentials(server.key, storeOptions(opts));
  return { registry: server.registry, removed: r.removed, store: r.store, configPath: r.configPath };
}
