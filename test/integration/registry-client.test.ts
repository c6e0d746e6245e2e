/** The distribution client against the real CNCF registry (no auth and htpasswd), plus a paginating proxy. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { CredentialsRejectedError, OcipackError } from '../../src/core/errors.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { digestOf } from '../../src/oci/digest.js';
import { MT } from '../../src/oci/mediatypes.js';
import { parseReference, type Reference } from '../../src/oci/reference.js';
import { connect, type Connection } from '../../src/connect/connect.js';
import type { CredentialResolver } from '../../src/core/credential.js';
import { DEFAULTS } from '../../src/core/defaults.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../../src/core/options.js';
import { TokenCache } from '../../src/auth/cache.js';
import { createDispatcher } from '../../src/http/dispatcher.js';
import { RegistryClient } from '../../src/registry/client.js';
import { RemoteRepository } from '../../src/registry/remote.js';
import { eventSink } from '../helpers/fakes.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { hintFor } from '../../src/cli/hints.js';

const exec = promisify(execFile);
const PASSWORD = 'pw-8c1f7e2a';
let open: RunningRegistry;
let locked: RunningRegistry;
const connections: Connection[] = [];

before(async () => {
  [open, locked] = await Promise.all([startRegistry({ auth: 'none' }), startRegistry({ auth: 'htpasswd', users: { alice: PASSWORD } })]);
});
after(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await Promise.all([open?.stop(), locked?.stop()]);
});

type SessionOptions = RunOptions & RegistryOptions & TargetCaps & { credentials?: CredentialResolver };

/** One run's Connection, made as a use-case makes it; `repository` opens a registry reference through it. */
function session(opts: SessionOptions = {}) {
  const { credentials, ...rest } = opts;
  const conn = connect(rest, rest, credentials ? { credentials } : {});
  connections.push(conn);
  return {
    async repository(ref: Reference, o: { push?: boolean } = {}): Promise<RemoteRepository> {
      const target = await conn.open({ kind: 'remote', ref, display: `${ref.registry}/${ref.repository}` }, o);
      assert.ok(target instanceof RemoteRepository);
      return target;
    },
  };
}
type Session = ReturnType<typeof session>;

/** A repository that asks for `pageSize` tags per page, made from the registry layer itself (no connect/). */
async function pagedRepository(host: string, repository: string, pageSize: number): Promise<RemoteRepository> {
  const dispatcher = await createDispatcher();
  after(() => dispatcher.close());
  const client = new RegistryClient({ host, http: async () => ({ dispatcher }), credential: async () => undefined, cache: new TokenCache() });
  return new RemoteRepository(client, parseReference(`${host}/${repository}`), { maxManifestBytes: DEFAULTS.caps.manifestBytes, tagPageSize: pageSize });
}

function blob(text: string): { desc: Descriptor; bytes: Buffer } {
  const bytes = Buffer.from(text);
  return { bytes, desc: { mediaType: 'application/octet-stream', digest: digestOf(bytes), size: bytes.length } };
}

/** Pushes config + layer + manifest to `repo` under `tag`; returns the manifest descriptor. */
async function pushArtifact(s: Session, host: string, repo: string, tag: string, content = `layer of ${repo}`): Promise<Descriptor> {
  const r = await s.repository(parseReference(`${host}/${repo}:${tag}`), { push: true });
  const config = blob('{}');
  const layer = blob(content);
  await r.pushBlob({ ...config.desc, mediaType: MT.fluxConfig }, config.bytes);
  await r.pushBlob({ ...layer.desc, mediaType: MT.fluxContent }, layer.bytes);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MT.ociManifest,
    config: { ...config.desc, mediaType: MT.fluxConfig }, layers: [{ ...layer.desc, mediaType: MT.fluxContent }],
  }));
  const desc = { mediaType: MT.ociManifest, digest: digestOf(manifest), size: manifest.length };
  await r.pushManifest(desc, manifest, tag);
  return desc;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<OcipackError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OcipackError, `expected OcipackError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

test('the first request picks plain HTTP for a loopback registry that does not speak TLS, after trying HTTPS (no /v2/ ping)', async () => {
  const sink = eventSink();
  const s = session({ onEvent: sink.onEvent });
  const r = await s.repository(parseReference(`${open.host}/ping/check:v1`));
  await rejectsWith(r.resolve('v1'), 'NOT_FOUND');
  const debug = sink.messages('debug');
  assert.match(debug[0] ?? '', new RegExp(`^> (HEAD https://${open.host}/v2/ping/check/manifests/v1|TLS probe https://${open.host}/)`));
  assert.ok(debug.some((l) => l.startsWith(`< 404 HEAD http://${open.host}/v2/ping/check/manifests/v1`)), debug.join('\n'));
  assert.ok(!debug.some((l) => l.includes(`/v2/ `) || l.endsWith('/v2/')), debug.join('\n'));
});

