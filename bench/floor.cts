/**
 * The least a Node program can do for the typical workload (issue 26), a reference row beside ocipack and
 * fluxgo: what Node itself costs before any of ocipack's work. CommonJS (no ES module loader), Node's own
 * http with one kept-alive agent, everything in memory, and no checks beyond status codes: no TLS probe
 * (SPEC §2), no credentials, no digest verification, no entry-name rules, no staging. Never a tool to use:
 * its pull trusts the archive. The bench's own registry only.
 *
 *   node dist/bench/floor.cjs pull <host:port/repo:tag> <dir>
 *   node dist/bench/floor.cjs push <host:port/repo:tag> <dir>
 */
import http = require('node:http');
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface Target {
  host: string;
  port: number;
  repo: string;
  tag: string;
}

function target(ref: string): Target {
  const slash = ref.indexOf('/');
  const [host = '', port = '80'] = ref.slice(0, slash).split(':');
  const [repo = '', tag = 'latest'] = ref.slice(slash + 1).split(':');
  return { host, port: Number(port), repo, tag };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });

/** One request; resolves with the status, the headers and the whole body. */
function send(t: Target, method: string, path: string, body?: Buffer, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const all = body ? { ...headers, 'content-length': body.length } : headers;
    const req = http.request({ host: t.host, port: t.port, method, path, agent, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function expect(what: string, status: number, ...ok: number[]): void {
  if (!ok.includes(status)) throw new Error(`${what}: HTTP ${status}`);
}

async function pull(t: Target, dir: string): Promise<void> {
  const m = await send(t, 'GET', `/v2/${t.repo}/manifests/${t.tag}`, undefined, { accept: MANIFEST });
  expect('manifest', m.status, 200);
  const layer = (JSON.parse(m.body.toString()) as { layers: Array<{ digest: string }> }).layers[0]!;
  const blob = await send(t, 'GET', `/v2/${t.repo}/blobs/${layer.digest}`);
  expect('blob', blob.status, 200);
  const tar = gunzipSync(blob.body);
  mkdirSync(dir, { recursive: true });
  let longName: string | undefined;
  for (let off = 0; off + 512 <= tar.length && tar[off] !== 0; ) {
    const field = (at: number, len: number): string => tar.toString('latin1', off + at, off + at + len).replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12), 8) || 0;
    const type = field(156, 1) || '0';
    const body = tar.subarray(off + 512, off + 512 + size);
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
    else if (type === '5') mkdirSync(`${dir}/${name}`, { recursive: true });
    else if (type === '0') {
      mkdirSync(`${dir}/${name}`.replace(/\/[^/]*$/, ''), { recursive: true });
      writeFileSync(`${dir}/${name}`, body);
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
}

/** A ustar archive of the regular files under `dir`, in name order (names of up to 100 bytes, as the typical trees have). */
function tarOf(dir: string): Buffer {
  const octal = (n: number, width: number): string => `${n.toString(8).padStart(width - 1, '0')}\0`;
  const parts: Buffer[] = [];
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  const names = files.map((e) => `${e.parentPath}/${e.name}`.slice(dir.length + 1)).sort();
  for (const name of names) {
    if (Buffer.byteLength(name) > 100) throw new Error(`name over 100 bytes: ${name}`);
    const data = readFileSync(`${dir}/${name}`);
    const h = Buffer.alloc(512);
    h.write(name, 0, 100);
    h.write(octal(0o644, 8), 100);
    h.write(octal(0, 8), 108);
    h.write(octal(0, 8), 116);
    h.write(octal(data.length, 12), 124);
    h.write(octal(0, 12), 136);
    h.fill(' ', 148, 156);
    h.write('0', 156);
    h.write('ustar\u000000', 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${octal(sum, 7)} `, 148, 'latin1');
    parts.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

async function upload(t: Target, blob: Buffer): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  if ((await send(t, 'HEAD', `/v2/${t.repo}/blobs/${digest}`)).status === 200) return digest;
  const started = await send(t, 'POST', `/v2/${t.repo}/blobs/uploads/`);
  expect('upload', started.status, 202);
  const at = new URL(String(started.headers.location), `http://${t.host}:${t.port}`);
  at.searchParams.set('digest', digest);
  expect('upload', (await send(t, 'PUT', `${at.pathname}${at.search}`, blob, { 'content-type': 'application/octet-stream' })).status, 201);
  return digest;
}

async function push(t: Target, dir: string): Promise<void> {
  const layer = gzipSync(tarOf(dir));
  const config = Buffer.from('{}');
  const [layerDigest, configDigest] = await Promise.all([upload(t, layer), upload(t, config)]);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST,
    config: { mediaType: 'application/vnd.cncf.flux.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', digest: layerDigest, size: layer.length }],
  }));
  expect('manifest', (await send(t, 'PUT', `/v2/${t.repo}/manifests/${t.tag}`, manifest, { 'content-type': MANIFEST })).status, 201);
}

const [verb, ref = '', dir = ''] = process.argv.slice(2);
(verb === 'push' ? push : pull)(target(ref), dir.replace(/\/+$/, '')).then(
  () => agent.destroy(),
  (err: unknown) => {
    process.stderr.write(`floor ${verb}: ${String(err)}\n`);
    process.exitCode = 1;
    agent.destroy();
  },
);
