/** The one way ocipack talks HTTP: undici.request plus retries, manual redirects and a redacted trace. */
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { request as undiciRequest } from './undici.js';
import { DEFAULTS, USER_AGENT } from '../core/defaults.js';
import { errCode, hasErrCode } from '../core/errno.js';
import { OcipackError } from '../core/errors.js';
import { discard, type ResponseBody } from './body.js';
import { redactUrl, requestLine, responseLine } from './redact.js';
import { DEFAULT_RETRY, delayForResponse, backoffMs, isRetryableError, isRetryableStatus, sleep, type RetryPolicy } from './retry.js';
import { observed, type Waits } from './waits.js';

/** A body that can be sent again (bytes, or a function that reopens the source) or a one-shot stream. */
export type RequestBody = Buffer | (() => Readable) | Readable;

export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: Method;
  url: URL;
  headers?: Record<string, string>;
  body?: RequestBody;
  /** Follow redirects; only ever for GET and HEAD. Default true. */
  followRedirects?: boolean;
  /**
   * Retry on 408/429/5xx and connection errors (default true). Off for an upload PUT: resending to the
   * same upload session after a midway break cannot work, so the caller restarts with a new session.
   */
  retry?: boolean;
  /** The first contact with a host: a refused connection is retried once at most, then fails (nothing listens there). */
  firstContact?: boolean;
}

export interface HttpContext {
  dispatcher: Dispatcher;
  signal?: AbortSignal;
  onDebug?: (line: string) => void;
  retry?: RetryPolicy;
  /** The (redacted) proxy a request to `url` goes through and the variable naming it, for messages; undefined when direct. */
  proxyFor?: (url: URL) => { url: string; variable: string } | undefined;
  /** The run's network waits, so its deadline can say what it stopped (connect/deadline.ts). */
  waits?: Waits;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
  /** The URL that answered, after redirects: relative `Location` and `Link` values resolve against it. */
  url: URL;
}

/** Headers that may follow a redirect to another origin; credentials and custom headers may not. */
const CROSS_ORIGIN_SAFE = new Set(['accept', 'user-agent', 'range', 'if-none-match', 'if-match']);

/** The first value of a response header. */
export function header(res: { headers: IncomingHttpHeaders }, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** `Content-Length` as a number, or undefined when absent or malformed. */
export function contentLength(res: { headers: IncomingHttpHeaders }): number | undefined {
  const v = header(res, 'content-length');
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** True when the body can be sent again: none, bytes, or a function that reopens the source. */
export function isReplayable(body: RequestBody | undefined): boolean {
  return body === undefined || Buffer.isBuffer(body) || typeof body === 'function';
}

function openBody(body: RequestBody | undefined): Buffer | Readable | undefined {
  return typeof body === 'function' ? body() : body;
}

/** Only the headers that may travel to another origin. */
export function crossOriginHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => CROSS_ORIGIN_SAFE.has(k.toLowerCase())));
}

/** The next URL of a redirect, refusing schemes other than http(s) and any https→http downgrade. */
export function redirectTarget(from: URL, location: string): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new OcipackError('REGISTRY', `${from.host} sent an invalid redirect`);
  }
  if (next.protocol !== 'https:' && next.protocol !== 'http:') {
    throw new OcipackError('REGISTRY', `${from.host} redirected to an unsupported scheme ${next.protocol}`);
  }
  if (from.protocol === 'https:' && next.protocol === 'http:') {
    throw new OcipackError('REGISTRY', `refusing redirect from https to plain http (${redactUrl(next)})`);
  }
  return next;
}

/**
 * Sends one request; GET/HEAD follow up to DEFAULTS.maxRedirects redirects, dropping credentials and
 * custom headers when the origin changes. The caller must consume or discard the returned body.
 */
