/**
 * A fault-injecting HTTP(S) reverse proxy for tests, placed in front of the real registry. Each test
 * scripts rules (first match wins, each for `times` requests): answer with a status, reset the connection
 * at once, reset or truncate a response or request body midway, flip a byte, redirect, rewrite headers,
 * trickle or stall. Everything else is forwarded unchanged (Host kept, so the registry's Location headers
 * point back at the proxy).
 * Every request is logged with its headers, so tests can assert what reached which origin.
 */
import { createServer as createHttp, request as httpRequest, Agent, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';

export type FaultAction =
  | { status: number; headers?: Record<string, string>; body?: string | Buffer }
  | { redirect: string | ((req: LoggedRequest) => string); status?: number }
  /** Forward, then reset the connection after this many response body bytes. */
  | { resetResponseAfter: number }
  /** Forward, then close cleanly after this many body bytes: with the original Content-Length (a short read), or without one. */
  | { truncateAfter: number; keepLength: boolean }
  /** Forward with the body byte at this offset inverted. */
  | { flipByte: number }
  /** Forward the request body to the registry, then reset both connections after this many bytes. */
  | { resetRequestAfter: number }
  /** Forward with these response headers set (null removes one). */
  | { setHeaders: Record<string, string | null> }
  /** Forward the body `bytes` at a time, one piece every `everyMs`. */
  | { trickle: { bytes: number; everyMs: number } }
  /** Forward the headers, then send nothing. */
  | { stall: true }
  /** Take the request (its body read and dropped) without forwarding it, and never answer: an upload session stays open. */
  | { hold: true }
  /** Reset the connection at once: no status, no headers (a network failure). */
  | { reset: true };

export interface FaultRule {
  method?: string;
  /** Matched against path + query. */
  path?: RegExp;
  /** Requests this rule applies to (default: all). */
  times?: number;
  action: FaultAction;
}

export interface LoggedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Name of the fault applied, if any. */
  fault?: string;
  /** Status sent to the client. */
  status?: number;
  /** Response body bytes sent so far. */
  sent: number;
  /** When it arrived (ms since epoch). */
  at: number;
}

export interface FaultProxy {
  host: string;
  url: string;
  log: LoggedRequest[];
  /** Replace the rules (their counters start afresh) and clear the log. */
  script(rules: FaultRule[]): void;
  /** Resolves once `pred` holds for some log entry (polling), or rejects after `ms`. */
  waitFor(pred: (r: LoggedRequest) => boolean, ms?: number): Promise<LoggedRequest>;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** `host:port` of the plain-HTTP registry behind the proxy. */
  upstream: string;
  /** Serve HTTPS with these PEM files. */
  tls?: { cert: string; key: string };
}

interface Armed { rule: FaultRule; left: number }

function faultName(a: FaultAction): string {
  return Object.keys(a).find((k) => k !== 'headers' && k !== 'body' && k !== 'keepLength') ?? 'status';
}

