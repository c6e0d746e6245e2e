/**
 * Node error codes (a system error's ENOENT, EEXIST, ELOOP…, or an ERR_* code) read in one place, and
 * a failed filesystem call turned into an IO OcipackError that keeps the code and never a stack.
 */
import { OcipackError, type ErrorContext } from './errors.js';

/** The `code` of a Node error (ENOENT, EEXIST, ERR_MODULE_NOT_FOUND, ...), if it has a string one. */
export function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when the error's `code` is one of `codes`. */
export function hasErrCode(err: unknown, ...codes: string[]): boolean {
  const code = errCode(err);
  return code !== undefined && codes.includes(code);
}

/** True when nothing is at the path: ENOENT, or ENOTDIR (a name on the way is a file). */
export function isMissing(err: unknown): boolean {
  return hasErrCode(err, 'ENOENT', 'ENOTDIR');
}

/** What a message shows for a failure: its code, else its message. */
export function errCodeText(err: unknown): string {
  return errCode(err) ?? (err instanceof Error ? err.message : String(err));
}

/**
 * An IO OcipackError `<message>: <code>` for a failed filesystem call; an OcipackError passes through.
 * With `path`, the context names it, and a full disk (ENOSPC) asks for space there.
 */
export function fsError(message: string, err: unknown, path?: string): OcipackError {
  if (err instanceof OcipackError) return err;
  const code = errCodeText(err);
  let context: ErrorContext = {};
  if (path !== undefined) context = code === 'ENOSPC' ? { path, next: 'disk-full' } : { path };
  return new OcipackError('IO', `${message}: ${code}`, { cause: err, context });
}

/** An IO OcipackError for a failed call on `path`: `<what> <path>: <code>`, the path in its context. */
export function ioError(what: string, path: string, err: unknown): OcipackError {
  return fsError(`${what} ${path}`, err, path);
}

/** Runs `fn`; its failure becomes ioError(what, path, err). */
export async function ioStep<T>(what: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw ioError(what, path, err);
  }
}
