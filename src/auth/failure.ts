/**
 * A token server's refusal as an error. Token servers answer in their own shapes: the distribution
 * token spec's `errors[]`, Docker Hub's `{"details": …}`, or OAuth2's `error`/`error_description`
 * (RFC 6749 §5.2). What they said is quoted on one line, capped, scrubbed of the credential; a sent
 * credential that was refused is "rejected", never "missing" (issue 14 §4).
 */
import { DEFAULTS } from '../core/defaults.js';
import { secretsOf, type Credential } from '../core/credential.js';
import { CredentialsRejectedError, RegistryError, type ErrorCode } from '../core/errors.js';
import { readCapped } from '../http/body.js';
import { scrubSecrets } from '../http/redact.js';
import type { HttpResponse } from '../http/request.js';

function parse(body: Buffer): Record<string, unknown> | undefined {
  try {
    const doc = JSON.parse(body.toString('utf8')) as unknown;
    return typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function errorEntries(doc: Record<string, unknown> | undefined): Array<Record<string, unknown>> {
  return Array.isArray(doc?.errors) ? (doc.errors as unknown[]).filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null) : [];
}

/** What a token server said when it refused; one line, capped, the credential and anything token-shaped redacted. */
export function tokenServerSays(body: Buffer, cred: Credential | undefined): string {
  const doc = parse(body);
  if (doc === undefined) return '';
  const parts: string[] = [];
  for (const e of errorEntries(doc)) {
    const text = [e.code, e.message].filter((x) => typeof x === 'string' && x !== '').join(' ');
    if (text !== '') parts.push(text);
  }
  for (const field of ['details', 'error', 'error_description']) if (typeof doc[field] === 'string' && doc[field] !== '') parts.push(doc[field] as string);
  const oneLine = scrubSecrets(parts.join('; '), secretsOf(cred)).replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  const max = DEFAULTS.caps.serverMessageChars;
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/** Reads at most 64 KiB of the token server's non-200 answer and throws the matching error. */
export async function tokenFailure(res: HttpResponse, host: string, cred: Credential | undefined): Promise<never> {
  const { bytes } = await readCapped(res.body, DEFAULTS.caps.errorBodyBytes);
  const says = tokenServerSays(bytes, cred);
  const codes = errorEntries(parse(bytes)).map((e) => (typeof e.code === 'string' ? e.code : 'UNKNOWN'));
  if (res.status === 401 && cred !== undefined) throw new CredentialsRejectedError(401, host, cred.source, says, codes);
  const code: ErrorCode = res.status === 401 ? 'UNAUTHORIZED' : res.status === 403 ? 'DENIED' : res.status === 404 ? 'NOT_FOUND' : 'REGISTRY';
  const why = says === '' ? '' : `: ${says}`;
  const message = code === 'UNAUTHORIZED' ? `authentication required for ${host}${why}`
    : code === 'DENIED' ? `access to ${host} denied${why}`
      : `${host} answered ${res.status} for token${why}`;
  throw new RegistryError(code, res.status, message, codes, code === 'UNAUTHORIZED' ? { host, next: 'login' } : { host });
}
