/**
 * Per-registry authorization state: the challenge the registry last sent, the run's credential and
 * the token cache. Decides the `Authorization` header for a request needing some scopes.
 */
import type { Credential } from '../core/credential.js';
import { basicPair } from '../core/credential.js';
import type { HttpContext } from '../http/request.js';
import { tokenKey, type TokenCache } from './cache.js';
import type { Challenge } from './challenge.js';
import { basicAuth, fetchToken } from './token.js';

export interface AuthorizerOptions {
  /** Registry host[:port], for the cache key and messages. */
  host: string;
  http: () => Promise<HttpContext>;
  credential: () => Promise<Credential | undefined>;
  cache: TokenCache;
}

/** `repository:<name>:<actions>` scope (token spec "Scope"): pull, or pull,push for a push. */
export function repositoryScope(repository: string, push = false): string {
  return `repository:${repository}:${push ? 'pull,push' : 'pull'}`;
}

/** The union of two scope lists, each scope once. */
export function unionScopes(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

/** Scopes a Bearer challenge asks for (`scope="a b"`). */
export function challengeScopes(ch: Challenge | undefined): string[] {
  const s = ch?.params.scope;
  return s ? s.split(' ').filter((x) => x !== '') : [];
}

/** Picks the challenge we can answer: Bearer first, then Basic. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}

/** Authorization for one registry (scheme and base URL already decided). */
export class Authorizer {
  private challenge: Challenge | undefined;
  /** Scope sets a 401 told us to widen, so later requests ask for the wider token straight away. */
  private readonly widened = new Map<string, string[]>();
  /** Why the token realm was not given the credentials (token.ts realmRefusal), once that happened. */
  withheld: string | undefined;
  /** The header last built straight from the credential (Basic, or a registry token) and that credential. */
  private direct: { header: string; credential: Credential } | undefined;
  constructor(private readonly opts: AuthorizerOptions, private readonly registry: URL) {}

  /** Remembers what the registry asked for (in a 401, the first request's or a ping's); false when nothing usable was sent. */
  learn(challenges: readonly Challenge[]): boolean {
    const ch = pickChallenge(challenges);
    if (ch) this.challenge = ch;
    return ch !== undefined;
  }

  /** The scheme of the challenge in force, if any. */
  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /**
   * The `Authorization` value for a request needing `scopes`, or undefined for anonymous access.
   * `fresh` skips the cache (after a 401); the challenge's own scopes are added to ours.
   * Credentials are looked up only once the registry has challenged us.
   */
  async authorization(scopes: readonly string[], fresh = false): Promise<string | undefined> {
    const ch = this.challenge;
    // No challenge yet: the registry asked for nothing, so no credential is looked up (no helper runs).
    if (ch === undefined) return undefined;
    const cred = await this.opts.credential();
    if (cred && 'registryToken' in cred) return this.sent(`Bearer ${cred.registryToken}`, cred);
    if (ch.scheme === 'basic') {
      const pair = basicPair(cred);
      return pair && this.sent(basicAuth(pair.username, pair.password), cred!);
    }
    if (ch.scheme !== 'bearer' || ch.params.realm === undefined) return undefined;
    const realm = ch.params.realm;
    const service = ch.params.service;
    const base = tokenKey(this.opts.host, scopes);
    let all = this.widened.get(base) ?? [...scopes];
    if (fresh) {
      all = unionScopes(all, challengeScopes(ch));
      this.widened.set(base, all);
    }
    const key = tokenKey(this.opts.host, all);
    const token = await this.opts.cache.getOrFetch(key, async () => {
      const http = await this.opts.http();
      return fetchToken(http, {
        realm, scopes: all, registry: this.registry, host: this.opts.host,
        ...(service === undefined ? {} : { service }),
        ...(cred === undefined ? {} : { credential: cred }),
        onWithheld: (why) => {
          this.withheld = why;
        },
      });
    }, fresh);
    return `Bearer ${token}`;
  }

  /**
   * The credential itself, when `header` carried it straight to the registry (Basic, or a registry
   * token): a 401 to such a request means the credential was refused, not that one was missing.
   */
  credentialBehind(header: string | undefined): Credential | undefined {
    return header !== undefined && this.direct?.header === header ? this.direct.credential : undefined;
  }

  private sent(header: string, credential: Credential): string {
    this.direct = { header, credential };
    return header;
  }
}
