/** One run's registry state: the dispatcher, token cache, credentials and one client per registry host. */
import { setMaxListeners } from 'node:events';
import type { Dispatcher } from 'undici';
import { TokenCache } from '../auth/cache.js';
import { RemoteRepository } from '../registry/remote.js';
import { credentialChain } from '../credentials/chain.js';
import type { HelperExec } from '../credentials/helper.js';
import { hostOfKey, parseServer } from '../credentials/keys.js';
import { credentialFromFlag, type Credential, type CredentialResolver } from '../credentials/types.js';
import { usageError } from '../core/errors.js';
import { DEFAULTS } from '../core/defaults.js';
import { emitter, type OnEvent } from '../core/events.js';
import { createDispatcher, proxyFor } from '../http/dispatcher.js';
import { failure } from '../registry/failure.js';
import { discard } from '../http/body.js';
import type { HttpContext } from '../http/request.js';
import type { Reference } from '../oci/reference.js';
import { RegistryClient } from '../registry/client.js';

/** Credentials for one registry only (`--creds-for`, copy's `--from-creds`/`--to-creds`); `flag` names it in messages. */
export interface HostCreds {
  registry: string;
  creds: string;
  flag: string;
}

export interface SessionOptions {
  /** `--creds`: `user:pass`, or a registry token; used for every registry of the run not in `hostCreds`. */
  creds?: string;
  /** Credentials sent to their registry only; they win over `creds` there. */
  hostCreds?: HostCreds[];
  /** `--provider`: a cloud SDK's credential chain for registries without explicit credentials. */
  provider?: 'generic' | 'aws' | 'azure' | 'gcp';
  /**
   * Looked up per registry when `creds` is not given; by default the chain of SPEC §6 (docker config,
   * helpers, podman files) over `env` and `homeDir`.
   */
  credentials?: CredentialResolver;
  /** Home directory for the docker/podman config lookup (default: `env.HOME`). */
  homeDir?: string;
  /** Runs credential helpers (tests inject it); default spawns `docker-credential-<name>`. */
  credentialHelperExec?: HelperExec;
  insecureRegistry?: boolean;
  caFile?: string;
  /** The NODE_EXTRA_CA_CERTS file Node loaded at start-up (see RegistryOptions). */
  loadedExtraCaCerts?: string;
  env?: Record<string, string | undefined>;
  onEvent?: OnEvent;
  signal?: AbortSignal;
  /** Deadline for everything done through this session, from its creation. */
  timeoutMs?: number;
  maxManifestBytes?: number;
  /** Most tags a tag listing collects (default DEFAULTS.caps.tags). */
  maxTags?: number;
  /** A response that sends nothing for this long is abandoned (default DEFAULTS.idleTimeoutMs). */
  idleTimeoutMs?: number;
}

export interface RepositoryOptions {
  /** Ask for `pull,push` scope up front. */
  push?: boolean;
  /** Tags per page when listing. */
  tagPageSize?: number;
}

/** Parses per-registry credentials up front (usage errors before I/O); one value per registry. */
function hostCredentials(list: readonly HostCreds[]): Map<string, Credential> {
  const out = new Map<string, Credential>();
  const given = new Map<string, string>();
  for (const h of list) {
    const host = hostOfKey(parseServer(h.registry).registry);
    const credential: Credential = { ...credentialFromFlag(h.creds, h.flag), source: { kind: 'flag', flag: h.flag } };
    const before = given.get(host);
    if (before !== undefined && before !== h.creds) throw usageError(`two different credentials for ${host} (\`${h.flag}\` and another option)`, { option: h.flag });
    given.set(host, h.creds);
    if (!out.has(host)) out.set(host, credential);
  }
  return out;
}

/** The run's abort signal: the caller's, and the deadline when one is set. */
function runSignal(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  const ms = timeoutMs ?? DEFAULTS.timeoutMs;
  const deadline = ms > 0 && Number.isFinite(ms) ? AbortSignal.timeout(ms) : undefined;
  if (!signal) return deadline;
  if (!deadline) return signal;
  return AbortSignal.any([signal, deadline]);
}

/** Owns the connections and secrets of one run; `close()` it when done. */
export class RegistrySession {
  private readonly opts: SessionOptions;
  private readonly emit: OnEvent;
  private readonly signal: AbortSignal | undefined;
  private readonly resolver: CredentialResolver;
  private readonly cache = new TokenCache();
  private readonly clients = new Map<string, RegistryClient>();
  private readonly credentials = new Map<string, Promise<Credential | undefined>>();
  private dispatcher: Promise<Dispatcher> | undefined;
  private httpContext: Promise<HttpContext> | undefined;

  /** Parses `creds` right away, so a malformed flag fails before any network call. */
  constructor(opts: SessionOptions) {
    this.opts = opts;
    this.emit = emitter(opts.onEvent);
    this.signal = runSignal(opts.signal, opts.timeoutMs);
    // Every request in flight listens to it: `list --concurrency 20` must not print MaxListenersExceededWarning.
    if (this.signal) setMaxListeners(0, this.signal);
    this.resolver = this.makeResolver();
  }

