/**
 * The one place an unexpected HTTP status becomes an error (DESIGN.md convention 2): at most 64 KiB of
 * the body is read, the distribution spec's `{"errors":[{code,message,detail}]}` codes are kept, and a
 * RegistryError with a stable code is thrown. Messages name host and repository, never credentials.
 */
import { DEFAULTS } from '../core/defaults.js';
import { RegistryError, type ErrorCode, type ErrorContext } from '../core/errors.js';
import { readCapped } from '../http/body.js';
import type { HttpResponse } from '../http/request.js';
import { retryAfterNote } from '../http/retry.js';

export interface FailureContext {
  /** Registry host[:port] as the user knows it. */
  host: string;
  repository?: string;
  /** What was asked for, e.g. `manifest latest`, `blob sha256:…`, `token`. */
  subject?: string;
}

export interface RegistryErrorBody {
  code: string;
  message: string;
}

const NOT_FOUND_CODES = new Set(['MANIFEST_UNKNOWN', 'BLOB_UNKNOWN', 'NAME_UNKNOWN', 'BLOB_UPLOAD_UNKNOWN']);

/** The `errors[]` of a distribution-spec error body (OCI distribution-spec "Error Codes"); [] when not one. */
export function parseErrorBody(bytes: Buffer): RegistryErrorBody[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return [];
  }
  const errors = (doc as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((e): e is { code?: unknown; message?: unknown } => typeof e === 'object' && e !== null)
    .map((e) => ({ code: typeof e.code === 'string' ? e.code : 'UNKNOWN', message: typeof e.message === 'string' ? e.message : '' }));
}

/** Server-sent text made safe for a one-line message: no control characters, bounded length. */
function clean(text: string, max = 200): string {
  const oneLine = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

function where(ctx: FailureContext): string {
  return ctx.repository === undefined ? ctx.host : `${ctx.host}/${ctx.repository}`;
}

/** The stable error code for a status and the registry's own codes. */
export function codeFor(status: number, registryCodes: string[]): ErrorCode {
  if (status === 404 || registryCodes.some((c) => NOT_FOUND_CODES.has(c))) return 'NOT_FOUND';
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  return 'REGISTRY';
}

/** Builds the RegistryError for a status and an (already read) error body. */
export function registryError(status: number, body: Buffer, ctx: FailureContext): RegistryError {
  const errors = parseErrorBody(body);
  const codes = errors.map((e) => e.code);
  const code = codeFor(status, codes);
  const detail = errors.length > 0 ? `: ${clean(errors.map((e) => (e.message ? `${e.code} ${e.message}` : e.code)).join('; '))}` : '';
  const subject = ctx.subject ?? 'resource';
  switch (code) {
    case 'NOT_FOUND': {
      // A manifest asked for by tag (a digest has a colon, a tag never does): the face suggests listing the tags.
      const byTag = /^manifest [^:]+$/.test(subject) && ctx.repository !== undefined;
      const context: ErrorContext = byTag ? { host: ctx.host, repository: ctx.repository, next: 'list-tags' } : {};
      return new RegistryError(code, status, `${subject} not found in ${where(ctx)}${detail}`, codes, context);
    }
    case 'UNAUTHORIZED':
      return new RegistryError(code, status, `authentication required for ${ctx.host}`, codes, { host: ctx.host, next: 'login' });
    case 'DENIED':
      return new RegistryError(code, status, `access to ${where(ctx)} denied${detail}`, codes);
    default:
      return new RegistryError(code, status, `${ctx.host} answered ${status} for ${subject} in ${where(ctx)}${detail}`, codes);
  }
}

/** Reads at most 64 KiB of an unexpected response and throws the matching RegistryError. */
export async function failure(res: HttpResponse, ctx: FailureContext): Promise<never> {
  const { bytes } = await readCapped(res.body, DEFAULTS.caps.errorBodyBytes);
  const err = registryError(res.status, bytes, ctx);
  const note = retryAfterNote(res.status, res.headers['retry-after']);
  if (note === undefined) throw err;
  throw new RegistryError(err.code, err.status, `${ctx.host} answered ${res.status} for ${ctx.subject ?? 'resource'} and ${note}`, err.registryCodes,
    { host: ctx.host, next: 'retry-later' });
}
