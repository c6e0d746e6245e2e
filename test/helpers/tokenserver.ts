/**
 * A small token server for the distribution registry's token auth (docker token spec "Token
 * Authentication Implementation"): ES256 JWTs signed with a generated ECDSA key whose self-signed
 * certificate the registry trusts (`auth.token.rootcertbundle`) and which rides in the JWT `x5c`
 * header. Anonymous users get pull only; Basic credentials are checked; the OAuth2 refresh-token
 * POST is supported; every request is recorded so tests can assert on what the client sent.
 * It serves HTTPS with the same certificate (clients trust it with --ca-file or NODE_EXTRA_CA_CERTS).
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRegistry, type RegistryOptions, type RunningRegistry, type TokenAuthConfig } from './registry.js';

const exec = promisify(execFile);

export interface TokenServerOptions {
  /** user name → password, checked on Basic auth and on `grant_type=password`. */
  users?: Record<string, string>;
  /** Actions a user (undefined: anonymous) gets on a repository; default: users all they ask, anonymous pull. */
  grant?: (user: string | undefined, repository: string, asked: string[]) => string[];
  /** Serve plain HTTP instead of HTTPS (to test that no credentials go to such a realm). */
  plainHttp?: boolean;
  /** Status for every POST (404 plays an old token server without the OAuth2 endpoint). */
  postStatus?: number;
  /** Field that carries the token: `token`, `access_token` or both (default both, like distribution's). */
  tokenField?: 'token' | 'access_token' | 'both';
  /** `expires_in` in the answer (default 300); the JWT lives this long plus a minute. */
  expiresIn?: number;
  /** Omit `expires_in` from answers (the client must then assume 60 s). */
  omitExpiresIn?: boolean;
  /** Users the token server answers 403 for, as GitLab's does for a user without access. */
  forbidden?: string[];
  /** Loopback address to listen on and name in the realm (default 127.0.0.1; 127.0.0.2 is "another host"). */
  listenHost?: string;
}

export interface TokenRequestRecord {
  method: string;
  /** Path and query as requested. */
  url: string;
  scopes: string[];
  service: string | undefined;
  authorization: string | undefined;
  /** The form of a POST, as key → value. */
  form: Record<string, string> | undefined;
  /** Who the request authenticated as; undefined for anonymous. */
  user: string | undefined;
  status: number;
  /** Access granted, as `repository:<name>:<actions>` strings. */
  granted: string[];
}

export interface RunningTokenServer {
  /** `https://127.0.0.1:<port>/token` */
  realm: string;
  service: string;
  issuer: string;
  /** PEM file of the signing and TLS certificate: the registry's rootcertbundle and the clients' CA file. */
  certFile: string;
  /** Its private key (PEM file), e.g. to serve a TLS registry with the same certificate. */
  keyFile: string;
  /** The `auth.token` section for startRegistry. */
  registryAuth: TokenAuthConfig;
  /** Every request received, in order. */
  requests: TokenRequestRecord[];
  /** Every access token and refresh token handed out (for leak checks). */
  issued: string[];
  /** A refresh (identity) token for a user, as `docker login` would store. */
  refreshTokenFor(user: string): string;
  stop(): Promise<void>;
}

