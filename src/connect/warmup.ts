/**
 * What a run's first contact with a registry will need, started before the run itself (issue 26): the
 * loopback TLS probe of SPEC §2 (src/registry/tlsprobe.ts), so that its round trips overlap whatever the
 * caller does meanwhile (the CLI loads its program). Light on purpose: no undici, no session.
 */
import { DEFAULTS } from '../core/defaults.js';
import type { Env } from '../core/options.js';
import { proxyFor } from '../http/proxies.js';
import { isLoopback, type Reference } from '../oci/reference.js';
import { startTlsProbe } from '../registry/tlsprobe.js';

/**
 * Starts the TLS probe of `ref`'s registry when its first contact will probe: a loopback host reached
 * directly (no proxy in `env` for it). True when it started one; the run's first contact takes it.
 */
export function warmUpContact(ref: Pick<Reference, 'host'>, env: Env): boolean {
  const https = new URL(`https://${ref.host}/`);
  if (!isLoopback(ref.host) || proxyFor(https, env) !== undefined) return false;
  startTlsProbe(https, DEFAULTS.connectTimeoutMs);
  return true;
}
