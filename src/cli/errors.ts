/**
 * The face of an error: its exit code (SPEC §3 and the README table). The core says what went wrong
 * (code) and about what (context: option, host, path); hints.ts turns that into the next step a
 * person should take, flags.ts turns option names into flags.
 */
import { OcipackError } from '../core/errors.js';

export { flagFor, withFlagNames } from './flags.js';

/** Exit code for an error, as SPEC §3 defines them. */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof OcipackError)) return 1;
  switch (err.code) {
    case 'USAGE':
    case 'BAD_INPUT':
      return 2;
    case 'VERIFY':
      return 3;
    case 'NOT_FOUND':
      // A layout directory that does not exist is a path you typed (README: exit 2 is for what you passed in).
      return err.context.next === 'layout-missing' ? 2 : 1;
    default:
      return 1;
  }
}
