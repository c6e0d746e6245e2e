/**
 * "Does this loopback registry speak TLS at all?" (SPEC §2), answered cheaply. The first TLS
 * connection of a process builds Node's root certificate store (15–20 ms, bench/), which a
 * plain-HTTP registry on localhost never needs. This handshake carries an empty CA list and checks
 * nothing, so it only learns whether TLS is spoken; when it is, the real request verifies as always
 * (a certificate error is still never a reason to fall back to HTTP).
 *
 * A probe can be started early (`startTlsProbe`, by the CLI while its modules still load: issue 26,
 * one round trip less before the first request) and is then taken, once, by the run's first contact.
 * The plain connection the first request takes when the answer is "not TLS" is opened beside it (http/preconnect.ts).
 */
import { connect, createSecureContext, type SecureContext } from 'node:tls';
import { classifyFailure } from '../http/errors.js';
import { dropPreconnected, preconnect } from '../http/preconnect.js';
import type { Waits } from '../http/waits.js';

let emptyContext: SecureContext | undefined;

/** One handshake in flight: its answer, and whether its TCP connection is up yet. */
interface Probe {
  answer: Promise<boolean | undefined>;
  connected: boolean;
  onConnect?: () => void;
  /** Ends the handshake now, answering undefined. */
  cancel: () => void;
  /** Lets the handshake hold the process open again (a detached probe that has been taken). */
  attach: () => void;
}

/** Probes started early and not taken yet, by `host:port`. */
const started = new Map<string, Probe>();

/** SNI is for names only; a dotted quad or anything with a colon (IPv6) is an address. */
function isIpAddress(host: string): boolean {
  return host.includes(':') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

function keyOf(url: URL): string {
  return `${url.hostname}:${Number(url.port) || 443}`;
}

/** Opens the handshake; `detached` ones do not hold the process open (nobody may ever take them). */
function probe(url: URL, timeoutMs: number, detached: boolean): Probe {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || 443;
  emptyContext ??= createSecureContext({ ca: [] });
  const state: Probe = { answer: Promise.resolve(undefined), connected: false, cancel: () => undefined, attach: () => undefined };
  state.answer = new Promise((resolve) => {
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
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    state.cancel = () => done(undefined);
    state.attach = () => {
      timer.ref();
      socket.ref();
    };
    if (detached) {
      timer.unref();
      socket.unref();
    }
    socket.once('connect', () => {
      state.connected = true;
      state.onConnect?.();
    });
    socket.once('secureConnect', () => done(true));
    socket.once('error', (err) => done(classifyFailure(err) === 'not-tls' ? false : undefined));
    socket.once('close', () => done(undefined));
  });
  return state;
}

/** Starts the probe of `url`'s host and port now, for the next `speaksTls` of the same host and port to take. */
export function startTlsProbe(url: URL, timeoutMs: number): void {
  const key = keyOf(url);
  if (started.has(key)) return;
  const early = probe(url, timeoutMs, true);
  started.set(key, early);
  // The plain connection the first request takes if the answer is "not TLS" opens now, beside the probe (so that
  // its handshake overlaps too); any other answer closes it unused (http/preconnect.ts).
  const port = Number(url.port) || 443;
  preconnect(url.hostname, port, timeoutMs);
  void early.answer.then((tls) => {
    if (tls !== false) dropPreconnected(url.hostname, port);
  });
}

/**
 * True when `url`'s server completes a TLS handshake, false when it answers something that is not
 * TLS; undefined when the question could not be settled (refused, timed out, cancelled), so the
 * caller goes on as if it had not asked. Takes the probe `startTlsProbe` began, if there is one.
 */
export function speaksTls(url: URL, timeoutMs: number, signal?: AbortSignal, waits?: Waits): Promise<boolean | undefined> {
  if (signal?.aborted) return Promise.resolve(undefined);
  const key = keyOf(url);
  const early = started.get(key);
  started.delete(key);
  const state = early ?? probe(url, timeoutMs, false);
  state.attach();
  const wait = waits?.begin(`connecting to ${key}`);
  const handshake = (): void => wait?.phase(`waiting for a TLS handshake with ${key}`);
  if (state.connected) handshake();
  else state.onConnect = handshake;
  return new Promise((resolve) => {
    const finish = (answer: boolean | undefined): void => {
      wait?.done();
      signal?.removeEventListener('abort', onAbort);
      resolve(answer);
    };
    const onAbort = (): void => state.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    void state.answer.then(finish);
  });
}
