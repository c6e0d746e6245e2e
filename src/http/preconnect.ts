/**
 * Plain TCP connections opened before a run's first request needs one (issue 26): beside the early TLS probe
 * of a loopback registry (src/registry/tlsprobe.ts), the connection its first plain-HTTP request would use is
 * opened too, while the program still loads, and closed unused if the registry speaks TLS. The run's
 * dispatcher takes it, once, for its first plain connection to that host and port (dispatcher.ts); one
 * that is never taken closes by itself and never holds the process open.
 */
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import { DEFAULTS } from '../core/defaults.js';

interface Opened {
  socket: Socket;
  /** Stops the unused-connection timer and the pre-take listeners; lets the socket hold the process open. */
  adopt: () => void;
}

/** Opened connections not taken yet, by `host:port`. */
const opened = new Map<string, Opened>();

/** A host as a socket takes it: an IPv6 address without its URL brackets. */
export function bare(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

/** Opens a plain connection to `host:port` for the first request to take; closed if not taken within `keepMs`. */
export function preconnect(host: string, port: number, keepMs: number): void {
  const key = `${bare(host)}:${port}`;
  if (opened.has(key)) return;
  // the options undici's own connector uses for a plain connection (keep-alive, no delay, its read size)
  const options = { host: bare(host), port, highWaterMark: DEFAULTS.preconnect.readBytes };
  const socket = connect(options as NetConnectOpts);
  socket.setNoDelay(true).setKeepAlive(true, DEFAULTS.preconnect.keepAliveMs).unref();
  const forget = (): void => {
    if (opened.get(key)?.socket === socket) opened.delete(key);
    clearTimeout(unused);
  };
  const unused = setTimeout(() => {
    forget();
    socket.destroy();
  }, keepMs).unref();
  // until taken, a failure only means that the first request opens its own connection
  socket.on('error', forget).once('close', () => forget());
  opened.set(key, {
    socket,
    adopt: () => {
      clearTimeout(unused);
      socket.off('error', forget).off('close', forget);
      socket.ref();
    },
  });
}

/**
 * The connection opened for `host:port`, if it is open or still opening: the caller's from now on, and
 * `onReady` is told, always after this returns, when it can carry a request or that it failed.
 */
export function takePreconnected(host: string, port: number, onReady: (err: Error | null, socket: Socket) => void): Socket | undefined {
  const key = `${bare(host)}:${port}`;
  const entry = opened.get(key);
  opened.delete(key);
  if (entry === undefined || entry.socket.destroyed) return undefined;
  const { socket } = entry;
  entry.adopt();
  if (!socket.connecting) {
    // never from inside the caller: undici's client starts its request only on a callback that comes later
    queueMicrotask(() => onReady(null, socket));
    return socket;
  }
  const ready = (): void => {
    socket.off('error', failed);
    onReady(null, socket);
  };
  const failed = (err: Error): void => {
    socket.off('connect', ready);
    onReady(err, socket);
  };
  socket.once('connect', ready).once('error', failed);
  return socket;
}

/** Closes the connection opened for `host:port`, if nobody took it (the registry turned out to speak TLS). */
export function dropPreconnected(host: string, port: number): void {
  const key = `${bare(host)}:${port}`;
  opened.get(key)?.socket.destroy();
  opened.delete(key);
}
