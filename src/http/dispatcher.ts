/** One undici dispatcher per run: proxies from the passed `env`, extra CAs, optional insecure TLS. */
import { readFile } from 'node:fs/promises';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { Agent, EnvHttpProxyAgent } from './undici.js';
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import type { Env } from '../core/options.js';
import { redactUrl } from './redact.js';

export interface DispatcherOptions {
  env?: Env;
  /** PEM file whose certificates are trusted on top of the default CAs. */
  caFile?: string;
  /** Skip certificate checks (`--insecure-registry`). */
  insecureRegistry?: boolean;
  /** A response that sends nothing for this long is abandoned (headers and between body chunks). */
  idleTimeoutMs?: number;
  /** Told when NODE_EXTRA_CA_CERTS names a file that cannot be read (Node itself only warns too). */
  onWarning?: (message: string) => void;
}

/** The proxy settings found in `env`, lower case winning as curl does; undefined when none is set. */
export function proxySettings(env: Env): { httpProxy: string; httpsProxy: string; noProxy: string } | undefined {
  const pick = (name: string): string => env[name.toLowerCase()] ?? env[name.toUpperCase()] ?? '';
  const httpProxy = pick('http_proxy');
  const httpsProxy = pick('https_proxy');
  const noProxy = pick('no_proxy');
  if (httpProxy === '' && httpsProxy === '' && noProxy === '') return undefined;
  return { httpProxy, httpsProxy, noProxy };
}

/**
 * The proxy a request to `url` goes through, as undici's EnvHttpProxyAgent decides it (https falls back
 * to the http proxy; NO_PROXY entries match the host or a parent domain, with an optional port; `*`
 * matches everything), redacted for messages; undefined when the request goes direct.
 */
export function proxyFor(url: URL, env: Env): string | undefined {
  const p = proxySettings(env);
  if (!p) return undefined;
  const proxy = url.protocol === 'https:' ? p.httpsProxy || p.httpProxy : p.httpProxy;
  if (proxy === '' || p.noProxy.trim() === '*') return undefined;
  const host = url.hostname.toLowerCase();
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  for (const entry of p.noProxy.split(/[,\s]/).filter((e) => e !== '')) {
    const m = /^(.+):(\d+)$/.exec(entry);
    const name = (m ? m[1]! : entry).replace(/^\*?\./, '').toLowerCase();
    if (m && Number(m[2]) !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return undefined;
  }
  return redactUrl(proxy);
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new OcipackError('IO', `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
}

/**
 * TLS options for connections to registries. Passing `ca` replaces Node's default store, so with
 * `--ca-file` or a NODE_EXTRA_CA_CERTS in the passed `env` the bundled roots and that file are added
 * back explicitly. An unreadable NODE_EXTRA_CA_CERTS is skipped with a warning, as Node does.
 */
export async function tlsOptions(opts: DispatcherOptions): Promise<{ ca?: string[]; rejectUnauthorized?: boolean }> {
  const tls: { ca?: string[]; rejectUnauthorized?: boolean } = {};
  const extra = opts.env?.NODE_EXTRA_CA_CERTS;
  if (opts.caFile !== undefined || (extra !== undefined && extra !== '')) {
    const ca = [...rootCertificates];
    if (extra) {
      try {
        ca.push(await readPem(extra, 'NODE_EXTRA_CA_CERTS file'));
      } catch (err) {
        opts.onWarning?.(`ignoring NODE_EXTRA_CA_CERTS: ${(err as Error).message}`);
      }
    }
    if (opts.caFile !== undefined) ca.push(await readPem(opts.caFile, 'CA file'));
    tls.ca = ca;
  }
  if (opts.insecureRegistry) tls.rejectUnauthorized = false;
  return tls;
}

/** Builds the run's dispatcher: an `EnvHttpProxyAgent` when `env` names a proxy, an `Agent` otherwise. */
export async function createDispatcher(opts: DispatcherOptions = {}): Promise<Dispatcher> {
  const tls = await tlsOptions(opts);
  // One secure context for the run: given a bare `ca` list, every TLS connection would parse all the
  // roots again (about 100 ms each with a system bundle in NODE_EXTRA_CA_CERTS).
  const secure = tls.ca ? { secureContext: createSecureContext({ ca: tls.ca }) } : {};
  const verify = tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {};
  const connect = { ...secure, ...verify, timeout: DEFAULTS.connectTimeoutMs };
  const idle = opts.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
  const common = { connect, headersTimeout: idle, bodyTimeout: idle };
  const proxy = proxySettings(opts.env ?? {});
  if (!proxy) return new Agent(common);
  // Every proxy field is passed explicitly so undici never falls back to process.env.
  // --insecure-registry concerns registries, not the proxy: the proxy connection only gets the CAs.
  const proxyTls = { ...secure, timeout: DEFAULTS.connectTimeoutMs };
  return new EnvHttpProxyAgent({ ...common, ...proxy, requestTls: connect, proxyTls });
}
