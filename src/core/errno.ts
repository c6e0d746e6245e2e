/**
 * Node error codes (a system error's ENOENT, EEXIST, ELOOP…, or an ERR_* code) read in one place, and
 * a failed filesystem call turned into an IO OcipackError that keeps the code and never a stack.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { OcipackError, type ErrorContext, type NextStep } from './errors.js';

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

/** What to change for a failed filesystem call, by its code: in the output (or the path named), or in temporary space. */
const NEXT: Record<string, [NextStep, NextStep]> = {
  ENOSPC: ['disk-full', 'temp-full'],
  EDQUOT: ['disk-full', 'temp-full'],
  EROFS: ['read-only', 'temp-unwritable'],
  EACCES: ['permission', 'temp-unwritable'],
  EPERM: ['permission', 'temp-unwritable'],
  EXDEV: ['cross-device', 'cross-device'],
  ENOENT: ['missing-path', 'temp-missing'],
  ENOTDIR: ['missing-path', 'temp-missing'],
};

/**
 * An IO OcipackError `<message>: <code>` for a failed filesystem call; an OcipackError passes through.
 * The path it is about (`path`, else the one Node's error names) goes in the context with the next step
 * its code calls for; for ENOENT/ENOTDIR the message says which name on the way is really missing or
 * not a directory, and the context names that one. `temp`: the path is temporary space (TMPDIR's).
 */
export function fsError(message: string, err: unknown, path?: string, temp = false): OcipackError {
  if (err instanceof OcipackError) return err;
  const code = errCodeText(err);
  const at = path ?? nodePath(err);
  if (at === undefined) return new OcipackError('IO', `${message}: ${code}`, { cause: err });
  const real = hasErrCode(err, 'ENOENT', 'ENOTDIR') ? whatIsMissing(at) : undefined;
  const context: ErrorContext = { path: real?.path ?? at };
  const next = NEXT[code]?.[temp ? 1 : 0];
  if (next !== undefined) context.next = next;
  return new OcipackError('IO', `${message}: ${code}${real ? ` (${real.why})` : ''}`, { cause: err, context });
}

/** An IO OcipackError for a failed call in temporary space: the hint is about TMPDIR, not the output. */
export function tempError(message: string, err: unknown, path: string): OcipackError {
  return fsError(message, err, path, true);
}

function nodePath(err: unknown): string | undefined {
  const p = (err as { path?: unknown } | null)?.path;
  return typeof p === 'string' ? p : undefined;
}

/** The first name on the way to `p` that is missing or not a directory; undefined when `p` is there. */
function whatIsMissing(p: string): { path: string; why: string } | undefined {
  let child: string | undefined;
  for (let at = p; ; at = dirname(at)) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch {
      if (dirname(at) === at) return undefined;
      child = at;
      continue;
    }
    if (!isDir && at !== p) return { path: at, why: `"${at}" is not a directory` };
    return child === undefined ? undefined : { path: child, why: `"${child}" does not exist` };
  }
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
