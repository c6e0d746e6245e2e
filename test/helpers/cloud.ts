/**
 * Stand-ins for what cannot run here, built from the services' documented behaviour, in front of the
 * real token-auth registry: a CONNECT proxy that sends cloud registry names (ECR, ACR, GAR hosts) to
 * an HTTPS front with a certificate for those names, which forwards to the registry (ACR's
 * `/oauth2/exchange` answered by the front); ECR's JSON API, GCE's metadata server and App Service's
 * managed-identity endpoint as small HTTP servers.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface CloudFront {
  /** `http://127.0.0.1:<port>`: HTTPS_PROXY for the CLI. */
  proxyUrl: string;
  /** PEM of the front's self-signed certificate (valid for every name). */
  certFile: string;
  /** host:port of every CONNECT the proxy was asked for. */
  connects: string[];
  stop(): Promise<void>;
}

/**
 * An HTTPS front for `names` forwarding to the plain-HTTP registry at `registryHost` (Host kept,
 * X-Forwarded-Proto https, so the registry's Location headers name the cloud host), reached through
 * a CONNECT proxy that refuses any other name. `exchange` answers `POST /oauth2/exchange` (ACR).
 */
export async function startCloudFront(names: string[], registryHost: string, exchange?: (form: Record<string, string>, host: string) => { status: number; doc: unknown }): Promise<CloudFront> {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-cloud-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  await exec('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=ocipack cloud stand-in', '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`, '-keyout', keyFile, '-out', certFile]);
  const [rHost, rPort] = registryHost.split(':') as [string, string];
  const front = createHttpsServer({ key: await readFile(keyFile), cert: await readFile(certFile) }, (req: IncomingMessage, res: ServerResponse) => {
    const host = (req.headers.host ?? '').replace(/:443$/, '');
    if (req.method === 'POST' && req.url === '/oauth2/exchange' && exchange) {
      void body(req).then((text) => {
        const a = exchange(Object.fromEntries(new URLSearchParams(text)), host);
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.doc));
      });
      return;
    }
    const up = httpRequest({ host: rHost, port: Number(rPort), method: req.method, path: req.url, headers: { ...req.headers, 'x-forwarded-proto': 'https' } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const frontPort = await listen(front);
  const connects: string[] = [];
  const proxy = createHttpServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: IncomingMessage, socket, head) => {
    connects.push(req.url ?? '');
    const name = (req.url ?? '').replace(/:\d+$/, '');
    if (!names.includes(name)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(frontPort, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  const proxyPort = await listen(proxy);
  return {
    proxyUrl: `http://127.0.0.1:${proxyPort}`, certFile, connects,
    stop: async () => {
      await close(proxy);
      await close(front);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface StandIn {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>` */
  host: string;
  /** Method, path and selected headers of every request. */
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>;
  stop(): Promise<void>;
}

async function standIn(handle: (req: IncomingMessage, text: string) => { status: number; headers?: Record<string, string>; doc: unknown }): Promise<StandIn> {
  const requests: StandIn['requests'] = [];
  const server = createHttpServer((req, res) => {
    void body(req).then((text) => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text });
      const a = handle(req, text);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(JSON.stringify(a.doc));
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, requests, stop: () => close(server) };
}

/**
 * ECR's API (AWS JSON 1.1, `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken`):
 * a SigV4-signed request from `accessKeyId` gets `authorizationData[0].authorizationToken` = base64 "AWS:<password>".
 */
export function startEcrApi(accessKeyId: string, password: string): Promise<StandIn> {
  return standIn((req) => {
    const target = req.headers['x-amz-target'];
    const auth = String(req.headers.authorization ?? '');
    if (target !== 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken') return { status: 400, doc: { __type: 'UnknownOperationException' } };
    if (!new RegExp(`^AWS4-HMAC-SHA256 Credential=${accessKeyId}/\\d{8}/[a-z0-9-]+/ecr/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$`).test(auth)) {
      return { status: 400, doc: { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' } };
    }
    const expiresAt = Math.floor(Date.now() / 1000) + 12 * 3600;
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, doc: { authorizationData: [{ authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'), expiresAt, proxyEndpoint: 'https://ecr.invalid' }] } };
  });
}

/** GCE's metadata server: `Metadata-Flavor: Google` both ways; the default service account's access token. */
export function startGceMetadata(accessToken: string): Promise<StandIn> {
  return standIn((req) => {
    if (req.headers['metadata-flavor'] !== 'Google') return { status: 403, doc: { error: 'missing Metadata-Flavor: Google' } };
    const path = (req.url ?? '').split('?')[0];
    const flavor = { 'metadata-flavor': 'Google' };
    if (path === '/computeMetadata/v1/instance' || path === '/computeMetadata/v1/instance/') return { status: 200, headers: flavor, doc: {} };
    if (path === '/computeMetadata/v1/instance/service-accounts/default/token') return { status: 200, headers: flavor, doc: { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' } };
    return { status: 404, headers: flavor, doc: {} };
  });
}

/** App Service's managed-identity endpoint (`IDENTITY_ENDPOINT`, header `X-IDENTITY-HEADER`, api-version 2019-08-01). */
export function startAppServiceIdentity(secret: string): Promise<StandIn & { issued: string[] }> {
  const issued: string[] = [];
  return standIn((req) => {
    if (req.headers['x-identity-header'] !== secret) return { status: 401, doc: { error: 'invalid identity header' } };
    const url = new URL(req.url ?? '/', 'http://x');
    const resource = url.searchParams.get('resource') ?? '';
    const token = `entra-${randomBytes(12).toString('hex')}`;
    issued.push(token);
    return { status: 200, doc: { access_token: token, expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource, token_type: 'Bearer', client_id: 'ci-identity' } };
  }).then((s) => Object.assign(s, { issued }));
}
