/**
 * The OIDC identity token keyless signing presents to Fulcio, first found wins (cosign's order):
 * `--identity-token <jwt|@file>`; `SIGSTORE_ID_TOKEN` (GitLab CI declares it with `id_tokens:`, and any
 * CI can set it); GitHub Actions' token service (`ACTIONS_ID_TOKEN_REQUEST_URL` +
 * `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, GET `<url>&audience=sigstore` with the request token as bearer,
 * JSON `{value}`; docs.github.com "Configuring OpenID Connect in cloud providers"). The token is a
 * secret: it goes to Fulcio only, and no message, event or error ever carries it (SPEC §7).
 */
import { readFile } from 'node:fs/promises';
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { Env } from '../core/options.js';

/** Where the token came from, for output (never the token itself). */
export type TokenSource = 'identity-token' | 'SIGSTORE_ID_TOKEN' | 'github-actions';

export interface IdentityToken {
  token: string;
  source: TokenSource;
}

export interface TokenLookup {
  /** `--identity-token`: the JWT itself, or `@file` holding it. */
  flag?: string;
  env: Env;
  /** Bounds the GitHub Actions request (the run's deadline). */
  signal?: AbortSignal;
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The three ways, named when none gives a token (exit 2). */
export const TOKEN_WAYS = '`identityToken` (a JWT or @file), the SIGSTORE_ID_TOKEN variable (GitLab CI: declare it with id_tokens: and aud: sigstore), or GitHub Actions with `permissions: id-token: write`';

function checked(token: string, from: string): string {
  const t = token.trim();
  if (!JWT.test(t)) throw usageError(`the identity token from ${from} is not a JWT (three base64url parts)`, { option: 'identityToken' });
  return t;
}

async function fromFlag(flag: string): Promise<string> {
  if (!flag.startsWith('@')) return checked(flag, '`identityToken`');
  const file = flag.slice(1);
  try {
    return checked(await readFile(file, 'utf8'), file);
  } catch (err) {
    if (err instanceof OcipackError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(`\`identityToken\` ${file}: ${code === 'ENOENT' ? 'no such file' : 'cannot be read'}`, { option: 'identityToken', path: file });
  }
}

/** GitHub Actions' token service, asked for audience `sigstore`. */
async function fromActions(url: string, bearer: string, signal: AbortSignal | undefined): Promise<string> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usageError('ACTIONS_ID_TOKEN_REQUEST_URL is not a URL');
  }
  u.searchParams.set('audience', 'sigstore');
  const what = `the GitHub Actions token service (${u.host})`;
  let res: Response;
  const limit = AbortSignal.timeout(DEFAULTS.timeoutMs);
  try {
    res = await fetch(u, { headers: { authorization: `bearer ${bearer}`, accept: 'application/json' }, signal: signal ? AbortSignal.any([signal, limit]) : limit, redirect: 'error' });
  } catch (err) {
    if (signal?.aborted && signal.reason instanceof OcipackError) throw signal.reason;
    throw new OcipackError('NETWORK', `${what} could not be reached: ${(err as Error).message}`, { cause: err });
  }
  const text = (await res.text()).slice(0, DEFAULTS.caps.tokenBodyBytes);
  if (res.status !== 200) {
    throw new OcipackError('CREDENTIALS', `${what} answered ${res.status}: the job needs \`permissions: id-token: write\``);
  }
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string') throw new OcipackError('CREDENTIALS', `${what} answered without a token`);
  return checked(value, 'the GitHub Actions token service');
}

/** The token, first found wins; none is a usage error (exit 2) naming the three ways. */
export async function findIdentityToken(o: TokenLookup): Promise<IdentityToken> {
  if (o.flag !== undefined && o.flag !== '') return { token: await fromFlag(o.flag), source: 'identity-token' };
  const env = o.env.SIGSTORE_ID_TOKEN;
  if (env !== undefined && env !== '') return { token: checked(env, 'SIGSTORE_ID_TOKEN'), source: 'SIGSTORE_ID_TOKEN' };
  const url = o.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = o.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (url && bearer) return { token: await fromActions(url, bearer, o.signal), source: 'github-actions' };
  throw usageError(`keyless signing needs an OIDC identity token: pass ${TOKEN_WAYS}`, { option: 'identityToken' });
}
