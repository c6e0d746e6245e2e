/**
 * Which proxy a request goes through, read from the run's `env` as undici's EnvHttpProxyAgent reads it.
 * Apart from the dispatcher so that a run can ask before undici is loaded (src/connect/warmup.ts).
 */
import type { Env } from '../core/options.js';
import { redactUrl } from './redact.js';

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
  return proxyInUse(url, env)?.url;
}

/** A proxy a request goes through: its URL (redacted) and the variable that named it (`HTTPS_PROXY`, `http_proxy`…). */
export interface ProxyInUse {
  url: string;
  variable: string;
}

/** proxyFor, with the variable the proxy came from, for messages that name it. */
export function proxyInUse(url: URL, env: Env): ProxyInUse | undefined {
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
  const names = url.protocol === 'https:' && p.httpsProxy !== '' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  return { url: redactUrl(proxy), variable: names.find((n) => env[n] !== undefined && env[n] !== '') ?? names[1]! };
}
