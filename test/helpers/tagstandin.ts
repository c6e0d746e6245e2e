/**
 * A stand-in registry for huge tag lists (the real registry cannot hold 100 000 tags quickly): `/v2/`
 * answers 200, `/v2/<name>/tags/list?n=&last=` serves the tags `t0…t<count-1>` (or the given names) in
 * pages with `Link` headers, and every tag's manifest (HEAD or GET, by tag or digest) is a small image
 * manifest whose digest and `org.opencontainers.image.created` come from `manifestOf`. Every request is
 * logged in order, so a test can tell whether pages were consumed as they came.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandIn {
  host: string;
  /** `METHOD path` of each request, in arrival order. */
  log: string[];
  close(): Promise<void>;
}

export interface StandInOptions {
  /** The repository name served. */
  name: string;
  /** Tag names, in the order the registry lists them. */
  tags: (i: number) => string;
  count: number;
  /** Which manifest a tag names: tags with the same key share a manifest; `created` goes into its annotations. */
  manifestOf: (tag: string) => { key: string; created: string };
}

/** Start the stand-in on a free loopback port. */
export async function startTagStandIn(o: StandInOptions): Promise<StandIn> {
  const log: string[] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < o.count; i++) index.set(o.tags(i), i);
  const byDigest = new Map<string, Buffer>();
  const manifest = (tag: string): Buffer => {
    const m = o.manifestOf(tag);
    const bytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 },
      layers: [], annotations: { 'org.opencontainers.image.created': m.created, key: m.key },
    }));
    byDigest.set(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes);
    return bytes;
  };
  const prefix = `/v2/${o.name}/`;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    log.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === '/v2/') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (url.pathname === `${prefix}tags/list`) {
      const n = Math.max(1, Number(url.searchParams.get('n') ?? '1000'));
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : (index.get(last) ?? -1) + 1;
      const tags: string[] = [];
      for (let i = start; i < Math.min(o.count, start + n); i++) tags.push(o.tags(i));
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (start + n < o.count) headers.link = `<${prefix}tags/list?n=${n}&last=${encodeURIComponent(tags[tags.length - 1]!)}>; rel="next"`;
      return void res.writeHead(200, headers).end(JSON.stringify({ name: o.name, tags }));
    }
    if (url.pathname.startsWith(`${prefix}manifests/`)) {
      const ref = decodeURIComponent(url.pathname.slice(`${prefix}manifests/`.length));
      const bytes = ref.startsWith('sha256:') ? byDigest.get(ref) : index.has(ref) ? manifest(ref) : undefined;
      if (bytes === undefined) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}');
      const headers = { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(bytes.length), 'docker-content-digest': `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
      res.writeHead(200, headers);
      return void res.end(req.method === 'HEAD' ? undefined : bytes);
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN","message":"unknown"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { host, log, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