export async function request(ctx: HttpContext, req: HttpRequest): Promise<HttpResponse> {
  let url = req.url;
  let headers: Record<string, string> = { 'user-agent': USER_AGENT, ...req.headers };
  const follow = (req.followRedirects ?? true) && (req.method === 'GET' || req.method === 'HEAD');
  for (let hop = 0; ; hop++) {
    const res = await sendWithRetry(ctx, req.method, url, headers, req.body, req.retry ?? true, req.firstContact === true);
    const location = header(res, 'location');
    if (!follow || !isRedirect(res.status) || location === undefined) return res;
    await discard(res.body);
    if (hop >= DEFAULTS.maxRedirects) throw new OcipackError('REGISTRY', `too many redirects from ${req.url.host}`);
    const next = redirectTarget(url, location);
    if (next.origin !== url.origin) headers = crossOriginHeaders(headers);
    url = next;
  }
}

async function sendWithRetry(
  ctx: HttpContext, method: Method, url: URL, headers: Record<string, string>, body: RequestBody | undefined, retry: boolean,
  firstContact = false,
): Promise<HttpResponse> {
  const policy = ctx.retry ?? DEFAULT_RETRY;
  const debug = ctx.onDebug;
  for (let n = 0; ; n++) {
    const canRetry = retry && n + 1 < policy.attempts && isReplayable(body);
    debug?.(requestLine(method, url, headers));
    const started = Date.now();
    const payload = openBody(body);
    let res: Dispatcher.ResponseData;
    try {
      res = await sendOnce(ctx, method, url, headers, payload);
    } catch (err) {
      if (payload instanceof Readable) payload.destroy();
      if (!canRetry || ctx.signal?.aborted || !isRetryableError(err)) throw err;
      if (firstContact && n >= DEFAULTS.refusedFirstContactRetries && hasErrCode(err, 'ECONNREFUSED')) throw err;
      const wait = backoffMs(n, policy);
      debug?.(`! ${method} ${redactUrl(url)} failed (${errCode(err)}), retry ${n + 1} in ${wait} ms`);
      await sleep(wait, ctx.signal);
      continue;
    }
    debug?.(responseLine(method, url, res.statusCode, res.headers, Date.now() - started));
    if (canRetry && isRetryableStatus(res.statusCode)) {
      const wait = delayForResponse(n, res.headers['retry-after'], policy);
      if (wait !== undefined) {
        await discard(res.body);
        debug?.(`! ${method} ${redactUrl(url)} answered ${res.statusCode}, retry ${n + 1} in ${wait} ms`);
        await sleep(wait, ctx.signal);
        continue;
      }
    }
    return { status: res.statusCode, headers: res.headers, body: res.body, url };
  }
}

/** One attempt, its phases told to the run's waits, given up as soon as the run's signal aborts. */
async function sendOnce(
  ctx: HttpContext, method: Method, url: URL, headers: Record<string, string>, payload: Buffer | Readable | undefined,
): Promise<Dispatcher.ResponseData> {
  const waiting = ctx.waits?.begin(`connecting to ${connectTarget(ctx, url)}`);
  const line = `${method} ${redactUrl(url)}`;
  const dispatcher = waiting ? observed(ctx.dispatcher, waiting, `waiting for the response headers of ${line}`, `reading the body of ${line}`) : ctx.dispatcher;
  try {
    // reset: false keeps the connection after a HEAD (undici closes it by default, for servers that answer
    // HEAD with a body; registries do not): a push's blob and manifest checks cost no new TCP/TLS handshake.
    return await abortable(undiciRequest(url, { method, headers, body: payload ?? null, dispatcher, signal: ctx.signal ?? null, reset: false }), ctx.signal);
  } catch (err) {
    waiting?.done();
    throw err;
  }
}

/** `host:port` a request connects to, and the proxy it goes through. */
function connectTarget(ctx: HttpContext, url: URL): string {
  const hostPort = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  const proxy = ctx.proxyFor?.(url);
  return proxy === undefined ? hostPort : `${hostPort} through the proxy ${proxy.url}`;
}

/**
 * `pending`, rejected with the signal's reason as soon as it aborts: undici keeps a request that has no
 * connection yet until its connect attempt ends (up to the connect timeout, or a proxy's silence), so
 * the run's deadline would otherwise wait for it. A response that arrives too late is discarded.
 */
function abortable(pending: Promise<Dispatcher.ResponseData>, signal: AbortSignal | undefined): Promise<Dispatcher.ResponseData> {
  if (!signal) return pending;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    pending.then((res) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) res.body.destroy();
      resolve(res);
    }, (err: unknown) => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
  });
}
