/** One undici dispatcher per run: proxies from the passed `env`, extra CAs, optional insecure TLS. */
import { readFile } from 'node:fs/promises';
import type { SecureContext } from 'node:tls';
import type { Dispatcher } from 'undici';
import { Agent, buildConnector, EnvHttpProxyAgent } from './undici.js';
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import type { Env, RegistryOptions } from '../core/options.js';
import { takePreconnected } from './preconnect.js';
import { proxySettings } from './proxies.js';

export { proxyFor, proxyInUse, proxySettings, type ProxyInUse } from './proxies.js';

/**
 * The registry settings the transport reads, where RegistryOptions declares them (`caFile`,
 * `insecureRegistry`, `idleTimeoutMs`, `loadedExtraCaCerts`), plus the run's `env` (proxies,
 * NODE_EXTRA_CA_CERTS) and where to say that a NODE_EXTRA_CA_CERTS file cannot be read.
 */
export type DispatcherOptions = Pick<RegistryOptions, 'caFile' | 'insecureRegistry' | 'idleTimeoutMs' | 'loadedExtraCaCerts'> & {
  env?: Env;
  /** Told when NODE_EXTRA_CA_CERTS names a file that cannot be read (Node itself only warns too). */
  onWarning?: (message: string) => void;
};

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new OcipackError('IO', `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
}

/**
 * TLS options for connections to registries: the PEM texts to trust on top of Node's default store,
 * which already holds the bundled roots and the NODE_EXTRA_CA_CERTS file Node loaded at start-up
 * (`loadedExtraCaCerts`; the CLI passes its own). So a NODE_EXTRA_CA_CERTS in the passed `env` is
 * read only when it names another file (the library given an env of its own) or --ca-file needs a
 * context of its own; re-adding the one Node loaded cost 50–60 ms per command with a 288-certificate
 * system bundle (issue 16 §5), and even then it is parsed only on the first TLS connection. An unreadable
 * NODE_EXTRA_CA_CERTS is skipped with a warning, as Node does.
 */
export async function tlsOptions(opts: DispatcherOptions): Promise<{ extraCa?: string[]; rejectUnauthorized?: boolean }> {
  const tls: { extraCa?: string[]; rejectUnauthorized?: boolean } = {};
  const pems: string[] = [];
  const extra = opts.env?.NODE_EXTRA_CA_CERTS;
  // A context with any certificate added gets a copy of the bundled roots only (Node 20 drops the
  // start-up extras from it), so with --ca-file the extra file is read back in whoever loaded it.
  if (extra !== undefined && extra !== '' && (extra !== opts.loadedExtraCaCerts || opts.caFile !== undefined)) {
    try {
      pems.push(await readPem(extra, 'NODE_EXTRA_CA_CERTS file'));
    } catch (err) {
      opts.onWarning?.(`ignoring NODE_EXTRA_CA_CERTS: ${(err as Error).message}`);
    }
  }
  if (opts.caFile !== undefined) pems.push(await readPem(opts.caFile, 'CA file'));
  if (pems.length > 0) tls.extraCa = pems;
  if (opts.insecureRegistry) tls.rejectUnauthorized = false;
  return tls;
}

/** Node's default store plus `pems`: one context for the run (a bare `ca` list would be parsed again per connection). */
export function secureContextWith(pems: string[]): SecureContext {
  // node:tls loads on first use only: a run that talks plain HTTP to a local registry never initialises OpenSSL's TLS
  const context = process.getBuiltinModule('node:tls').createSecureContext();
  // Added to this context's own copy of the store: Node copies the shared root store on the first add.
  for (const pem of pems) (context.context as { addCACert(pem: string): void }).addCACert(pem);
  return context;
}

type Connector = ReturnType<typeof buildConnector>;
type ConnectorOptions = Parameters<typeof buildConnector>[0];

/**
 * undici's connector, with the secure context built on the first TLS connection only (a run that talks
 * plain HTTP to a local registry never parses a certificate), and the first plain connection to a host
 * taken from preconnect.ts when the early probe opened one.
 */
function lazyTlsConnector(options: Record<string, unknown>, pems: string[] | undefined): Connector {
  const plain = buildConnector(options as ConnectorOptions);
  let secure: Connector | undefined;
  return (opts, cb) => {
    if (opts.protocol !== 'https:') {
      // the connection the early probe had opened, when it is this one's (preconnect.ts)
      const port = Number(opts.port) || 80;
      return takePreconnected(opts.hostname, port, (err, socket) => (err ? cb(err, null) : cb(null, socket))) ?? plain(opts, cb);
    }
    secure ??= pems ? buildConnector({ ...options, secureContext: secureContextWith(pems) } as ConnectorOptions) : plain;
    return secure(opts, cb);
  };
}

/** Builds the run's dispatcher: an `EnvHttpProxyAgent` when `env` names a proxy, an `Agent` otherwise. */
export async function createDispatcher(opts: DispatcherOptions = {}): Promise<Dispatcher> {
  const tls = await tlsOptions(opts);
  const verify = tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {};
  const idle = opts.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
  const timeouts = { headersTimeout: idle, bodyTimeout: idle };
  const proxy = proxySettings(opts.env ?? {});
  const connectOptions = { ...verify, timeout: DEFAULTS.connectTimeoutMs, allowH2: DEFAULTS.allowH2 };
  if (!proxy) return new Agent({ ...timeouts, allowH2: DEFAULTS.allowH2, connect: lazyTlsConnector(connectOptions, tls.extraCa) });
  // Every proxy field is passed explicitly so undici never falls back to process.env.
  // --insecure-registry concerns registries, not the proxy: the proxy connection only gets the CAs.
  const secure = tls.extraCa ? { secureContext: secureContextWith(tls.extraCa) } : {};
  const connect = { ...secure, ...connectOptions };
  const proxyTls = { ...secure, timeout: DEFAULTS.connectTimeoutMs };
  // proxyTunnel: plain-HTTP registries go through a CONNECT tunnel too, as with undici 7 (undici 8 would
  // forward them as absolute-URI requests), so the proxy sees the same kind of traffic for every registry.
  return new EnvHttpProxyAgent({ ...timeouts, allowH2: DEFAULTS.allowH2, connect, ...proxy, requestTls: connect, proxyTls, proxyTunnel: true });
}
