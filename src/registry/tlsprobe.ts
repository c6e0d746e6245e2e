/**
 * "Does this loopback registry speak TLS at all?" (SPEC §2), answered cheaply: a TLS ClientHello is written on a
 * plain TCP connection and the first bytes of the answer decide. A TLS server answers with a TLS record (its
 * ServerHello, or an alert: either way it speaks TLS); a plain-HTTP server answers with `HTTP/1.x 400`. Nothing
 * is verified here, and nothing needs to be: when TLS is spoken the real request verifies as always (a
 * certificate error is still never a reason to fall back to HTTP). Node's TLS module is not loaded for it:
 * loading it initialises OpenSSL's TLS library, ~120 M instructions (callgrind), which a plain-HTTP registry on
 * localhost never needs.
 *
 * A probe can be started early (`startTlsProbe`, by the CLI while its modules still load: issue 26,
 * one round trip less before the first request) and is then taken, once, by the run's first contact.
 * The plain connection the first request takes when the answer is "not TLS" is opened beside it (http/preconnect.ts).
 */
import { connect } from 'node:net';
import { classifyFailure } from '../http/errors.js';
import { bare, dropPreconnected, preconnect } from '../http/preconnect.js';
import type { Waits } from '../http/waits.js';

/** One probe in flight: its answer, and whether its TCP connection is up yet. */
interface Probe {
  answer: Promise<boolean | undefined>;
  connected: boolean;
  onConnect?: () => void;
  /** Ends the probe now, answering undefined. */
  cancel: () => void;
  /** Lets the probe hold the process open again (a detached probe that has been taken). */
  attach: () => void;
}

/** Probes started early and not taken yet, by `host:port`. */
const started = new Map<string, Probe>();

function keyOf(url: URL): string {
  return `${url.hostname}:${Number(url.port) || 443}`;
}

/**
 * A TLS 1.2 ClientHello (SNI for a name) any TLS server answers (TLS 1.3-only servers with a protocol_version alert, which
 * is as good an answer): ECDHE and RSA AES-GCM suites, x25519 and P-256, ECDSA, RSA-PSS and RSA signatures.
 */
function clientHello(host: string): Buffer {
  const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
  const ext = (type: number, data: number[]): number[] => [...u16(type), ...u16(data.length), ...data];
  // SNI for names only; a dotted quad or anything with a colon (IPv6) is an address
  const name = host.includes(':') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? [] : [...Buffer.from(host, 'ascii')];
  const sni = name.length > 0 ? ext(0x0000, [...u16(name.length + 3), 0, ...u16(name.length), ...name]) : [];
  const extensions = [
    ...sni,
    ...ext(0x000a, [...u16(4), 0x00, 0x1d, 0x00, 0x17]), // supported_groups
    ...ext(0x000b, [1, 0]), // ec_point_formats: uncompressed
    ...ext(0x000d, [...u16(6), 0x04, 0x03, 0x08, 0x04, 0x04, 0x01]), // signature_algorithms
  ];
  const suites = [0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9c];
  const body = [0x03, 0x03, ...new Array<number>(32).fill(0), 0, ...u16(suites.length), ...suites, 1, 0, ...u16(extensions.length), ...extensions];
  const handshake = [0x01, 0, ...u16(body.length), ...body];
  return Buffer.from([0x16, 0x03, 0x01, ...u16(handshake.length), ...handshake]);
}

/** A TLS record's first bytes: handshake (22) or alert (21), then a 3.x version. */
function isTlsRecord(bytes: Buffer): boolean {
  return (bytes[0] === 0x16 || bytes[0] === 0x15) && (bytes.length < 2 || bytes[1] === 0x03);
}

/** Sends the hello and reads the answer; `detached` probes do not hold the process open (nobody may ever take them). */
function probe(url: URL, timeoutMs: number, detached: boolean): Probe {
  const host = bare(url.hostname);
  const port = Number(url.port) || 443;
  const state: Probe = { answer: Promise.resolve(undefined), connected: false, cancel: () => undefined, attach: () => undefined };
  state.answer = new Promise((resolve) => {
    const socket = connect({ host, port });
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
      socket.write(clientHello(host));
    });
    // The first bytes decide: a TLS record, or anything else (a plain-HTTP server's 400). A server that hangs up
    // on the hello without a word (reset or closed) does not speak TLS either: a TLS server answers with an alert.
    socket.once('data', (bytes: Buffer) => done(isTlsRecord(bytes)));
    socket.once('error', (err) => done(state.connected && classifyFailure(err) === 'not-tls' ? false : undefined));
    socket.once('close', () => done(state.connected ? false : undefined));
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
 * True when `url`'s server answers a ClientHello with a TLS record, false when it answers something else or
 * hangs up on it; undefined when the question could not be settled (refused, timed out, cancelled), so the
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
