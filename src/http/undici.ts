/**
 * The parts of undici that ocipack uses, loaded file by file. The package index also loads fetch,
 * WebSocket, EventSource, the cache stores and the mock agents: several times the load time and
 * ~8 MiB more memory for every command that talks to a registry (bench/). The one side effect of the
 * index that matters, adding request/connect/… to Dispatcher.prototype (ProxyAgent tunnels through
 * `connect`), is repeated here. The paths are those of the pinned undici (package.json);
 * test/unit/http/undici.test.ts checks them against the package index.
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const load = createRequire(import.meta.url);

const DispatcherClass = load('undici/lib/dispatcher/dispatcher.js') as typeof Undici.Dispatcher;
Object.assign(DispatcherClass.prototype, load('undici/lib/api/index.js') as object);

export const Agent = load('undici/lib/dispatcher/agent.js') as typeof Undici.Agent;
export const EnvHttpProxyAgent = load('undici/lib/dispatcher/env-http-proxy-agent.js') as typeof Undici.EnvHttpProxyAgent;
export const buildConnector = load('undici/lib/core/connect.js') as typeof Undici.buildConnector;

export type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Undici.Dispatcher };

/** undici's `request(url, opts)` for a URL object and an explicit dispatcher (never the global one). */
export function request(url: URL, opts: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = opts;
  return dispatcher.request({ ...rest, origin: url.origin, path: url.search ? `${url.pathname}${url.search}` : url.pathname });
}
