/**
 * A Sigstore instance on loopback for keyless tests: @sigstore/mock's Fulcio (with a CT log), Rekor v1
 * and v2 and RFC 3161 TSA handlers served from one node:http server on 127.0.0.1, the trusted_root.json
 * naming their keys and certificates, OIDC tokens carrying the claims a GitHub Actions or GitLab CI job
 * would (signed with a per-run test key; the mock Fulcio decodes them without checking the signature),
 * and a GitHub Actions ID-token endpoint. Faults are switched per service: refuse, down, hang.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  fulcioHandler, initializeCA, initializeCTLog, initializeTLog, initializeTSA, rekorHandler, tsaHandler, type HandlerFn,
} from '@sigstore/mock';

type TLog = Awaited<ReturnType<typeof initializeTLog>>;
type HandlerFnResult = Awaited<ReturnType<HandlerFn>>;
interface Logged { body: string; logID: string; verification: { inclusionProof: { rootHash: string; checkpoint: string } } }

const b64 = (b: ArrayBufferView): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const sha256 = (b: ArrayBufferView): Buffer => createHash('sha256').update(Buffer.from(b.buffer, b.byteOffset, b.byteLength)).digest();
const LONG_AGO = '2020-01-01T00:00:00Z';

export type Fault = 'ok' | 'refuse' | 'down' | 'hang';

/** A request the mock received (the path, the headers, the body as text). */
export interface Seen {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SigstoreMock {
  /** `http://127.0.0.1:<port>`: Fulcio, Rekor (v1 and v2) and TSA all live here. */
  url: string;
  trustedRoot: Buffer;
  /** Per-service fault switches. */
  faults: { fulcio: Fault; rekor: Fault; tsa: Fault; token: Fault };
  /** Everything received, in order. */
  seen: Seen[];
  /** The GitHub Actions token endpoint: `ACTIONS_ID_TOKEN_REQUEST_URL` (already carrying a query, as GitHub's does). */
  actionsUrl: string;
  /** The bearer the token endpoint expects (`ACTIONS_ID_TOKEN_REQUEST_TOKEN`). */
  actionsRequestToken: string;
  /** The token the endpoint hands out for audience `sigstore`. */
  actionsToken: string;
  close(): Promise<void>;
}

const KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** A compact JWS (ES256) over `claims`, as an OIDC provider would issue it. */
export function mintToken(claims: Record<string, unknown>): string {
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${enc({ alg: 'ES256', typ: 'JWT', kid: 'ocipack-test' })}.${enc({ aud: 'sigstore', iat: now, nbf: now, exp: now + 600, ...claims })}`;
  const sig = sign('sha256', Buffer.from(head), { key: KEY.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${head}.${sig.toString('base64url')}`;
}

/** The claims of a GitHub Actions job token (token.actions.githubusercontent.com) for `repo` at `ref`. */
export function githubClaims(repo = 'org/app', ref = 'refs/heads/main', workflow = '.github/workflows/release.yaml'): Record<string, unknown> {
  return {
    iss: 'https://token.actions.githubusercontent.com',
    sub: `https://github.com/${repo}/${workflow}@${ref}`,
    repository: repo, repository_owner: repo.split('/')[0], ref, sha: 'a'.repeat(40), event_name: 'push', workflow: 'release',
    job_workflow_ref: `${repo}/${workflow}@${ref}`, workflow_ref: `${repo}/${workflow}@${ref}`, run_id: '4242', run_attempt: '1',
    runner_environment: 'github-hosted',
  };
}

/** The claims of a GitLab CI job token (`id_tokens:` with `aud: sigstore`) for project `path` at `ref`. */
export function gitlabClaims(path = 'group/app', ref = 'main'): Record<string, unknown> {
  return {
    iss: 'https://gitlab.com',
    sub: `https://gitlab.com/${path}//.gitlab-ci.yml@refs/heads/${ref}`,
    project_path: path, ref, ref_type: 'branch', pipeline_id: '777', job_id: '888', sha: 'b'.repeat(40),
  };
}

interface ProposedV1 { apiVersion: string; kind: string; spec: { proposedContent?: { envelope: string; verifiers: string[] } } }
interface ProposedV2 { dsseRequestV002: { envelope: { payload: string; signatures: { sig: string }[] }; verifiers: unknown[] } }

/**
 * What Rekor v1 stores for a proposed `dsse` 0.0.1 entry (rekor pkg/types/dsse/v0.0.1 Canonicalize:
 * hashes of the envelope and payload, and each signature with its verifier). The mock logs the
 * proposal as given, which no verifier accepts; real Rekor canonicalises first, so we do too.
 */
function rekorV1Canonical(p: ProposedV1): unknown {
  const pc = p.spec.proposedContent;
  if (p.kind !== 'dsse' || !pc) return p;
  const env = JSON.parse(pc.envelope) as { payload: string; signatures: { sig: string }[] };
  return {
    apiVersion: '0.0.1', kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(pc.envelope)).toString('hex') },
      payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(env.payload, 'base64')).toString('hex') },
      signatures: env.signatures.map((s, i) => ({ signature: s.sig, verifier: pc.verifiers[i] ?? pc.verifiers[0] })),
    },
  };
}