  /** A registry's own credentials first (`hostCreds`), then `--creds`, else the given resolver, else the credential chain. */
  private makeResolver(): CredentialResolver {
    const perHost = hostCredentials(this.opts.hostCreds ?? []);
    const rest = this.fallbackResolver();
    if (perHost.size === 0) return rest;
    return (registry) => {
      const own = perHost.get(hostOfKey(registry));
      if (own === undefined) return rest(registry);
      this.emit({ type: 'debug', message: `credentials for ${registry} from ${own.source?.kind === 'flag' ? `\`${own.source.flag}\`` : 'the caller'}` });
      return Promise.resolve(own);
    };
  }

  private fallbackResolver(): CredentialResolver {
    const o = this.opts;
    if (o.creds !== undefined) {
      const flag: Credential = { ...credentialFromFlag(o.creds), source: { kind: 'flag', flag: 'creds' } };
      return () => Promise.resolve(flag);
    }
    const provider = o.provider;
    if (provider !== undefined && provider !== 'generic') {
      return async (registry) => {
        // Loaded only now: a run without --provider never reads the dispatcher or any cloud SDK.
        const { providerCredential } = await import('../credentials/providers/index.js');
        const credential = await providerCredential(provider, registry, { env: o.env ?? {}, http: () => this.http() });
        this.emit({ type: 'debug', message: `credentials for ${registry} from \`provider\` ${provider}` });
        return credential;
      };
    }
    if (o.credentials) return o.credentials;
    return credentialChain({
      ...(o.env === undefined ? {} : { env: o.env }),
      ...(o.homeDir === undefined ? {} : { homeDir: o.homeDir }),
      ...(o.credentialHelperExec === undefined ? {} : { exec: o.credentialHelperExec }),
      onDebug: (message) => this.emit({ type: 'debug', message }),
    });
  }

  /**
   * `GET /v2/` with the credentials of `ref`'s registry, following the token flow (OCI
   * distribution-spec "Determining support"): resolves when the registry accepts them, else throws
   * UNAUTHORIZED/DENIED. What `login` checks before it stores anything.
   */
  async checkAccess(ref: Pick<Reference, 'registry' | 'host'>): Promise<void> {
    const client = this.client(ref);
    const res = await client.send({ method: 'GET', target: '/v2/', scopes: [] });
    if (res.status !== 200) await failure(res, { host: ref.registry, subject: 'API root /v2/' });
    await discard(res.body);
  }

  /** A repository of the registry named by `ref`, sharing this session's client for its host. */
  repository(ref: Reference, opts: RepositoryOptions = {}): RemoteRepository {
    const o: ConstructorParameters<typeof RemoteRepository>[2] = {
      push: opts.push ?? false,
      maxManifestBytes: this.opts.maxManifestBytes ?? DEFAULTS.caps.manifestBytes,
    };
    if (opts.tagPageSize !== undefined) o.tagPageSize = opts.tagPageSize;
    if (this.opts.maxTags !== undefined) o.maxTags = this.opts.maxTags;
    if (this.opts.onEvent !== undefined) o.onEvent = this.opts.onEvent;
    return new RemoteRepository(this.client(ref), ref, o);
  }

  /** Closes the dispatcher's connections. */
  async close(): Promise<void> {
    const d = this.dispatcher;
    this.dispatcher = undefined;
    this.httpContext = undefined;
    if (d) await (await d.catch(() => undefined))?.close();
  }

  private client(ref: Pick<Reference, 'registry' | 'host'>): RegistryClient {
    let c = this.clients.get(ref.host);
    if (!c) {
      const o: ConstructorParameters<typeof RegistryClient>[0] = {
        host: ref.host,
        http: () => this.http(),
        credential: () => this.credential(ref.registry),
        cache: this.cache,
      };
      if (this.opts.insecureRegistry !== undefined) o.insecureRegistry = this.opts.insecureRegistry;
      c = new RegistryClient(o);
      this.clients.set(ref.host, c);
    }
    return c;
  }

  /** One lookup per registry and run, shared by every request (a helper runs at most once). */
  private credential(registry: string): Promise<Credential | undefined> {
    let p = this.credentials.get(registry);
    if (!p) {
      p = this.resolver(registry);
      this.credentials.set(registry, p);
    }
    return p;
  }

  private http(): Promise<HttpContext> {
    this.httpContext ??= this.makeHttp();
    return this.httpContext;
  }

  private async makeHttp(): Promise<HttpContext> {
    const o: Parameters<typeof createDispatcher>[0] = {};
    if (this.opts.env !== undefined) o.env = this.opts.env;
    if (this.opts.caFile !== undefined) o.caFile = this.opts.caFile;
    if (this.opts.loadedExtraCaCerts !== undefined) o.loadedExtraCaCerts = this.opts.loadedExtraCaCerts;
    if (this.opts.insecureRegistry !== undefined) o.insecureRegistry = this.opts.insecureRegistry;
    if (this.opts.idleTimeoutMs !== undefined) o.idleTimeoutMs = this.opts.idleTimeoutMs;
    o.onWarning = (message) => this.emit({ type: 'warning', message });
    if (this.opts.insecureRegistry) {
      this.emit({ type: 'warning', message: 'TLS certificate verification is off and plain HTTP is allowed (`insecureRegistry`)' });
    }
    this.dispatcher = createDispatcher(o);
    const ctx: HttpContext = {
      dispatcher: await this.dispatcher,
      onDebug: (message) => this.emit({ type: 'debug', message }),
    };
    if (this.signal) ctx.signal = this.signal;
    const env = this.opts.env ?? {};
    ctx.proxyFor = (url) => proxyFor(url, env);
    return ctx;
  }
}
