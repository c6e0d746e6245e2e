/**
 * Token fetch (docker registry token spec, "Requesting a Token" and the OAuth2 refresh-token flow):
 * GET realm?service&scope… with Basic auth, or POST grant_type=refresh_token for identity tokens.
 */
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import type { Credential } from '../core/credential.js';
import { basicPair } from '../core/credential.js';
import { discard, readCapped } from '../http/body.js';
import { tokenFailure } from './failure.js';
import { redactUrl } from '../http/redact.js';
import { request, type HttpContext, type HttpResponse } from '../http/request.js';
import type { FetchedToken } from './cache.js';

export interface TokenRequest {
  /** The `realm` of the Bearer challenge. */
  realm: string;
  service?: string;
  scopes: readonly string[];
  credential?: Credential;
  /** The registry's own URL (scheme decided): decides what may be sent to the realm. */
  registry: URL;
  /** Registry name for messages. */
  host: string;
  /** Told why the credential was kept from the realm (the realm rule below), when it was. */
  onWithheld?: (why: string) => void;
}

/** Basic auth header value for a username/password pair. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * The realm as a URL, refusing a downgrade from an https registry to an http token server and any
 * scheme but http(s).
 */
export function realmUrl(realm: string, registry: URL, host: string): URL {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new OcipackError('REGISTRY', `${host} sent an invalid token realm`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new OcipackError('REGISTRY', `${host} sent a token realm with unsupported scheme ${url.protocol}`);
  }
  if (registry.protocol === 'https:' && url.protocol === 'http:') {
    throw new OcipackError('REGISTRY', `refusing token realm ${redactUrl(url)} of ${host}: it downgrades https to http`);
  }
  return url;
}

/**
 * The token-realm rule (SPEC §6): credentials go to an https realm (Docker Hub's is another host), or to a
 * plain-http realm on the registry's own host when the registry itself is spoken to over plain HTTP (GitLab,
 * Harbor run their token service on another port). Returns why a realm may not have them, or undefined.
 */
export function realmRefusal(realm: URL, registry: URL): string | undefined {
  if (realm.protocol === 'https:') return undefined;
  if (registry.protocol !== 'http:') return 'the registry is spoken to over https and the realm is plain HTTP';
  if (realm.hostname === registry.hostname) return undefined;
  return `a plain-HTTP realm gets them only on the registry's own host (${registry.hostname}), and this one is on ${realm.hostname}`;
}

function withQuery(realm: URL, service: string | undefined, scopes: readonly string[]): URL {
  const url = new URL(realm);
  if (service !== undefined) url.searchParams.append('service', service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  return url;
}

/** Fetches a token for the scopes; failures are UNAUTHORIZED/DENIED/REGISTRY errors naming the host. */
export async function fetchToken(http: HttpContext, req: TokenRequest): Promise<FetchedToken> {
  const realm = realmUrl(req.realm, req.registry, req.host);
  const refusal = req.credential === undefined ? undefined : realmRefusal(realm, req.registry);
  const withheld = refusal === undefined ? undefined : `the credentials for ${req.host} were not sent to its token realm ${redactUrl(realm)}: ${refusal}`;
  if (withheld !== undefined) {
    req.onWithheld?.(withheld);
    return readToken(await getToken(http, realm, req, undefined), req.host, undefined, withheld);
  }
  const cred = req.credential;
  if (cred && 'identityToken' in cred) {
    const res = await postRefreshToken(http, realm, req, cred.identityToken);
    if (res.status !== 404 && res.status !== 405) return readToken(res, req.host, cred);
    await discard(res.body);
    return readToken(await getToken(http, realm, req, basicAuth(cred.username ?? '<token>', cred.identityToken)), req.host, cred);
  }
  const pair = basicPair(cred);
  return readToken(await getToken(http, realm, req, pair && basicAuth(pair.username, pair.password)), req.host, pair && cred);
}

function getToken(http: HttpContext, realm: URL, req: TokenRequest, authorization: string | undefined): Promise<HttpResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  return request(http, { method: 'GET', url: withQuery(realm, req.service, req.scopes), headers });
}

function postRefreshToken(http: HttpContext, realm: URL, req: TokenRequest, refreshToken: string): Promise<HttpResponse> {
  const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: 'ocipack', refresh_token: refreshToken });
  if (req.service !== undefined) form.set('service', req.service);
  // One space-separated scope parameter, as the OAuth2 form of the token spec has it.
  if (req.scopes.length > 0) form.set('scope', req.scopes.join(' '));
  return request(http, {
    method: 'POST',
    url: realm,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: Buffer.from(form.toString(), 'utf8'),
  });
}

/** Reads `token` or `access_token` and `expires_in` from a token response. */
async function readToken(res: HttpResponse, host: string, cred: Credential | undefined, withheld?: string): Promise<FetchedToken> {
  if (withheld !== undefined && (res.status === 401 || res.status === 403)) {
    await discard(res.body);
    throw new OcipackError('UNAUTHORIZED', `${withheld}; the realm refused an anonymous token (${res.status})`, { context: { host, next: 'realm-withheld' } });
  }
  if (res.status !== 200) return tokenFailure(res, host, cred);
  const { bytes, complete } = await readCapped(res.body, DEFAULTS.caps.tokenBodyBytes);
  if (!complete) throw new OcipackError('REGISTRY', `token response from ${host}'s token server is larger than ${DEFAULTS.caps.tokenBodyBytes} bytes`);
  let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch {
    throw new OcipackError('REGISTRY', `token server of ${host} sent a response that is not JSON`);
  }
  const token = typeof doc.token === 'string' && doc.token !== '' ? doc.token : doc.access_token;
  if (typeof token !== 'string' || token === '') throw new OcipackError('REGISTRY', `token server of ${host} sent no token`);
  return { token, lifetimeMs: lifetimeMs(doc.expires_in) };
}

/** `expires_in` in ms, with a margin so a token is not used in its last seconds; the default when absent. */
export function lifetimeMs(expiresIn: unknown): number {
  const seconds = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULTS.tokenTtlSeconds;
  return Math.max(1, seconds - Math.min(10, seconds / 10)) * 1000;
}
