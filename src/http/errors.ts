/** Turning low-level connection failures into OcipackErrors that name the host and never a secret. */
import { errCode } from '../core/errno.js';
import { OcipackError } from '../core/errors.js';

const CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE',
]);

/** TLS handshake failures that mean "this server does not speak TLS" (a plain-HTTP server answered). */
const NOT_TLS_CODES = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_UNKNOWN_PROTOCOL', 'EPROTO', 'ECONNRESET',
]);

/** Failures of our own request body (a file that vanished, a stream that lied about its size). */
const LOCAL_BODY_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'EMFILE', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH']);

export type FailureKind = 'certificate' | 'not-tls' | 'aborted' | 'local' | 'network';

/** The error's `code`, looking through `cause` chains that undici sometimes adds. */
export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = errCode(e);
    if (code !== undefined) return code;
  }
  return undefined;
}

/** What kind of connection failure an error is, for the scheme decision and for messages. */
export function classifyFailure(err: unknown, signal?: AbortSignal): FailureKind {
  if (signal?.aborted) return 'aborted';
  const code = errorCode(err);
  if (code === undefined) return 'network';
  if (CERT_CODES.has(code) || code.startsWith('ERR_TLS_CERT') || code.startsWith('CERT_')) return 'certificate';
  if (NOT_TLS_CODES.has(code)) return 'not-tls';
  if (LOCAL_BODY_CODES.has(code)) return 'local';
  if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return 'aborted';
  return 'network';
}

/** Where a request went: a host, or a host through a proxy (its redacted URL and the variable that named it). */
export type NetworkPlace = string | { host: string; proxy: { url: string; variable: string } };

/** Failures of the TCP connection itself: through a proxy, the connection is the proxy's. */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Through a proxy, a failed connection is the proxy's (name it, and the variable it came from), and a refused
 * CONNECT is the proxy's answer (undici reports it as an aborted request); undefined for anything else.
 */
function proxyFailure(err: unknown, code: string, where: Exclude<NetworkPlace, string>): OcipackError | undefined {
  const { host, proxy } = where;
  const at = new URL(proxy.url).host;
  if (CONNECT_CODES.has(code)) {
    return new OcipackError('NETWORK', `cannot reach the proxy ${at} (${proxy.variable}) on the way to ${host} (${code})`, { cause: err, context: { host: at, next: 'proxy-unreachable' } });
  }
  const refused = /^Proxy response \((\d+)\) !== 200 when HTTP Tunneling/.exec(err instanceof Error ? err.message : '');
  if (refused) {
    return new OcipackError('NETWORK', `the proxy ${at} (${proxy.variable}) answered ${refused[1]!} when asked for a tunnel to ${host}`, { cause: err, context: { host, next: 'proxy-tunnel' } });
  }
  return undefined;
}

/** The OcipackError for a failed connection to `place`: TLS, CANCELLED or NETWORK. Passes OcipackErrors through. */
export function networkError(err: unknown, place: NetworkPlace, signal?: AbortSignal): OcipackError {
  if (err instanceof OcipackError) return err;
  const code = errorCode(err) ?? 'error';
  const viaProxy = typeof place === 'string' || signal?.aborted ? undefined : proxyFailure(err, code, place);
  if (viaProxy) return viaProxy;
  const host = typeof place === 'string' ? place : `${place.host} through proxy ${place.proxy.url}`;
  switch (classifyFailure(err, signal)) {
    case 'certificate':
      return new OcipackError('TLS', `TLS certificate of ${host} not trusted (${code})`, {
        context: { host, next: 'ca-file' },
        cause: err,
      });
    case 'aborted': {
      const reason = signal?.reason as { name?: string } | undefined;
      const timedOut = reason?.name === 'TimeoutError';
      return new OcipackError('CANCELLED', timedOut ? `timed out talking to ${host}` : `cancelled while talking to ${host}`, { cause: err });
    }
    case 'local':
      return new OcipackError(code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' ? 'VERIFY' : 'IO',
        `cannot send the request body to ${host} (${code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' ? 'its length differs from the declared size' : code})`, { cause: err });
    default:
      if (code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
        return new OcipackError('NETWORK', `${host} sent nothing for too long (${code})`, { cause: err });
      }
      if (code === 'UND_ERR_SOCKET') return new OcipackError('NETWORK', `connection to ${host} broke (${code})`, { cause: err });
      if (code === 'ECONNREFUSED') {
        return new OcipackError('NETWORK', `cannot reach ${host} (${code})`, { cause: err, context: { host, next: 'connection-refused' } });
      }
      return new OcipackError('NETWORK', `cannot reach ${host} (${code})`, { cause: err });
  }
}
