/** Redaction for the `--debug` HTTP trace: secrets never leave the process, even in debug lines. */
import type { IncomingHttpHeaders } from 'node:http';

export const REDACTED = '<redacted>';

/** Query parameters of the distribution API whose values are safe to show. Everything else may sign a URL. */
const SAFE_QUERY = new Set(['n', 'last', 'digest', 'mount', 'from', 'service', 'scope', 'artifacttype']);

/** Header names whose values are secrets, or may be. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie|x-amz-.*|x-goog-.*|x-ms-.*)$|token|secret|signature|credential|password|api-key/i;

/** A URL for display: userinfo dropped and every query value outside the distribution API's own redacted. */
export function redactUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return REDACTED;
  }
  if (u.username !== '' || u.password !== '') {
    u.username = '';
    u.password = '';
  }
  const params = [...u.searchParams.entries()];
  if (params.length === 0) return u.toString();
  const shown = params.map(([k, v]) => `${encodeURIComponent(k)}=${SAFE_QUERY.has(k.toLowerCase()) ? encodeURIComponent(v) : REDACTED}`);
  u.search = '';
  return `${u.toString()}?${shown.join('&')}`;
}

/** One header value for display: the auth scheme is kept, the secret is not; URLs in Location/Link are redacted. */
export function redactHeaderValue(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const scheme = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s+\S/.exec(value);
    return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
  }
  if (SECRET_HEADER.test(lower)) return REDACTED;
  if (lower === 'location' || lower === 'content-location') return redactUrl(value);
  if (lower === 'link') return value.replace(/<([^>]*)>/g, (_m, u: string) => `<${redactRelative(u)}>`);
  return value;
}

function redactRelative(u: string): string {
  const redacted = redactUrl(new URL(u, 'http://relative.invalid'));
  return redacted.startsWith('http://relative.invalid') ? redacted.slice('http://relative.invalid'.length) : redacted;
}

/** All headers for display as `name: value` pairs, secrets redacted, names lower case and sorted. */
export function redactHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push(`${name.toLowerCase()}: ${redactHeaderValue(name, String(v))}`);
  }
  return out.sort();
}

/** The debug line for a request about to be sent. */
export function requestLine(method: string, url: string | URL, headers: Record<string, string>): string {
  const h = redactHeaders(headers);
  return `> ${method} ${redactUrl(url)}${h.length ? ` [${h.join('; ')}]` : ''}`;
}

/** The debug line for a response. */
export function responseLine(method: string, url: string | URL, status: number, headers: IncomingHttpHeaders, ms: number): string {
  const h = redactHeaders(headers);
  return `< ${status} ${method} ${redactUrl(url)} (${ms} ms)${h.length ? ` [${h.join('; ')}]` : ''}`;
}

/** Things that look like tokens whatever they are: JWTs, and long unbroken base64/hex runs. */
const TOKENISH = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|[A-Za-z0-9+/_-]{40,}={0,2}/g;

/** Server-sent text made safe to print: the given secrets and anything token-shaped replaced by <redacted>. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join(REDACTED);
  return out.replace(TOKENISH, REDACTED);
}