test('a non-loopback name for a plain-HTTP registry is PLAIN_HTTP without --insecure-registry, fine with it', async () => {
  // 0.0.0.0 reaches the loopback listener on Linux but is not a loopback name.
  const host = open.host.replace('127.0.0.1', '0.0.0.0');
  const err = await rejectsWith((await session().repository(parseReference(`${host}/x/y:v1`))).resolve('v1'), 'PLAIN_HTTP');
  assert.equal(hintFor(err), 'use --insecure-registry for a plain-HTTP registry');
  await rejectsWith((await session({ insecureRegistry: true }).repository(parseReference(`${host}/x/y:v1`))).resolve('v1'), 'NOT_FOUND');
});

test('blob upload, HEAD and verified GET; existing blobs are not uploaded again', async () => {
  const s = session();
  const r = await s.repository(parseReference(`${open.host}/blobs/one:v1`), { push: true });
  const { desc, bytes } = blob('hello blob '.repeat(1000));
  assert.equal(await r.exists(desc), false);
  await r.pushBlob(desc, () => Readable.from([bytes.subarray(0, 5000), bytes.subarray(5000)]));
  assert.equal(await r.exists(desc), true);
  assert.deepEqual(await buffer(await r.fetchBlob(desc)), bytes);

  await open.resetRequests();
  await r.pushBlob(desc, bytes);
  assert.deepEqual((await open.requests()).map((q) => q.method), ['HEAD']);

  await rejectsWith(r.fetchBlob({ ...desc, size: desc.size + 1 }), 'VERIFY');
  const other = blob('not stored');
  await rejectsWith(r.fetchBlob(other.desc), 'NOT_FOUND');
});

test('a blob whose bytes do not match the digest is refused by the registry', async () => {
  const r = await session().repository(parseReference(`${open.host}/blobs/bad:v1`), { push: true });
  const { desc } = blob('real');
  const err = await rejectsWith(r.pushBlob(desc, Buffer.from('fake')), 'REGISTRY');
  assert.match(err.message, /DIGEST_INVALID/);
});

test('manifest PUT, then GET and resolve by tag and by digest', async () => {
  const s = session();
  const desc = await pushArtifact(s, open.host, 'team/app', 'v1');
  const r = await s.repository(parseReference(`${open.host}/team/app:v1`));
  const byTag = await r.fetchManifest('v1');
  assert.deepEqual(byTag.descriptor, desc);
  const byDigest = await r.fetchManifest(desc.digest);
  assert.deepEqual(byDigest.bytes, byTag.bytes);
  assert.deepEqual(await r.resolve('v1'), desc);
  assert.deepEqual(await r.resolve(desc.digest), desc);
  assert.equal(await r.exists(desc), true);
  const raw = await r.fetchManifestRaw('v1');
  assert.equal(raw.contentType, MT.ociManifest);
  await rejectsWith(r.fetchManifest('missing'), 'NOT_FOUND');
  await rejectsWith(r.resolve('missing'), 'NOT_FOUND');
  await rejectsWith((await session({ maxManifestBytes: 10 }).repository(parseReference(`${open.host}/team/app:v1`))).fetchManifest('v1'), 'CAP');
});

test('pushManifest refuses bytes that do not match the descriptor', async () => {
  const r = await session().repository(parseReference(`${open.host}/team/bad:v1`), { push: true });
  const bytes = Buffer.from('{"schemaVersion":2}');
  await rejectsWith(r.pushManifest({ mediaType: MT.ociManifest, digest: digestOf('other'), size: bytes.length }, bytes, 'v1'), 'VERIFY');
});

test('tags: an unknown repository is NOT_FOUND, a known one lists every tag', async () => {
  const s = session();
  await rejectsWith((await s.repository(parseReference(`${open.host}/nobody/here:v1`))).listTags(), 'NOT_FOUND');
  for (const t of ['a', 'b', 'c', 'd', 'e']) await pushArtifact(s, open.host, 'paged/app', t);
  assert.deepEqual((await (await s.repository(parseReference(`${open.host}/paged/app:a`))).listTags()).sort(), ['a', 'b', 'c', 'd', 'e']);
});

