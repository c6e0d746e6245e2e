/** One run's registry state: the dispatcher, token cache, credentials and one client per registry host. */
import type { Dispatcher } from 'undici';
import { TokenCache } from '../auth/cache.js';
import { RemoteRepository } from '../content/remote.js';
import { credentialFromFlag, type Credential, type CredentialResolver } from '../credentials/types.js';
import { DEFAULTS } from '../defaults.js';
import { emitter, type OnEvent } from '../events.js';
import { createDispatcher } from '../http/dispatcher.js';
import type { HttpContext } from '../http/request.js';
import type { Reference } from '../oci/reference.js';
import { RegistryClient } from './client.js';

export interface SessionOptions {
  /** `--creds`: `user:pass`, or a registry token; used for every registry of the run. */
  creds?: string;
  /** Looked up per registry when `creds` is not given (docker config, helpers, ...). */
  credentials?: CredentialResolver;
  insecureRegistry?: boolean;
  caFile?: string;
  env?: Record<string, string | undefined>;
  onEvent?: OnEvent;
  signal?: AbortSignal;
  /** Deadline for everything done through this session, from its creation. */
  timeoutMs?: number;
  maxManifestBytes?: number;
}

export interface RepositoryOptions {
  /** Ask for `pull,push` scope up front. */
  push?: boolean;
  /** Tags per page when listing. */
  tagPageSize?: number;
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
  private readonly flagCredential: Credential | undefined;
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
    this.flagCredential = opts.creds === undefined ? undefined : credentialFromFlag(opts.creds);
  }

  /** A repository of the registry named by `ref`, sharing this session's client for its host. */
  repository(ref: Reference, opts: RepositoryOptions = {}): RemoteRepository {
    const o: ConstructorParameters<typeof RemoteRepository>[2] = {
      push: opts.push ?? false,
      maxManifestBytes: this.opts.maxManifestBytes ?? DEFAULTS.caps.manifestBytes,
    };
    if (opts.tagPageSize !== undefined) o.tagPageSize = opts.tagPageSize;
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

  private client(ref: Reference): RegistryClient {
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

  private credential(registry: string): Promise<Credential | undefined> {
    if (this.flagCredential) return Promise.resolve(this.flagCredential);
    const resolver = this.opts.credentials;
    if (!resolver) return Promise.resolve(undefined);
    let p = this.credentials.get(registry);
    if (!p) {
      p = resolver(registry);
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
    if (this.opts.insecureRegistry !== undefined) o.insecureRegistry = this.opts.insecureRegistry;
    this.dispatcher = createDispatcher(o);
    const ctx: HttpContext = {
      dispatcher: await this.dispatcher,
      onDebug: (message) => this.emit({ type: 'debug', message }),
    };
    if (this.signal) ctx.signal = this.signal;
    return ctx;
  }
}
