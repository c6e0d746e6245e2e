/**
 * One run's registry state: the dispatcher, token cache, credentials and one client per registry host.
 * Private to connect/: use-cases reach it through connect() (connect.ts), which makes at most one per run.
 */
import type { Dispatcher } from 'undici';
import { TokenCache } from '../auth/cache.js';
import { RemoteRepository } from '../registry/remote.js';
import { credentialChain } from '../credentials/chain.js';
import { hostOfKey, parseServer } from '../credentials/keys.js';
import { credentialFromFlag, type Credential, type CredentialResolver } from '../credentials/types.js';
import { usageError } from '../core/errors.js';
import { DEFAULTS } from '../core/defaults.js';
import { emitter, type OnEvent } from '../core/events.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import { createDispatcher, proxyInUse } from '../http/dispatcher.js';
import { failure } from '../registry/failure.js';
import { discard } from '../http/body.js';
import type { HttpContext } from '../http/request.js';
import type { Reference } from '../oci/reference.js';
import { RegistryClient } from '../registry/client.js';
import type { Waits } from '../http/waits.js';

/** Credentials for one registry only (`--creds-for`, copy's `--from-creds`/`--to-creds`); `flag` names it in messages. */
export interface HostCreds {
  registry: string;
  creds: string;
  flag: string;
}

/** What a run adds to its RegistryOptions: per-registry flags of one command, or a resolver of its own (login). */
export interface SessionExtra {
  /** Credentials sent to their registry only; they win over `creds` and `credsFor` there. */
  hostCreds?: HostCreds[];
  /**
   * Looked up per registry when `creds` and `provider` are not given; by default the chain of SPEC §6
   * (docker config, helpers, podman files) over `env` and `homeDir`.
   */
  credentials?: CredentialResolver;
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

/** Owns the connections and secrets of one run; `close()` it when done. */
export class RegistrySession {
  private readonly run: RunOptions;
  private readonly registry: RegistryOptions & TargetCaps;
  private readonly extra: SessionExtra;
  private readonly emit: OnEvent;
  private readonly signal: AbortSignal;
  private readonly waits: Waits;
  private readonly resolver: CredentialResolver;
  private readonly cache = new TokenCache();
  private readonly clients = new Map<string, RegistryClient>();
  private readonly credentials = new Map<string, Promise<Credential | undefined>>();
  private dispatcher: Promise<Dispatcher> | undefined;
  private httpContext: Promise<HttpContext> | undefined;

  /** Parses `creds` right away, so a malformed flag fails before any network call; `run`'s one signal and its waits. */
  constructor(run: RunOptions, registry: RegistryOptions & TargetCaps, extra: SessionExtra, { signal, waits }: { signal: AbortSignal; waits: Waits }) {
    this.run = run;
    this.registry = registry;
    this.extra = extra;
    this.emit = emitter(run.onEvent);
    this.signal = signal;
    this.waits = waits;
    this.resolver = this.makeResolver();
  }

  /** A registry's own credentials first (`hostCreds`, `credsFor`), then `--creds`, else the given resolver, else the credential chain. */
  private makeResolver(): CredentialResolver {
    const credsFor = Object.entries(this.registry.credsFor ?? {}).map(([registry, creds]) => ({ registry, creds, flag: 'credsFor' }));
    const perHost = hostCredentials([...(this.extra.hostCreds ?? []), ...credsFor]);
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
    const { run, registry: o } = this;
    if (o.creds !== undefined) {
      const flag: Credential = { ...credentialFromFlag(o.creds), source: { kind: 'flag', flag: 'creds' } };
      return (registry) => {
        this.emit({ type: 'debug', message: `credentials for ${registry} from \`creds\`` });
        return Promise.resolve(flag);
      };
    }
    const provider = o.provider;
    if (provider !== undefined && provider !== 'generic') {
      return async (registry) => {
        // Loaded only now: a run without --provider never reads the dispatcher or any cloud SDK.
        const { providerCredential } = await import('../credentials/providers/index.js');
        const credential = await providerCredential(provider, registry, { env: run.env ?? {}, http: () => this.http() });
        this.emit({ type: 'debug', message: `credentials for ${registry} from \`provider\` ${provider}` });
        return credential;
      };
    }
    if (this.extra.credentials) return this.extra.credentials;
    return credentialChain({
      env: run.env,
      homeDir: run.homeDir,
      exec: o.credentialHelperExec,
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

  /** A repository of the registry named by `ref`, sharing this session's client for its host; `push` asks for `pull,push`. */
  repository(ref: Reference, push: boolean): RemoteRepository {
    const { maxManifestBytes = DEFAULTS.caps.manifestBytes, maxTags } = this.registry;
    return new RemoteRepository(this.client(ref), ref, { push, maxManifestBytes, maxTags, onEvent: this.run.onEvent });
  }

  /**
   * Closes the dispatcher's connections; a stopped run (deadline, interrupt) destroys them, since a graceful
   * close would wait for a request still queued behind a connect attempt (up to the connect timeout).
   */
  async close(): Promise<void> {
    const d = await this.dispatcher?.catch(() => undefined);
    this.dispatcher = undefined;
    this.httpContext = undefined;
    if (d) await (this.signal.aborted ? d.destroy() : d.close());
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
      if (this.registry.insecureRegistry !== undefined) o.insecureRegistry = this.registry.insecureRegistry;
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
    if (this.registry.insecureRegistry) {
      this.emit({ type: 'warning', message: 'TLS certificate verification is off and plain HTTP is allowed (`insecureRegistry`)' });
    }
    // The dispatcher reads its settings from the RegistryOptions value itself.
    this.dispatcher = createDispatcher({ ...this.registry, env: this.run.env, onWarning: (message) => this.emit({ type: 'warning', message }) });
    const ctx: HttpContext = {
      dispatcher: await this.dispatcher,
      onDebug: (message) => this.emit({ type: 'debug', message }),
      signal: this.signal,
      waits: this.waits,
    };
    const env = this.run.env ?? {};
    ctx.proxyFor = (url) => proxyInUse(url, env);
    return ctx;
  }
}