/**
 * distribution 2.8 ignores `n` and sends no `Link`; this proxy pages the real list the way newer
 * registries do (`n`, `last`, `Link: <…>; rel="next"`) and forwards everything else untouched.
 */
async function pagingProxy(upstream: string, linkOrigin?: string): Promise<{ host: string; pages: string[]; server: Server }> {
  const pages: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const up = httpRequest(`${upstream}${url.pathname}`, { method: req.method, headers: req.headers }, (ur) => {
      if (!url.pathname.endsWith('/tags/list') || ur.statusCode !== 200) {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
        return;
      }
      pages.push(url.search);
      void buffer(ur).then((body) => {
        const all = ((JSON.parse(body.toString()) as { tags: string[] }).tags).sort();
        const n = Number(url.searchParams.get('n') ?? all.length);
        const last = url.searchParams.get('last');
        const rest = last === null ? all : all.filter((t) => t > last);
        const page = rest.slice(0, n);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (rest.length > n) headers.link = `<${linkOrigin ?? ''}${url.pathname}?n=${n}&last=${page[page.length - 1]}>; rel="next"`;
        res.writeHead(200, headers).end(JSON.stringify({ name: 'x', tags: page }));
      });
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, pages, server };
}

test('tag listing follows Link pages (n=2 over 5 tags) and refuses a next page on another origin', async () => {
  const s = session();
  for (const t of ['a', 'b', 'c', 'd', 'e']) await pushArtifact(s, open.host, 'linked/app', t);
  const proxy = await pagingProxy(open.url);
  const tags = await (await pagedRepository(proxy.host, 'linked/app', 2)).listTags();
  assert.deepEqual(tags, ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(proxy.pages, ['?n=2', '?n=2&last=b', '?n=2&last=d']);

  const hostile = await pagingProxy(open.url, 'http://evil.example:1');
  const err = await rejectsWith((await pagedRepository(hostile.host, 'linked/app', 2)).listTags(), 'REGISTRY');
  assert.match(err.message, /another origin/);
  assert.equal(hostile.pages.length, 1);
});

test('cross-repository mount: 201 mounts without upload; a refused mount reuses its upload session', async () => {
  const s = session();
  const src = await s.repository(parseReference(`${open.host}/mount/src:v1`), { push: true });
  const dst = await s.repository(parseReference(`${open.host}/mount/dst:v1`), { push: true });
  const { desc, bytes } = blob('shared layer');
  await src.pushBlob(desc, bytes);
  await open.resetRequests();
  assert.equal(await dst.mountBlob(desc, 'mount/src'), true);
  assert.deepEqual((await open.requests()).map((q) => `${q.method} ${q.status}`), ['POST 201']);
  assert.equal(await dst.exists(desc), true);

  const lonely = blob('only local');
  assert.equal(await dst.mountBlob(lonely.desc, 'mount/nowhere'), false);
  await open.resetRequests();
  await dst.pushBlob(lonely.desc, lonely.bytes);
  assert.deepEqual((await open.requests()).map((q) => q.method), ['HEAD', 'PUT']);
  assert.deepEqual(await buffer(await dst.fetchBlob(lonely.desc)), lonely.bytes);
});

test('referrers: no API on distribution 2.8, so the referrers tag schema is read and filtered', async () => {
  const s = session();
  const subject = await pushArtifact(s, open.host, 'refs/app', 'v1');
  const r = await s.repository(parseReference(`${open.host}/refs/app:v1`), { push: true });
  assert.deepEqual(await r.referrers(subject.digest), []);
  const sig = await pushArtifact(s, open.host, 'refs/app', 'sig-holder', 'signature');
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MT.ociIndex,
    manifests: [{ ...sig, artifactType: 'application/vnd.example.sig' }, { ...subject, artifactType: 'application/vnd.example.sbom' }],
  }));
  const tag = `sha256-${subject.digest.slice('sha256:'.length)}`;
  await r.pushManifest({ mediaType: MT.ociIndex, digest: digestOf(index), size: index.length }, index, tag);
  assert.deepEqual((await r.referrers(subject.digest)).map((d) => d.digest), [sig.digest], 'the entry naming the subject itself is dropped');
  assert.deepEqual((await r.referrers(subject.digest, 'application/vnd.example.sig')).map((d) => d.digest), [sig.digest]);
});

