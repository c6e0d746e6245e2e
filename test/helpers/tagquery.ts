/**
 * A stand-in for a registry with distribution-spec's "Pushing Manifests with tags" (the `?tag=` query
 * parameters on a manifest PUT by digest, confirmed by `OCI-Tag` response headers), placed in front of
 * the real registry, which has no such feature: it forwards everything, and a `PUT …/manifests/<digest>?tag=…`
 * becomes the PUT by digest plus one PUT per tag it chooses to accept, answered with `OCI-Tag` headers
 * the way the spec's example does (several values in one line, and a second line).
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TagQueryServer {
  host: string;
  /** Method and path (with query) of every request the client sent. */
  log: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

interface Upstream { status: number; headers: IncomingHttpHeaders; body: Buffer }

function forward(upstream: string, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Upstream> {
  const [host, port] = upstream.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port: Number(port), method, path, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Starts the stand-in on a free loopback port; `accept` picks the tags it makes (default: all). */
export async function startTagQueryServer(upstream: string, accept: (tags: string[]) => string[] = (t) => t): Promise<TagQueryServer> {
  const log: TagQueryServer['log'] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = req.url ?? '/';
    log.push({ method: req.method ?? 'GET', path });
    const body = await readBody(req);
    const url = new URL(path, 'http://x');
    const tags = url.searchParams.getAll('tag');
    const byDigest = req.method === 'PUT' && /\/manifests\/sha256:[0-9a-f]{64}$/.test(url.pathname);
    const first = await forward(upstream, req.method ?? 'GET', byDigest ? url.pathname : path, req.headers, body);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(first.headers)) if (v !== undefined && k !== 'transfer-encoding') headers[k] = v;
    if (byDigest && tags.length > 0 && first.status === 201) {
      const made = accept(tags);
      const base = url.pathname.slice(0, url.pathname.lastIndexOf('/') + 1);
      for (const t of made) {
        const r = await forward(upstream, 'PUT', `${base}${t}`, req.headers, body);
        if (r.status !== 201) throw new Error(`upstream PUT ${t}: ${r.status}`);
      }
      if (made.length > 0) headers['oci-tag'] = made.length === 1 ? made : [made.slice(0, -1).join(', '), made[made.length - 1]!];
    }
    res.writeHead(first.status, headers).end(first.body);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => res.writeHead(502).end(String(err)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
