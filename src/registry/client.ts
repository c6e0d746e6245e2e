/**
 * One registry host: decides the scheme with a ping of `GET /v2/` (OCI distribution-spec
 * "Determining support"), then sends requests with the right `Authorization`, retrying once after a 401.
 */
import { Authorizer } from '../auth/authorizer.js';
import type { TokenCache } from '../auth/cache.js';
import { challengesOf } from '../auth/challenge.js';
import type { Credential } from '../core/credential.js';
import { DEFAULTS } from '../core/defaults.js';
import { CredentialsRejectedError, OcipackError } from '../core/errors.js';
import { discard } from '../http/body.js';
import { classifyFailure, networkError, type NetworkPlace } from '../http/errors.js';
import { failure } from './failure.js';
import { isReplayable, request, type HttpContext, type HttpResponse, type Method, type RequestBody } from '../http/request.js';
import { backoffMs, DEFAULT_RETRY, sleep } from '../http/retry.js';
import { isLoopback } from '../oci/reference.js';
import { speaksTls } from './tlsprobe.js';

export interface ClientOptions {
  /** host[:port] on the wire. */
  host: string;
  http: () => Promise<HttpContext>;
  credential: () => Promise<Credential | undefined>;
  cache: TokenCache;
  insecureRegistry?: boolean;
}

export interface SendRequest {
  method: Method;
  /** Path below the registry root (`/v2/…`), or an absolute URL (upload `Location`, `Link` page). */
  target: string | URL;
  scopes: readonly string[];
  headers?: Record<string, string>;
  body?: RequestBody;
  followRedirects?: boolean;
  /** Let the HTTP layer retry (default true); an upload PUT restarts a whole session instead. */
  retry?: boolean;
  /** Instead of the run's signal: a request made after the run stopped (cancelling an upload) has a short bound of its own. */
  signal?: AbortSignal;
}

