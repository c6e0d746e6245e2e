/**
 * "Does this loopback registry speak TLS at all?" (SPEC §2), answered cheaply. The first TLS
 * connection of a process builds Node's root certificate store (15–20 ms, bench/), which a
 * plain-HTTP registry on localhost never needs. This handshake carries an empty CA list and checks
 * nothing, so it only learns whether TLS is spoken; when it is, the real request verifies as always
 * (a certificate error is still never a reason to fall back to HTTP).
 */
import { connect, createSecureContext, type SecureContext } from 'node:tls';
import { classifyFailure } from '../http/errors.js';
import type { Waits } from '../http/waits.js';

let emptyContext: SecureContext | undefined;

/** SNI is for names only; a dotted quad or anything with a colon (IPv6) is an address. */
function isIpAddress(host: string): boolean {
  return host.includes(':') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/**
 * True when `url`'s server completes a TLS handshake, false when it answers something that is not
 * TLS; undefined when the question could not be settled (refused, timed out, cancelled), so the
 * caller goes on as if it had not asked.
 */
export function speaksTls(url: URL, timeoutMs: number, signal?: AbortSignal, waits?: Waits): Promise<boolean | undefined> {
  if (signal?.aborted) return Promise.resolve(undefined);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || 443;
  const wait = waits?.begin(`connecting to ${url.hostname}:${port}`);
  emptyContext ??= createSecureContext({ ca: [] });
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port,
      secureContext: emptyContext,
      rejectUnauthorized: false,
      ...(isIpAddress(host) ? {} : { servername: host }),
    });
    let settled = false;
    const done = (answer: boolean | undefined): void => {
      if (settled) return;
      settled = true;
      wait?.done();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(answer);
    };
    const onAbort = (): void => done(undefined);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => wait?.phase(`waiting for a TLS handshake with ${url.hostname}:${port}`));
    socket.once('secureConnect', () => done(true));
    socket.once('error', (err) => done(classifyFailure(err) === 'not-tls' ? false : undefined));
    socket.once('close', () => done(undefined));
  });
}
