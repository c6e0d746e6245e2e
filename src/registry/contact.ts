/**
 * The first contact with a registry host decides its scheme (SPEC §2): HTTPS first; plain HTTP only for
 * a loopback host that does not speak TLS at all, or with `insecureRegistry`. A certificate error is
 * never a reason to fall back.
 */
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import { classifyFailure, networkError, type NetworkPlace } from '../http/errors.js';
import type { HttpContext } from '../http/request.js';
import { isLoopback } from '../oci/reference.js';
import { speaksTls } from './tlsprobe.js';

export interface ContactOptions {
  /** host[:port] on the wire. */
  host: string;
  insecureRegistry?: boolean;
}

/** `host`, with the proxy requests to `url` go through (for messages that must tell the two apart). */
export function where(http: HttpContext, host: string, url: URL): NetworkPlace {
  const proxy = http.proxyFor?.(url);
  return proxy === undefined ? host : { host, proxy };
}

/**
 * Runs `attempt` against `https://host/`, or against `http://host/` where SPEC §2 allows it; a raw
 * connection failure becomes an OcipackError naming the host (an OcipackError passes through).
 */
export async function firstContact<T>(http: HttpContext, o: ContactOptions, attempt: (base: URL) => Promise<T>): Promise<T> {
  const https = new URL(`https://${o.host}/`);
  if (!(await plainLoopback(http, o.host, https))) {
    try {
      return await attempt(https);
    } catch (err) {
      if (err instanceof OcipackError) throw err;
      const kind = classifyFailure(err, http.signal);
      if (kind === 'certificate' || kind === 'aborted') throw networkError(err, where(http, o.host, https), http.signal);
      const plainAllowed = o.insecureRegistry === true || (kind === 'not-tls' && isLoopback(o.host));
      if (!plainAllowed) {
        if (kind !== 'not-tls') throw networkError(err, where(http, o.host, https), http.signal);
        throw new OcipackError('PLAIN_HTTP', `${o.host} does not speak TLS`, { context: { host: o.host, next: 'insecure' } });
      }
    }
  }
  const plain = new URL(`http://${o.host}/`);
  try {
    return await attempt(plain);
  } catch (err) {
    throw networkError(err, where(http, o.host, plain), http.signal);
  }
}

/** A loopback host reached directly that a cheap handshake shows not to speak TLS (tlsprobe.ts). */
async function plainLoopback(http: HttpContext, host: string, https: URL): Promise<boolean> {
  if (!isLoopback(host) || http.proxyFor?.(https) !== undefined) return false;
  http.onDebug?.(`> TLS probe ${https.origin}/`);
  const tls = await speaksTls(https, DEFAULTS.connectTimeoutMs, http.signal, http.waits);
  http.onDebug?.(`< TLS probe ${https.origin}/: ${tls === undefined ? 'no answer' : tls ? 'speaks TLS' : 'not TLS, using plain HTTP'}`);
  return tls === false;
}