/** A client for one registry host, shared by every repository of that host in a session. */
export class RegistryClient {
  readonly host: string;
  private readonly opts: ClientOptions;
  private ready: Promise<{ base: URL; auth: Authorizer }> | undefined;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.host = opts.host;
  }

  /** How many times an operation above one request (upload session, resumed download) may be tried. */
  async attempts(): Promise<number> {
    return ((await this.opts.http()).retry ?? DEFAULT_RETRY).attempts;
  }

  /** Waits the jittered backoff before try `n + 1` of an operation above one request; rejects on abort. */
  async pause(n: number): Promise<void> {
    const http = await this.opts.http();
    try {
      await sleep(backoffMs(n, http.retry ?? DEFAULT_RETRY), http.signal);
    } catch (err) {
      throw networkError(err, this.host, http.signal);
    }
  }

  /** `host`, with the proxy requests to `url` go through (for messages that must tell the two apart). */
  private where(http: HttpContext, url: URL): NetworkPlace {
    const proxy = http.proxyFor?.(url);
    return proxy === undefined ? this.host : { host: this.host, proxy };
  }

  /** The run's abort signal, if any. */
  async signal(): Promise<AbortSignal | undefined> {
    return (await this.opts.http()).signal;
  }

  /** The registry's base URL (`https://host` or `http://host`), pinging it on first use. */
  async base(): Promise<URL> {
    return (await this.connect()).base;
  }

  private connect(): Promise<{ base: URL; auth: Authorizer }> {
    this.ready ??= this.ping().catch((err: unknown) => {
      // A refused first contact stays the answer for this session: later requests fail at once, not after more tries.
      if (!refused(err)) this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /** HTTPS first; plain HTTP only for a loopback host that does not speak TLS, or with --insecure-registry (SPEC §2). */
  private async ping(): Promise<{ base: URL; auth: Authorizer }> {
    const http = await this.opts.http();
    const https = new URL(`https://${this.host}/`);
    if (!(await this.plainLoopback(http, https))) {
      try {
        return await this.pingAt(http, https);
      } catch (err) {
        if (err instanceof OcipackError) throw err;
        const kind = classifyFailure(err, http.signal);
        if (kind === 'certificate' || kind === 'aborted') throw networkError(err, this.where(http, https), http.signal);
        const plainAllowed = this.opts.insecureRegistry === true || (kind === 'not-tls' && isLoopback(this.host));
        if (!plainAllowed) {
          if (kind !== 'not-tls') throw networkError(err, this.where(http, https), http.signal);
          throw new OcipackError('PLAIN_HTTP', `${this.host} does not speak TLS`, {
            context: { host: this.host, next: 'insecure' },
          });
        }
      }
    }
    try {
      return await this.pingAt(http, new URL(`http://${this.host}/`));
    } catch (err) {
      throw networkError(err, this.where(http, new URL(`http://${this.host}/`)), http.signal);
    }
  }

  /** A loopback host reached directly that a cheap handshake shows not to speak TLS (tlsprobe.ts). */
  private async plainLoopback(http: HttpContext, https: URL): Promise<boolean> {
    if (!isLoopback(this.host) || http.proxyFor?.(https) !== undefined) return false;
    http.onDebug?.(`> TLS probe ${https.origin}/`);
    const tls = await speaksTls(https, DEFAULTS.connectTimeoutMs, http.signal, http.waits);
    http.onDebug?.(`< TLS probe ${https.origin}/: ${tls === undefined ? 'no answer' : tls ? 'speaks TLS' : 'not TLS, using plain HTTP'}`);
    return tls === false;
  }

  private async pingAt(http: HttpContext, base: URL): Promise<{ base: URL; auth: Authorizer }> {
    const res = await this.ownOrigin(await request(http, { method: 'GET', url: new URL('/v2/', base), firstContact: true }), base, 'API root /v2/');
    const auth = new Authorizer(this.opts, base);
    if (res.status === 401) auth.learn(challengesOf(res.headers['www-authenticate']));
    else if (res.status >= 400 && res.status !== 404) await failure(res, { host: this.host, subject: 'API root /v2/' });
    await discard(res.body);
    return { base, auth };
  }

  /**
   * A 401/403 that another origin sent (a redirect target such as a CDN or bucket, an upload `Location`
   * elsewhere) is an error naming that host: its challenge is never learned, no token is fetched for it,
   * and the registry's credentials never reach its realm (SPEC §6).
   */
  private async ownOrigin(res: HttpResponse, base: URL, what: string): Promise<HttpResponse> {
    if ((res.status !== 401 && res.status !== 403) || res.url.origin === base.origin) return res;
    await discard(res.body);
    throw new OcipackError('REGISTRY',
      `${res.url.host}, another host than the registry ${this.host} (reached for ${what}), answered ${res.status} asking for credentials; ` +
      `ocipack sends ${this.host}'s credentials only to ${this.host} and learns challenges only from it`,
      { context: { host: res.url.host, next: 'redirect-auth' } });
  }

  /**
   * Sends a request with credentials for `scopes`. Credentials only go to the registry's own origin;
   * after a 401 it retries once with what the new challenge asks for. The caller owns the body.
   */
  async send(req: SendRequest): Promise<HttpResponse> {
    const { base, auth } = await this.connect();
    const run = await this.opts.http();
    const http = req.signal === undefined ? run : { ...run, signal: req.signal };
    const url = typeof req.target === 'string' ? new URL(req.target, base) : req.target;
    const own = url.origin === base.origin;
    const go = async (authorization: string | undefined): Promise<HttpResponse> => {
      const headers: Record<string, string> = { ...req.headers };
      if (authorization !== undefined) headers.authorization = authorization;
      const r: Parameters<typeof request>[1] = { method: req.method, url, headers };
      if (req.body !== undefined) r.body = req.body;
      if (req.followRedirects !== undefined) r.followRedirects = req.followRedirects;
      if (req.retry !== undefined) r.retry = req.retry;
      try {
        return await request(http, r);
      } catch (err) {
        throw networkError(err, this.where(http, url), http.signal);
      }
    };
    const what = `${req.method} ${url.pathname}`;
    const first = own ? await auth.authorization(req.scopes) : undefined;
    const res = await this.ownOrigin(await go(first), base, what);
    if (res.status !== 401) return res;
    if (!own) return this.refused(res, auth, undefined);
    if (!isReplayable(req.body) || !auth.learn(challengesOf(res.headers['www-authenticate']))) return this.refused(res, auth, first);
    let second: string | undefined;
    try {
      second = await auth.authorization(req.scopes, true);
    } catch (err) {
      await discard(res.body);
      throw err;
    }
    if (second === first) return this.refused(res, auth, first);
    await discard(res.body);
    const again = await this.ownOrigin(await go(second), base, what);
    return again.status === 401 ? this.refused(again, auth, second) : again;
  }

  /**
   * A final 401: after the realm rule kept the credentials back it says so, instead of "log in"; to a
   * request that carried the credential itself it is "rejected" (with its source); else the caller's to report.
   */
  private async refused(res: HttpResponse, auth: Authorizer, header: string | undefined): Promise<HttpResponse> {
    if (res.status !== 401) return res;
    if (auth.withheld !== undefined) {
      await discard(res.body);
      throw new OcipackError('UNAUTHORIZED', `${auth.withheld}, and ${this.host} refused the anonymous token`, { context: { host: this.host, next: 'realm-withheld' } });
    }
    const credential = auth.credentialBehind(header);
    if (credential === undefined) return res;
    await discard(res.body);
    throw new CredentialsRejectedError(401, this.host, credential.source);
  }
}

/** True for a failure whose cause is a refused connection (nothing listens on the host's port). */
function refused(err: unknown): boolean {
  return err instanceof OcipackError && err.context.next === 'connection-refused';
}