test('htpasswd: the right password pushes and pulls; debug lines never show it', async () => {
  const sink = eventSink();
  const s = session({ creds: `alice:${PASSWORD}`, onEvent: sink.onEvent });
  const desc = await pushArtifact(s, locked.host, 'private/app', 'v1');
  assert.deepEqual((await (await s.repository(parseReference(`${locked.host}/private/app:v1`))).fetchManifest('v1')).descriptor, desc);
  const b64 = Buffer.from(`alice:${PASSWORD}`).toString('base64');
  const debug = sink.messages('debug');
  assert.ok(debug.length > 5);
  assert.ok(debug.some((l) => l.includes('authorization: Basic <redacted>')));
  for (const line of debug) assert.ok(!line.includes(PASSWORD) && !line.includes(b64), line);
});

test('htpasswd: a wrong password or none is UNAUTHORIZED with a login hint and no password in the message', async () => {
  const wrong = 'wrong-Pa55word';
  const err = await rejectsWith((await session({ creds: `alice:${wrong}` }).repository(parseReference(`${locked.host}/private/app:v1`))).resolve('v1'), 'UNAUTHORIZED');
  assert.equal(err.message, `credentials for ${locked.host} were rejected (from \`creds\`)`);
  assert.ok(err instanceof CredentialsRejectedError);
  assert.deepEqual(err.source, { kind: 'flag', flag: 'creds' });
  assert.ok(!err.message.includes(wrong));
  const missing = await rejectsWith((await session().repository(parseReference(`${locked.host}/private/app:v1`))).listTags(), 'UNAUTHORIZED');
  assert.equal(missing.message, `authentication required for ${locked.host}`);
  assert.equal(hintFor(missing), `run \`ocipack login ${locked.host}\` or pass --creds`);
  const resolver = session({ credentials: async (registry) => (registry === locked.host ? { username: 'alice', password: PASSWORD } : undefined) });
  assert.ok((await (await resolver.repository(parseReference(`${locked.host}/private/app:v1`))).listTags()).includes('v1'));
});

test('a closed port is a NETWORK error naming the host; an aborted signal is CANCELLED', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(srv.address() as AddressInfo).port}`;
  await new Promise<void>((r) => srv.close(() => r()));
  const err = await rejectsWith((await session().repository(parseReference(`${host}/x/y:v1`))).resolve('v1'), 'NETWORK');
  assert.match(err.message, new RegExp(`cannot reach ${host.replace(/\./g, '\\.')} \\(ECONNREFUSED\\)`));
  const ac = new AbortController();
  ac.abort();
  await rejectsWith((await session({ signal: ac.signal }).repository(parseReference(`${open.host}/x/y:v1`))).resolve('v1'), 'CANCELLED');
});

/** A CA and a leaf for 127.0.0.1 signed by it, made with openssl in `dir`. */
async function makeCerts(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const run = (args: string[]): Promise<unknown> => exec('openssl', args, { cwd: dir });
  await run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=ocipack test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
  await run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1',
    '-keyout', 'leaf.key', '-out', 'leaf.csr']);
  await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  await run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', 'ext.cnf', '-out', 'leaf.pem']);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'leaf.pem'), key: join(dir, 'leaf.key') };
}

test('TLS registry: an unknown CA is a TLS error (never a fallback to HTTP); --ca-file or --insecure-registry work', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-certs-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const certs = await makeCerts(dir);
  const tls = await startRegistry({ tls: { cert: certs.cert, key: certs.key } });
  after(() => tls.stop());
  const ref = parseReference(`${tls.host}/secure/app:v1`);
  const debug: string[] = [];
  const err = await rejectsWith((await session({ onEvent: (e) => e.type === 'debug' && debug.push(e.message) }).repository(ref)).resolve('v1'), 'TLS');
  assert.equal(hintFor(err), 'use --ca-file <pem> to trust a private CA');
  assert.ok(debug.length > 0 && debug.every((l) => !l.includes('http://')), debug.join('\n'));
  await rejectsWith((await session({ caFile: certs.ca }).repository(ref)).resolve('v1'), 'NOT_FOUND');
  const s = session({ caFile: certs.ca });
  const desc = await pushArtifact(s, tls.host, 'secure/app', 'v1');
  assert.deepEqual(await (await s.repository(ref)).resolve('v1'), desc);
  assert.deepEqual(await (await session({ insecureRegistry: true }).repository(ref)).resolve('v1'), desc);
  await rejectsWith((await session({ caFile: join(dir, 'missing.pem') }).repository(ref)).resolve('v1'), 'IO');
});
