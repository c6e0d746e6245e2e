/** Bearer tokens cached per (host, scope set) until they expire (SPEC §6: tokens cached per scope). */

/** A token as fetched: how long it may be used is measured on the cache's clock, not the fetcher's. */
export interface FetchedToken {
  token: string;
  /** Milliseconds from now after which the token is not used again. */
  lifetimeMs: number;
}

interface CachedToken {
  token: string;
  /** Epoch milliseconds (on the cache's clock) after which the token is not used again. */
  expiresAt: number;
}

/** The cache key: host plus the sorted, de-duplicated scopes. */
export function tokenKey(host: string, scopes: readonly string[]): string {
  return `${host}\n${[...new Set(scopes)].sort().join(' ')}`;
}

/** A per-run token cache; concurrent requests for the same key share one fetch. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<FetchedToken>>();
  /** `now` is the clock expiry is judged by (injected in tests instead of sleeping). */
  constructor(private readonly now: () => number = Date.now) {}

  /** A still-valid token for the key, if any. */
  get(key: string): string | undefined {
    const t = this.tokens.get(key);
    if (!t) return undefined;
    if (t.expiresAt <= this.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return t.token;
  }

  /** Forgets a token the registry rejected. */
  delete(key: string): void {
    this.tokens.delete(key);
  }

  /** The cached token, or the result of `fetch` (shared by concurrent callers, cached on success). */
  async getOrFetch(key: string, fetch: () => Promise<FetchedToken>, fresh = false): Promise<string> {
    if (!fresh) {
      const hit = this.get(key);
      if (hit !== undefined) return hit;
    }
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = fetch().finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const t = await pending;
    this.tokens.set(key, { token: t.token, expiresAt: this.now() + t.lifetimeMs });
    return t.token;
  }
}