/**
 * A Rekor v2 `dsse` 0.0.2 entry (rekor-tiles: the stored body holds the payload hash and each signature
 * with its verifier) at index 0 of a one-leaf tree, so the inclusion proof and checkpoint hold. The
 * mock's own v2 handler logs the request as the body and puts the entry at a random index.
 */
async function rekorV2Entry(tlog: TLog, p: ProposedV2): Promise<HandlerFnResult> {
  const req = p.dsseRequestV002;
  const body = {
    apiVersion: '0.0.2', kind: 'dsse',
    spec: { dsseV002: {
      payloadHash: { algorithm: 'SHA2_256', digest: b64(sha256(Buffer.from(req.envelope.payload, 'base64'))) },
      signatures: req.envelope.signatures.map((s, i) => ({ content: s.sig, verifier: req.verifiers[i] ?? req.verifiers[0] })),
    } },
  };
  const logged = Object.values(await tlog.log(body))[0] as Logged;
  const proof = logged.verification.inclusionProof;
  const entry = {
    logIndex: '0', logId: { keyId: Buffer.from(logged.logID, 'hex').toString('base64') }, kindVersion: { kind: 'dsse', version: '0.0.2' },
    integratedTime: '0',
    inclusionProof: { logIndex: '0', rootHash: Buffer.from(proof.rootHash, 'hex').toString('base64'), treeSize: '1', hashes: [], checkpoint: { envelope: proof.checkpoint } },
    canonicalizedBody: logged.body,
  };
  return { statusCode: 201, response: JSON.stringify(entry), contentType: 'application/json' };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Start the services on a free loopback port. */
export async function startSigstore(): Promise<SigstoreMock> {
  const ctlog = await initializeCTLog(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  // The mock TSA writes genTime's fraction without trailing zeros ("…01.5Z" when the milliseconds are 500),
  // which @sigstore/core's parser refuses ("invalid time"): one timestamp in ten failed. Its clock is fixed
  // at a whole second (no fraction at all), and the CA's a minute earlier, so that time lies inside every
  // certificate's 10-minute window.
  const started = Math.floor(Date.now() / 1000) * 1000;
  const ca = await initializeCA(generateKeyPairSync('ec', { namedCurve: 'P-256' }), ctlog, new Date(started - 60_000));
  const tlogKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tsaClock = new Date(started);
  const tsa = await initializeTSA(generateKeyPairSync('ec', { namedCurve: 'P-256' }), tsaClock);
  // The mock makes the TSA's certificates with notBefore = the real time, kept to the second (X.509): made in a
  // later second than `started`, they would postdate every timestamp (a check of keyless-sign.test.ts failed
  // so, once). The clock moves to the whole second they were made in: still inside the CA's window.
  tsaClock.setTime(Math.floor(Date.now() / 1000) * 1000);
  const faults: SigstoreMock['faults'] = { fulcio: 'ok', rekor: 'ok', tsa: 'ok', token: 'ok' };
  const seen: Seen[] = [];
  const actionsRequestToken = `actions-request-${Math.random().toString(36).slice(2)}`;
  const actionsToken = mintToken(githubClaims());
  const held: ServerResponse[] = [];
  let routes: Record<string, { service: keyof SigstoreMock['faults']; fn: HandlerFn }> = {};
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = (req.url ?? '/').split('?')[0]!;
      seen.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body });
      if (path === '/actions/token') {
        if (faults.token === 'hang') return void held.push(res);
        const ok = req.headers.authorization === `bearer ${actionsRequestToken}` && (req.url ?? '').includes('audience=sigstore');
        res.writeHead(ok ? 200 : 403, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { value: actionsToken } : { message: 'bad request token' }));
        return;
      }
      const route = routes[path];
      if (!route || req.method !== 'POST') return void res.writeHead(404).end('not found');
      const fault = faults[route.service];
      if (fault === 'hang') return void held.push(res);
      if (fault === 'down') return void req.socket.destroy();
      if (fault === 'refuse') return void res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 403, message: 'the OIDC token was refused' }));
      const r = await route.fn(body);
      const bytes = typeof r.response === 'string' ? Buffer.from(r.response) : Buffer.from(r.response.buffer, r.response.byteOffset, r.response.byteLength);
      res.writeHead(r.statusCode, { 'content-type': r.contentType ?? 'text/plain' }).end(bytes);
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tlog = await initializeTLog(url, tlogKey);
  routes = {
    '/api/v2/signingCert': { service: 'fulcio', fn: fulcioHandler(ca).fn },
    '/api/v1/log/entries': { service: 'rekor', fn: async (body) => rekorHandler(tlog).fn(JSON.stringify(rekorV1Canonical(JSON.parse(body) as ProposedV1))) },
    '/api/v2/log/entries': { service: 'rekor', fn: async (body) => rekorV2Entry(tlog, JSON.parse(body) as ProposedV2) },
    '/api/v1/timestamp': { service: 'tsa', fn: tsaHandler(tsa).fn },
  };
  const trustedRoot = Buffer.from(JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{
      baseUrl: url, hashAlgorithm: 'SHA2_256', logId: { keyId: b64(sha256(tlog.publicKey)) },
      publicKey: { rawBytes: b64(tlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: LONG_AGO } },
    }],
    certificateAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'sigstore' }, uri: url,
      certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] }, validFor: { start: LONG_AGO },
    }],
    ctlogs: [{
      baseUrl: url, hashAlgorithm: 'SHA2_256', logId: { keyId: b64(ctlog.logID) },
      publicKey: { rawBytes: b64(ctlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: LONG_AGO } },
    }],
    timestampAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'tsa' }, uri: url,
      certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] }, validFor: { start: LONG_AGO },
    }],
  }, null, 2));
  return {
    url, trustedRoot, faults, seen, actionsRequestToken, actionsToken,
    actionsUrl: `${url}/actions/token?api-version=2.0`,
    async close() {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A cosign 3 signing config (protobuf-specs SigningConfig v0.2) naming `url` for every service, Rekor at `rekorVersion`. */
export function signingConfig(url: string, rekorVersion: 1 | 2, opts: { fulcio?: string; tsa?: boolean } = {}): Buffer {
  const svc = (u: string, v: number): Record<string, unknown> => ({ url: u, majorApiVersion: v, validFor: { start: LONG_AGO }, operator: 'ocipack-test' });
  return Buffer.from(JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [svc(opts.fulcio ?? url, 1)],
    oidcUrls: [],
    rekorTlogUrls: [svc(url, rekorVersion)],
    tsaUrls: opts.tsa === false ? [] : [svc(`${url}/api/v1/timestamp`, 1)],
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
  }));
}