/** Starts the proxy on a free loopback port. */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const [upHost, upPort] = opts.upstream.split(':') as [string, string];
  const agent = new Agent({ keepAlive: true });
  let armed: Armed[] = [];
  const log: LoggedRequest[] = [];
  const sockets = new Set<Socket>();

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const entry: LoggedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, sent: 0, at: Date.now() };
    log.push(entry);
    const hit = armed.find((a) => a.left > 0 && (a.rule.method === undefined || a.rule.method === entry.method) && (a.rule.path?.test(entry.path) ?? true));
    if (hit) hit.left -= 1;
    const action = hit?.rule.action;
    if (action) entry.fault = faultName(action);
    if (action && 'reset' in action) {
      req.socket.resetAndDestroy();
      return;
    }
    if (action && 'hold' in action) {
      req.resume();
      return;
    }
    if (action && 'status' in action && !('redirect' in action)) {
      req.resume();
      entry.status = action.status;
      res.writeHead(action.status, action.headers).end(action.body);
      return;
    }
    if (action && 'redirect' in action) {
      req.resume();
      const to = typeof action.redirect === 'function' ? action.redirect(entry) : action.redirect;
      entry.status = action.status ?? 307;
      res.writeHead(entry.status, { location: to, 'content-length': '0' }).end();
      return;
    }
    forward(req, res, entry, action);
  };

  const forward = (req: IncomingMessage, res: ServerResponse, entry: LoggedRequest, action: FaultAction | undefined): void => {
    const up = httpRequest({ host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: req.headers, agent }, (upRes) => {
      const headers: Record<string, string | string[] | undefined> = { ...upRes.headers };
      if (action && 'setHeaders' in action) {
        for (const [k, v] of Object.entries(action.setHeaders)) {
          if (v === null) delete headers[k.toLowerCase()];
          else headers[k.toLowerCase()] = v;
        }
      }
      if (action && 'truncateAfter' in action && !action.keepLength) delete headers['content-length'];
      entry.status = upRes.statusCode ?? 502;
      res.writeHead(entry.status, headers);
      sendBody(upRes, res, entry, action);
    });
    up.on('error', () => res.socket?.destroy());
    let received = 0;
    let cut = false;
    req.on('data', (chunk: Buffer) => {
      if (cut) return;
      if (action && 'resetRequestAfter' in action && received + chunk.length >= action.resetRequestAfter) {
        cut = true;
        up.write(chunk.subarray(0, Math.max(0, action.resetRequestAfter - received)));
        received = action.resetRequestAfter;
        up.destroy();
        req.socket.resetAndDestroy();
        return;
      }
      received += chunk.length;
      up.write(chunk);
    });
    req.on('end', () => {
      if (!cut) up.end();
    });
  };

  const sendBody = (upRes: IncomingMessage, res: ServerResponse, entry: LoggedRequest, action: FaultAction | undefined): void => {
    const queue: Buffer[] = [];
    let ended = false;
    let busy = false;
    const limit = action && 'resetResponseAfter' in action ? action.resetResponseAfter
      : action && 'truncateAfter' in action ? action.truncateAfter : Infinity;
    const finish = (): void => {
      if (action && 'resetResponseAfter' in action) res.socket?.resetAndDestroy();
      else if (action && 'truncateAfter' in action && action.keepLength) res.socket?.end();
      else if (action && 'stall' in action) return;
      else res.end();
    };
    const pump = (): void => {
      if (busy) return;
      const chunk = queue.shift();
      if (chunk === undefined) {
        if (ended) finish();
        return;
      }
      let piece = chunk;
      if (action && 'flipByte' in action && entry.sent <= action.flipByte && action.flipByte < entry.sent + piece.length) {
        piece = Buffer.from(piece);
        piece[action.flipByte - entry.sent] = (piece[action.flipByte - entry.sent] ?? 0) ^ 0xff;
      }
      if (entry.sent + piece.length >= limit) {
        piece = piece.subarray(0, limit - entry.sent);
        queue.length = 0;
        ended = true;
        upRes.destroy();
      }
      if (action && 'trickle' in action && piece.length > action.trickle.bytes) {
        queue.unshift(piece.subarray(action.trickle.bytes));
        piece = piece.subarray(0, action.trickle.bytes);
      }
      busy = true;
      const delay = action && 'trickle' in action ? action.trickle.everyMs : 0;
      res.write(piece, () => {
        entry.sent += piece.length;
        const next = (): void => {
          busy = false;
          pump();
        };
        if (delay > 0) setTimeout(next, delay);
        else next();
      });
    };
    if (action && 'stall' in action) {
      upRes.resume();
      res.flushHeaders();
      return;
    }
    upRes.on('data', (c: Buffer) => {
      queue.push(c);
      pump();
    });
    upRes.on('end', () => {
      ended = true;
      pump();
    });
    res.on('close', () => upRes.destroy());
  };

  const server: Server = opts.tls
    ? createHttps({ cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) }, handler)
    : createHttp(handler);
  server.on(opts.tls ? 'secureConnection' : 'connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: `${opts.tls ? 'https' : 'http'}://${host}`,
    log,
    script(rules) {
      armed = rules.map((rule) => ({ rule, left: rule.times ?? Infinity }));
      log.length = 0;
    },
    async waitFor(pred, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = log.find(pred);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`fault proxy: condition not met within ${ms} ms; log: ${log.map((l) => `${l.method} ${l.path} ${l.status ?? ''}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      server.close(() => resolve());
    }),
  };
}

export interface RecordingOrigin {
  url: string;
  host: string;
  /** Every request received, with its headers. */
  log: LoggedRequest[];
  close(): Promise<void>;
}

/**
 * A second origin (another port on 127.0.0.1) for redirected blob GETs, like a storage bucket: it
 * records the headers it receives and serves the same path from the registry with its own credentials.
 */
export async function startRecordingOrigin(upstream: string, authorization?: string): Promise<RecordingOrigin> {
  const [upHost, upPort] = upstream.split(':') as [string, string];
  const log: LoggedRequest[] = [];
  const server = createHttp((req, res) => {
    const entry: LoggedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, sent: 0, at: Date.now() };
    log.push(entry);
    req.resume();
    const headers: Record<string, string> = {};
    if (authorization !== undefined) headers.authorization = authorization;
    if (typeof req.headers.range === 'string') headers.range = req.headers.range;
    const up = httpRequest({ host: upHost, port: Number(upPort), method: req.method, path: req.url, headers }, (upRes) => {
      entry.status = upRes.statusCode ?? 502;
      res.writeHead(entry.status, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    up.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `http://${host}`, host, log, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
