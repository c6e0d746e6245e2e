/**
 * One registry host: its first request decides the scheme and learns the auth challenge (no `/v2/`
 * ping when a request of its own can ask), then requests carry the right `Authorization`, retried once after a 401.
 */
import { Authorizer } from '../auth/authorizer.js';
import type { TokenCache } from '../auth/cache.js';
import { challengesOf } from '../auth/challenge.js';
import type { Credential } from '../core/credential.js';
import { CredentialsRejectedError, OcipackError } from '../core/errors.js';
import { discard } from '../http/body.js';
import { networkError } from '../http/errors.js';
import { failure } from './failure.js';
import { isReplayable, request, type HttpContext, type HttpRequest, type HttpResponse, type Method, type RequestBody } from '../http/request.js';
import { backoffMs, DEFAULT_RETRY, sleep } from '../http/retry.js';
import { firstContact, where } from './contact.js';

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

/** What the first contact settled: the scheme (as the base URL) and the authorization state. */
interface Contact {
  base: URL;
  auth: Authorizer;
}

/** The opening request's answer, and whether its 401 taught the challenge. */
interface Opened {
  contact: Contact;
  res: HttpResponse;
  learned: boolean;
}

/** A client for one registry host, shared by every repository of that host in a session. */
export class RegistryClient {
  readonly host: string;
  private readonly opts: ClientOptions;
  private ready: Promise<Contact> | undefined;

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

  /** The run's abort signal, if any. */
  async signal(): Promise<AbortSignal | undefined> {
    return (await this.opts.http()).signal;
  }

  /** The registry's base URL (`https://host` or `http://host`), pinging it only when no request has reached it yet. */
  async base(): Promise<URL> {
    return (await this.connect()).base;
  }

  private connect(): Promise<Contact> {
    this.ready ??= this.settled(this.ping());
    return this.ready;
  }

  /** A refused first contact stays the answer for this session (later requests fail at once, not after more tries); any other failure is forgotten. */
  private settled(contact: Promise<Contact>): Promise<Contact> {
    const ready: Promise<Contact> = contact.catch((err: unknown) => {
      if (!refused(err) && this.ready === ready) this.ready = undefined;
      throw err;
    });
    return ready;
  }

  /** `GET /v2/` (OCI distribution-spec "Determining support"): only for a contact no request of its own can make. */
  private async ping(): Promise<Contact> {
    const http = await this.opts.http();
    return firstContact(http, this.opts, async (base) => {
      const res = await this.ownOrigin(await request(http, { method: 'GET', url: new URL('/v2/', base), firstContact: true }), base, 'API root /v2/');
      const auth = new Authorizer(this.opts, base);
      if (res.status === 401) auth.learn(challengesOf(res.headers['www-authenticate']));
      else if (res.status >= 400 && res.status !== 404) await failure(res, { host: this.host, subject: 'API root /v2/' });
      await discard(res.body);
      return { base, auth };
    });
  }

  /**
   * The first request to this host makes the contact itself, instead of a `/v2/` ping: its answer decides
   * the scheme, and a 401 from the registry's own origin teaches the challenge before any other request
   * of the session leaves (they wait for `ready`). Set synchronously, so two requests never both open.
   */
  private open(req: SendRequest, target: string): Promise<Opened> {
    const opened = (async (): Promise<Opened> => {
      const http = await this.httpFor(req);
      return firstContact(http, this.opts, async (base) => {
        const url = new URL(target, base);
        const res = await this.ownOrigin(await request(http, { ...this.wire(req, url, undefined), firstContact: true }), base, `${req.method} ${url.pathname}`);
        const auth = new Authorizer(this.opts, base);
        const learned = res.status === 401 && auth.learn(challengesOf(res.headers['www-authenticate']));
        return { contact: { base, auth }, res, learned };
      });
    })();
    this.ready = this.settled(opened.then((o) => o.contact));
    this.ready.catch(() => undefined); // the opening request reports the failure; no waiter may be there
    return opened;
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
    if (this.ready === undefined && typeof req.target === 'string' && isReplayable(req.body)) return this.sendFirst(req, req.target);
    const contact = await this.connect();
    const http = await this.httpFor(req);
    const url = typeof req.target === 'string' ? new URL(req.target, contact.base) : req.target;
    const own = url.origin === contact.base.origin;
    const first = own ? await contact.auth.authorization(req.scopes) : undefined;
    const res = await this.ownOrigin(await this.go(http, req, url, first), contact.base, `${req.method} ${url.pathname}`);
    return this.answered(http, contact, req, url, first, res);
  }

  /** The opening request; a 401 that taught the challenge is answered as a ping's would have been: once more with what it asks for. */
  private async sendFirst(req: SendRequest, target: string): Promise<HttpResponse> {
    const { contact, res, learned } = await this.open(req, target);
    if (!learned) return this.refused(res, contact.auth, undefined);
    let header: string | undefined;
    try {
      header = await contact.auth.authorization(req.scopes);
    } catch (err) {
      await discard(res.body);
      throw err;
    }
    if (header === undefined) return this.refused(res, contact.auth, undefined);
    await discard(res.body);
    const http = await this.httpFor(req);
    const url = new URL(target, contact.base);
    const again = await this.ownOrigin(await this.go(http, req, url, header), contact.base, `${req.method} ${url.pathname}`);
    return this.answered(http, contact, req, url, header, again);
  }

  /** After a 401 from the registry itself: learn its challenge and try once more with a fresh authorization. */
  private async answered(http: HttpContext, contact: Contact, req: SendRequest, url: URL, first: string | undefined, res: HttpResponse): Promise<HttpResponse> {
    const { auth, base } = contact;
    if (res.status !== 401) return res;
    if (url.origin !== base.origin) return this.refused(res, auth, undefined);
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
    const again = await this.ownOrigin(await this.go(http, req, url, second), base, `${req.method} ${url.pathname}`);
    return again.status === 401 ? this.refused(again, auth, second) : again;
  }

  /** The run's HTTP context, or with the request's own signal (a request made after the run stopped has a short bound of its own). */
  private async httpFor(req: SendRequest): Promise<HttpContext> {
    const run = await this.opts.http();
    return req.signal === undefined ? run : { ...run, signal: req.signal };
  }

  /** The request as the HTTP layer takes it, with `authorization` when given. */
  private wire(req: SendRequest, url: URL, authorization: string | undefined): HttpRequest {
    const headers: Record<string, string> = { ...req.headers };
    if (authorization !== undefined) headers.authorization = authorization;
    const r: HttpRequest = { method: req.method, url, headers };
    if (req.body !== undefined) r.body = req.body;
    if (req.followRedirects !== undefined) r.followRedirects = req.followRedirects;
    if (req.retry !== undefined) r.retry = req.retry;
    return r;
  }

  private async go(http: HttpContext, req: SendRequest, url: URL, authorization: string | undefined): Promise<HttpResponse> {
    try {
      return await request(http, this.wire(req, url, authorization));
    } catch (err) {
      throw networkError(err, where(http, this.host, url), http.signal);
    }
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