/** A generated P-256 key and self-signed certificate (openssl), valid for 127.0.0.1 and localhost. */
export async function generateSigningCert(dir: string): Promise<{ keyFile: string; certFile: string; key: KeyObject; certDer: Buffer }> {
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  try {
    await exec('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', '/CN=ocipack test token signer', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', keyFile, '-out', certFile,
    ]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('openssl not found: install the Debian package openssl');
    throw err;
  }
  const key = createPrivateKey(await readFile(keyFile));
  const certDer = Buffer.from(new X509Certificate(await readFile(certFile)).raw);
  return { keyFile, certFile, key, certDer };
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** `repository:<name>:<actions>` → its parts; the name may not contain ':' but actions are after the last one. */
export function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter((a) => a !== '') };
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : { user: text.slice(0, i), password: text.slice(i + 1) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the token server on a free loopback port. */
export async function startTokenServer(opts: TokenServerOptions = {}): Promise<RunningTokenServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-token-'));
  const signer = await generateSigningCert(dir);
  const service = 'ocipack-test-registry';
  const issuer = 'ocipack-test-issuer';
  const users = opts.users ?? {};
  const refreshTokens = new Map<string, string>();
  const requests: TokenRequestRecord[] = [];
  const issued: string[] = [];
  const grant = opts.grant ?? ((user, _repo, asked) => (user === undefined ? asked.filter((a) => a === 'pull') : asked));

  const jwt = (user: string | undefined, access: Array<{ type: string; name: string; actions: string[] }>): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [signer.certDer.toString('base64')] };
    const claims = {
      iss: issuer, sub: user ?? '', aud: service, exp: now + (opts.expiresIn ?? 300) + 60, nbf: now - 10, iat: now,
      jti: randomBytes(8).toString('hex'), access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key: signer.key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
  };

  const answer = (res: ServerResponse, rec: TokenRequestRecord, status: number, doc: Record<string, unknown>): void => {
    rec.status = status;
    requests.push(rec);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await readBody(req);
    const form = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(body)) : undefined;
    const scopes = form ? (form.scope ?? '').split(' ').filter((s) => s !== '') : url.searchParams.getAll('scope');
    const rec: TokenRequestRecord = {
      method: req.method ?? '', url: req.url ?? '', scopes, service: form ? form.service : (url.searchParams.get('service') ?? undefined),
      authorization: req.headers.authorization, form, user: undefined, status: 0, granted: [],
    };
    if (url.pathname !== '/token') return answer(res, rec, 404, { errors: [{ code: 'NOT_FOUND' }] });
    if (req.method === 'POST' && opts.postStatus !== undefined) return answer(res, rec, opts.postStatus, { error: 'unsupported' });
    let user: string | undefined;
    let refreshToken: string | undefined;
    if (form) {
      if (form.grant_type === 'refresh_token') {
        user = refreshTokens.get(form.refresh_token ?? '');
        if (user === undefined) return answer(res, rec, 401, { error: 'invalid_grant' });
      } else if (form.grant_type === 'password') {
        if (form.username === undefined || users[form.username] !== form.password) return answer(res, rec, 401, { error: 'invalid_grant' });
        user = form.username;
        if (form.access_type === 'offline') refreshToken = issueRefresh(user);
      } else {
        return answer(res, rec, 400, { error: 'unsupported_grant_type' });
      }
    } else if (req.headers.authorization !== undefined) {
      const basic = parseBasic(req.headers.authorization);
      if (basic && users[basic.user] !== undefined && users[basic.user] === basic.password) user = basic.user;
      else if (basic && refreshTokens.has(basic.password)) user = refreshTokens.get(basic.password);
      else return answer(res, rec, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
      if (url.searchParams.get('offline_token') === 'true') refreshToken = issueRefresh(user as string);
    }
    rec.user = user;
    if (user !== undefined && opts.forbidden?.includes(user)) return answer(res, rec, 403, { errors: [{ code: 'DENIED', message: 'access forbidden' }] });
    const access: Array<{ type: string; name: string; actions: string[] }> = [];
    for (const s of scopes) {
      const p = parseScope(s);
      if (!p || p.type !== 'repository') continue;
      const actions = grant(user, p.name, p.actions);
      if (actions.length > 0) access.push({ type: 'repository', name: p.name, actions });
    }
    rec.granted = access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`);
    const token = jwt(user, access);
    issued.push(token);
    const doc: Record<string, unknown> = {};
    const field = opts.tokenField ?? 'both';
    if (field !== 'access_token') doc.token = token;
    if (field !== 'token') doc.access_token = token;
    if (!opts.omitExpiresIn) doc.expires_in = opts.expiresIn ?? 300;
    doc.issued_at = new Date().toISOString();
    if (refreshToken !== undefined) doc.refresh_token = refreshToken;
    answer(res, rec, 200, doc);
  };

  function issueRefresh(user: string): string {
    const t = `refresh-${randomBytes(12).toString('hex')}`;
    refreshTokens.set(t, user);
    issued.push(t);
    return t;
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handler(req, res).catch(() => res.destroy());
  };
  const server: Server = opts.plainHttp
    ? createHttpServer(onRequest)
    : createHttpsServer({ key: await readFile(signer.keyFile), cert: await readFile(signer.certFile) }, onRequest);
  const listenHost = opts.listenHost ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, listenHost, resolve));
  const port = (server.address() as AddressInfo).port;
  const realm = `${opts.plainHttp ? 'http' : 'https'}://${listenHost}:${port}/token`;
  return {
    realm, service, issuer, certFile: signer.certFile, keyFile: signer.keyFile,
    registryAuth: { realm, service, issuer, rootCertBundle: signer.certFile },
    requests, issued,
    refreshTokenFor: issueRefresh,
    stop: async () => {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TokenRegistry {
  registry: RunningRegistry;
  tokens: RunningTokenServer;
  stop(): Promise<void>;
}

/** A token server and a real registry in token-auth mode that trusts it. */
export async function startTokenRegistry(opts: TokenServerOptions = {}, registryOpts: Omit<RegistryOptions, 'auth' | 'token'> = {}): Promise<TokenRegistry> {
  const tokens = await startTokenServer(opts);
  try {
    const registry = await startRegistry({ ...registryOpts, auth: 'token', token: tokens.registryAuth });
    return { registry, tokens, stop: async () => { await registry.stop(); await tokens.stop(); } };
  } catch (err) {
    await tokens.stop();
    throw err;
  }
}
