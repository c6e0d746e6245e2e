/** tag, list and pull --semver against the real distribution registry (issue 4). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { list } from '../../src/usecases/list.js';
import { TAG_PAGE_SIZE } from '../../src/registry/tags.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let repo: string;
/** tag → manifest digest as push reported it. */
const digests: Record<string, string> = {};
const SIG_TAG = `sha256-${'c'.repeat(64)}.sig`;
const TAGS = ['v1.0.0', 'v1.2.0', 'v1.10.0', 'v2.0.0-rc.1', 'latest', SIG_TAG];

async function pushTag(tag: string): Promise<string> {
  const dir = await tempDir();
  await mkdir(join(dir, 'app'));
  await writeFile(join(dir, 'app/config.yaml'), `version: ${tag}\n`);
  const r = await ocipack(['push', `oci://${repo}:${tag}`, '--path', dir, '--source', 'https://example.com/app', '--revision', `rev-${tag}`, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { digest: string }).digest;
}

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  repo = `${reg.host}/team/app`;
  for (const tag of TAGS) digests[tag] = await pushTag(tag);
});
after(async () => {
  await reg?.stop();
});

test('list: newest semver first, then the rest; cosign signature tag hidden; flux table on stdout', async () => {
  const r = await ocipack(['list', `oci://${repo}`]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.deepEqual(lines[0]!.split('\t').map((s) => s.trim()), ['ARTIFACT', 'DIGEST', 'SOURCE', 'REVISION']);
  const rows = lines.slice(1).map((l) => l.split('\t').map((s) => s.trim()));
  const order = ['v2.0.0-rc.1', 'v1.10.0', 'v1.2.0', 'v1.0.0', 'latest'];
  assert.deepEqual(rows.map((row) => row[0]), order.map((t) => `${repo}:${t}`));
  for (const [i, t] of order.entries()) {
    assert.deepEqual(rows[i], [`${repo}:${t}`, digests[t], 'https://example.com/app', `rev-${t}`]);
  }
  assert.doesNotMatch(r.stdout, /\.sig/);
});

test('list -o json and yaml: the documented shape', async () => {
  const r = await ocipack(['list', `oci://${repo}`, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<Record<string, string>>;
  assert.equal(rows.length, 5);
  assert.deepEqual(Object.keys(rows[0]!).sort(), ['artifact', 'created', 'digest', 'revision', 'size', 'source', 'tag']);
  assert.equal(typeof rows[0]!.size, 'number', 'size: bytes of config and layers (added by issue 15)');
  assert.equal(rows[0]!.tag, 'v2.0.0-rc.1');
  assert.equal(rows[0]!.artifact, `${repo}:v2.0.0-rc.1`);
  assert.equal(rows[0]!.digest, digests['v2.0.0-rc.1']);
  assert.match(rows[0]!.created!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const y = await ocipack(['list', `oci://${repo}`, '--format', 'yaml']);
  assert.equal(y.code, 0, y.stderr);
  assert.match(y.stdout, /^- artifact: /m);
  assert.match(y.stdout, new RegExp(`^  tag: v1\\.10\\.0$`, 'm'));
});

test('list filters: semver range (prereleases only when named), regex, both together', async () => {
  const tagsOf = async (...flags: string[]): Promise<string[]> => {
    const r = await ocipack(['list', `oci://${repo}`, '-o', 'json', ...flags]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as Array<{ tag: string }>).map((x) => x.tag);
  };
  assert.deepEqual(await tagsOf('--filter-semver', '>=1.1.0'), ['v1.10.0', 'v1.2.0']);
  assert.deepEqual(await tagsOf('--filter-semver', '>=2.0.0-0'), ['v2.0.0-rc.1']);
  assert.deepEqual(await tagsOf('--filter-semver', '*'), ['v1.10.0', 'v1.2.0', 'v1.0.0']);
  assert.deepEqual(await tagsOf('--filter-regex', '^v1\\.[0-2]\\.'), ['v1.2.0', 'v1.0.0']);
  assert.deepEqual(await tagsOf('--filter-regex', 'sig$'), []);
  assert.deepEqual(await tagsOf('--filter-semver', '>=1.1.0', '--filter-regex', '10'), ['v1.10.0']);
});

test('list: a bad --filter-semver or --filter-regex is exit 2 with the parse error, before any request', async () => {
  await reg.resetRequests();
  const s = await ocipack(['list', `oci://${repo}`, '--filter-semver', 'not-a-range']);
  assert.equal(s.code, 2, s.stderr);
  assert.match(s.stderr, /✗ invalid semver range "not-a-range" for --filter-semver: Invalid comparator: not-a-range/);
  assert.equal(s.stdout, '');
  const x = await ocipack(['list', `oci://${repo}`, '--filter-regex', '(unclosed']);
  assert.equal(x.code, 2, x.stderr);
  assert.match(x.stderr, /✗ invalid regular expression for --filter-regex: .*Unterminated group/);
  const p = await ocipack(['pull', `oci://${repo}`, '--semver', '>>1', '-o', join(await tempDir(), 'out')]);
  assert.equal(p.code, 2, p.stderr);
  assert.match(p.stderr, /invalid semver range ">>1" for --semver/);
  assert.deepEqual(await reg.requests(), []);
});

test('list follows Link pagination and fetches every manifest once, a few at a time', async () => {
  const pages: string[] = [];
  const inFlight = { now: 0, max: 0 };
  const proxy = await proxyTo(reg.url, paginating(reg.url, pages, inFlight));
  try {
    await reg.resetRequests();
    const rows = await list({ reference: `oci://${proxy.host}/team/app`, env: {} });
    assert.deepEqual(rows.map((r) => r.tag), ['v2.0.0-rc.1', 'v1.10.0', 'v1.2.0', 'v1.0.0', 'latest']);
    assert.equal(rows[0]!.artifact, `${proxy.host}/team/app:v2.0.0-rc.1`);
    assert.equal(pages.length, 3, JSON.stringify(pages));
    assert.equal(pages[0], `?n=${TAG_PAGE_SIZE}`, 'list asks for its usual page size; the registry pages smaller');
    assert.ok(pages.slice(1).every((q) => q.includes('last=')), 'pages 2 and 3 come from the Link header');
    const manifests = (await reg.requests()).filter((q) => q.method === 'GET' && q.path.includes('/manifests/'));
    assert.equal(manifests.length, 5, 'one manifest GET per visible tag, none for the signature tag');
    assert.equal(inFlight.max, 4, 'DEFAULTS.concurrency (4) manifest fetches at once, not one by one and not all 5');
  } finally {
    await proxy.close();
  }
});

test('tag: same digest under new tags, no blob moved (registry access log), report on stderr', async () => {
  await reg.resetRequests();
  const r = await ocipack(['tag', `oci://${repo}:v1.2.0`, '-t', 'stable', '--tag', 'prod,v1.2', '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`✔ artifact tagged as ${repo}:stable`));
  assert.match(r.stderr, new RegExp(`✔ artifact tagged as ${repo}:v1\\.2\\n`));
  const out = JSON.parse(r.stdout) as { digest: string; tags: string[] };
  assert.equal(out.digest, digests['v1.2.0']);
  assert.deepEqual(out.tags, ['stable', 'prod', 'v1.2']);
  const reqs = await reg.requests();
  assert.deepEqual(reqs.filter((q) => q.path.includes('/blobs/')), [], 'no blob request at all');
  assert.equal(reqs.filter((q) => q.method === 'GET' && q.path.includes('/manifests/')).length, 1, 'manifest fetched once');
  assert.deepEqual(reqs.filter((q) => q.method === 'PUT').map((q) => q.path.replace(/^.*\/manifests\//, '')), ['stable', 'prod', 'v1.2']);
  for (const t of ['stable', 'prod', 'v1.2']) {
    const i = await ocipack(['inspect', `oci://${repo}:${t}`, '-o', 'json']);
    assert.equal(i.code, 0, i.stderr);
    assert.equal((JSON.parse(i.stdout) as { digest: string }).digest, digests['v1.2.0']);
  }
});

test('tag by digest, and tag of an index keeps the index digest', async () => {
  const r = await ocipack(['tag', `oci://${repo}@${digests['v1.0.0']}`, '-t', 'by-digest']);
  assert.equal(r.code, 0, r.stderr);
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digests['v1.0.0'], size: await manifestSize('v1.0.0'), platform: { os: 'linux', architecture: 'amd64' } }],
  }));
  const put = await fetch(`${reg.url}/v2/team/app/manifests/multi`, { method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: index });
  assert.equal(put.status, 201);
  const indexDigest = put.headers.get('docker-content-digest');
  const t = await ocipack(['tag', `oci://${repo}:multi`, '-t', 'multi-2', '--format', 'json']);
  assert.equal(t.code, 0, t.stderr);
  const out = JSON.parse(t.stdout) as { digest: string; mediaType: string };
  assert.equal(out.digest, indexDigest);
  assert.equal(out.mediaType, 'application/vnd.oci.image.index.v1+json');
  const raw = await fetch(`${reg.url}/v2/team/app/manifests/multi-2`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
  assert.equal(raw.headers.get('docker-content-digest'), indexDigest);
  assert.deepEqual(Buffer.from(await raw.arrayBuffer()), index);
});

test('tag: bad input is exit 2 without a request; a partial failure names the applied tags and exits 1', async () => {
  await reg.resetRequests();
  const none = await ocipack(['tag', `oci://${repo}:v1.0.0`]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /at least one --tag is required/);
  const bad = await ocipack(['tag', `oci://${repo}:v1.0.0`, '-t', 'ok,-bad']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid tag "-bad"/);
  assert.deepEqual(await reg.requests(), []);
  const missing = await ocipack(['tag', `oci://${repo}:no-such-tag`, '-t', 'x']);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /✗ .*no-such-tag/);

  // A proxy in front of the real registry that refuses the PUT of tag "b": "a" is applied, "c" never tried.
  const proxy = await proxyTo(reg.url, refusing((method, path) => method === 'PUT' && path.endsWith('/manifests/b')));
  try {
    const r = await ocipack(['tag', `oci://${proxy.host}/team/app:v1.0.0`, '-t', 'a,b,c']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /✔ artifact tagged as .*\/team\/app:a\n/);
    assert.match(r.stderr, /✗ tagging b failed \(applied: a\): /);
    assert.doesNotMatch(r.stderr, /tagged as .*:c/);
  } finally {
    await proxy.close();
  }
  const a = await fetch(`${reg.url}/v2/team/app/manifests/a`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(a.headers.get('docker-content-digest'), digests['v1.0.0']);
  const c = await fetch(`${reg.url}/v2/team/app/manifests/c`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(c.status, 404);
});

test('pull --semver pulls the highest matching tag: its manifest in one GET, the digest computed from its bytes', async () => {
  const out = join(await tempDir(), 'out');
  await reg.resetRequests();
  const r = await ocipack(['pull', `oci://${repo}`, '--semver', '1.x', '-o', out, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout) as { tag: string; digest: string; revision: string };
  assert.equal(info.tag, 'v1.10.0');
  assert.equal(info.digest, digests['v1.10.0']);
  assert.equal(info.revision, 'rev-v1.10.0');
  assert.equal(await readFile(join(out, 'app/config.yaml'), 'utf8'), 'version: v1.10.0\n');
  const reqs = await reg.requests();
  assert.deepEqual(reqs.filter((q) => q.path.includes('/manifests/')).map((q) => `${q.method} ${q.path.split('/').pop()}`), ['GET v1.10.0'], 'the chosen tag\'s manifest, once');

  const pre = await ocipack(['pull', `oci://${repo}`, '--semver', '>=2.0.0-rc.0', '-o', join(await tempDir(), 'o2'), '--format', 'json']);
  assert.equal(pre.code, 0, pre.stderr);
  assert.equal((JSON.parse(pre.stdout) as { tag: string }).tag, 'v2.0.0-rc.1');

  const nothing = await ocipack(['pull', `oci://${repo}`, '--semver', '>=3', '-o', join(await tempDir(), 'o3')]);
  assert.equal(nothing.code, 1);
  assert.match(nothing.stderr, /no tag of .* matches the semver range ">=3"/);
  const withTag = await ocipack(['pull', `oci://${repo}:v1.0.0`, '--semver', '1.x', '-o', join(await tempDir(), 'o4')]);
  assert.equal(withTag.code, 2);
  assert.match(withTag.stderr, /expected a repository without tag or digest/);
});

test('tag, list and pull --semver work on an --oci-layout directory', async () => {
  const layout = join(await tempDir(), 'store');
  const src = await tempDir();
  await writeFile(join(src, 'a.yaml'), 'a: 1\n');
  for (const t of ['v1.0.0', 'v1.1.0']) {
    const p = await ocipack(['push', `${layout}:${t}`, '--oci-layout', '--path', src, '--revision', `r-${t}`]);
    assert.equal(p.code, 0, p.stderr);
  }
  const t = await ocipack(['tag', `${layout}:v1.1.0`, '--oci-layout', '-t', 'latest']);
  assert.equal(t.code, 0, t.stderr);
  const l = await ocipack(['list', layout, '--oci-layout', '-o', 'json']);
  assert.equal(l.code, 0, l.stderr);
  const rows = JSON.parse(l.stdout) as Array<{ tag: string; digest: string; revision: string; artifact: string }>;
  assert.deepEqual(rows.map((r) => r.tag), ['v1.1.0', 'v1.0.0', 'latest']);
  assert.equal(rows[2]!.digest, rows[0]!.digest);
  assert.equal(rows[0]!.revision, 'r-v1.1.0');
  const out = join(await tempDir(), 'out');
  const p = await ocipack(['pull', layout, '--oci-layout', '--semver', '~1.0', '-o', out, '--format', 'json']);
  assert.equal(p.code, 0, p.stderr);
  assert.equal((JSON.parse(p.stdout) as { tag: string }).tag, 'v1.0.0');
});

async function manifestSize(tag: string): Promise<number> {
  const res = await fetch(`${reg.url}/v2/team/app/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  return (await res.arrayBuffer()).byteLength;
}

type Intercept = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** A plain HTTP proxy in front of the real registry; `intercept` answers some requests itself. */
async function proxyTo(upstream: string, intercept: Intercept): Promise<{ host: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void intercept(req, res).then((handled) => {
      if (handled) return;
      const fwd = request(new URL(req.url ?? '/', upstream), { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      req.pipe(fwd);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Answers 403 DENIED (a registry error body) to the requests `refuse` picks. */
function refusing(refuse: (method: string, path: string) => boolean): Intercept {
  return async (req, res) => {
    if (!refuse(req.method ?? '', req.url ?? '')) return false;
    req.resume();
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'refused by the test proxy' }] }));
    return true;
  };
}

/**
 * distribution 2.8 ignores `n` on the tags endpoint (pagination came in v3), so this proxy pages the
 * real registry's tag list itself: at most 2 tags after `last` (fewer than `n`, as a registry may send),
 * and a `Link: <...>; rel="next"` header.
 */
function paginating(upstream: string, pages: string[], inFlight: { now: number; max: number }): Intercept {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (req.method === 'GET' && url.pathname.includes('/manifests/')) {
      // Hold manifest GETs a moment so the client's concurrency shows in how many overlap.
      inFlight.max = Math.max(inFlight.max, ++inFlight.now);
      res.once('close', () => inFlight.now--);
      await new Promise((r) => setTimeout(r, 150));
      return false;
    }
    if (req.method !== 'GET' || !url.pathname.endsWith('/tags/list')) return false;
    pages.push(url.search);
    const all = ((await (await fetch(new URL(url.pathname, upstream))).json()) as { name: string; tags: string[] });
    const sorted = [...all.tags].sort();
    // A registry may send fewer tags than `n` asks for, with a Link to the rest: this one sends 2 per page.
    const n = Math.min(Number(url.searchParams.get('n') ?? sorted.length), 2);
    const last = url.searchParams.get('last');
    const from = last === null ? 0 : sorted.findIndex((t) => t > last);
    const page = from < 0 ? [] : sorted.slice(from, from + n);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (from >= 0 && from + n < sorted.length) headers.link = `<${url.pathname}?n=${n}&last=${encodeURIComponent(page[page.length - 1]!)}>; rel="next"`;
    res.writeHead(200, headers);
    res.end(JSON.stringify({ name: all.name, tags: page }));
    return true;
  };
}
