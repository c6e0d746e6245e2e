/**
 * The face of an error: its exit code (SPEC §3 and the README table) and the next step a person
 * should take. The core says what went wrong (code) and about what (context: option, host, path);
 * this is the only place that turns that into flag names and advice.
 */
import { OcipackError } from '../core/errors.js';

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

/** Library option names whose flag is not simply their kebab-case form. */
const FLAG_NAMES: Record<string, string> = {
  maxManifestBytes: '--max-manifest-size',
  maxLayerBytes: '--max-layer-size',
  maxPathBytes: '--max-path-length',
  annotations: '-a/--annotations',
  timeoutMs: '--timeout',
};

/** The CLI flag for a library option name: `maxEntries` → `--max-entries`. */
export function flagFor(option: string): string {
  return FLAG_NAMES[option] ?? `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Core messages name options as `name` (their library field); on the command line they are flags. */
export function withFlagNames(message: string): string {
  return message.replace(/`([a-z][A-Za-z]*)`/g, (_m, name: string) => flagFor(name));
}
