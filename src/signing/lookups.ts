/**
 * Where verify looked for signatures and what each place answered (SPEC §7: "unsigned" only when every
 * place that could hold a signature answered). Bookkeeping only, apart from the parsing in discover.ts:
 * a place that answered 200 or 404 is recorded with how many candidates it gave; one whose lookup failed
 * (429 after retries, 5xx, 401/403, the network) is recorded with the failure and discovery goes on
 * with the other places, so a signature found elsewhere still counts.
 */
import { OcipackError, RegistryError } from '../core/errors.js';

/** The three places cosign and the distribution spec put signatures of a digest. */
export type LookupPlace = 'referrers-api' | 'referrers-tag' | 'cosign-tag';

/** One place looked at, as `verify -o json` prints it. */
export interface Lookup {
  place: LookupPlace;
  /** The HTTP status that settled it (200, 404; a layout answers as a registry would), or the error code of a failed lookup (`ECONNRESET`, `NETWORK`). */
  status: number | string;
  /** Signature candidates read from this place. */
  found: number;
  /** A failed lookup: the error's one-line message. */
  error?: string;
}

/** True for a status that means the place answered (present or absent). */
function answered(status: number | string): boolean {
  return status === 200 || status === 404;
}

/** The status or code that names a failure: the registry's HTTP status, else the network error's code. */
export function statusOf(err: unknown): number | string {
  if (err instanceof RegistryError) return err.status;
  const cause = (err as { cause?: { code?: unknown } }).cause;
  if (err instanceof OcipackError && err.code === 'NETWORK' && typeof cause?.code === 'string') return cause.code;
  if (err instanceof OcipackError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERROR';
}

/** The lookups of one verify, in the order they were made. */
export class LookupLog {
  readonly list: Lookup[] = [];
  private readonly errors = new Map<Lookup, unknown>();

  /**
   * Run one place's lookup: `look` returns the status it settled on (200 or 404) after adding its
   * candidates; `count` says how many candidates there are now. A cancelled run still throws.
   */
  async look(place: LookupPlace, count: () => number, look: () => Promise<200 | 404>): Promise<boolean> {
    const before = count();
    try {
      const status = await look();
      this.list.push({ place, status, found: count() - before });
      return true;
    } catch (err) {
      if (!(err instanceof OcipackError) || err.code === 'CANCELLED') throw err;
      const entry: Lookup = { place, status: statusOf(err), found: count() - before, error: err.message };
      this.list.push(entry);
      this.errors.set(entry, err);
      return false;
    }
  }

  /** The lookups that did not answer. */
  failed(): Lookup[] {
    return this.list.filter((l) => !answered(l.status));
  }

  /**
   * The error verify throws when no signature verified and a place could not be looked at (exit 1):
   * it names each failed lookup and its answer, and keeps the first failure's code (so its hint fits).
   */
  failure(digest: string): OcipackError | undefined {
    const failed = this.failed();
    if (failed.length === 0) return undefined;
    const first = this.errors.get(failed[0]!) as OcipackError;
    const named = failed.map((l) => `${l.place} (${l.status}: ${l.error ?? 'no answer'})`).join('; ');
    const message = `could not look for every signature of ${digest}, and none found verified: ${named}`;
    // a place that served something unreadable is "could not look" too (exit 1), not a failed verification
    const code = first.code === 'VERIFY' || first.code === 'NOT_FOUND' || first.code === 'BAD_MANIFEST' ? 'REGISTRY' : first.code;
    if (first instanceof RegistryError) return new RegistryError(code, first.status, message, first.registryCodes, first.context);
    return new OcipackError(code, message, { cause: first, context: first.context });
  }
}
