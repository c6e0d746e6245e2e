/**
 * What a one-shot push and pull of a small artifact cost the registry (issue 26, SPEC §6 "few round
 * trips, few connections"): the exact requests and the TCP connections, counted by the bench's relay
 * (bench/tcpcount.ts) in front of the real registry: anonymous plain HTTP, token auth, and TLS.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { TokenCache } from '../../src/auth/cache.js';
import { discard } from '../../src/http/body.js';
import { RegistryClient } from '../../src/registry/client.js';
import { tcpCounter, type TcpCounter } from '../../bench/tcpcount.js';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { makeTestCa, type TestCa } from '../helpers/tls.js';
import { startTokenRegistry, type TokenRegistry } from '../helpers/tokenserver.js';

const USERS = { alice: 'alice-Pa55word!' };
let plain: RunningRegistry;
let secure: RunningRegistry;
let tokens: TokenRegistry;
let ca: TestCa;
let src: string;
const relays: TcpCounter[] = [];

before(async () => {
  ca = await makeTestCa();
  [plain, secure, tokens] = await Promise.all([
    startRegistry(),
    startRegistry({ tls: { cert: ca.cert, key: ca.key } }),
    startTokenRegistry({ users: USERS, grant: (user, _repo, asked) => (user === 'alice' ? asked : asked.filter((a) => a === 'pull')) }),
  ]);
  src = await tempDir();
  await mkdir(join(src, 'apps'));
  for (let i = 0; i < 20; i++) await writeFile(join(src, 'apps', `cm-${i}.yaml`), `kind: ConfigMap\nmetadata:\n  name: cm-${i}\n`);
});
after(async () => {
  await Promise.all(relays.map((r) => r.close()));
  await Promise.all([plain?.stop(), secure?.stop(), tokens?.stop(), ca?.cleanup()]);
});

/** A relay in front of `reg`, counting from now. */
async function relayTo(reg: { host: string }): Promise<TcpCounter> {
  const relay = await tcpCounter(Number(reg.host.split(':')[1]));
  relays.push(relay);
  return relay;
}

async function ok(r: Promise<CliResult>): Promise<CliResult> {
  const done = await r;
  assert.equal(done.code, 0, done.stderr);
  return done;
}

/** A push of `src` to a new repository and a pull of it, each counted on its own. */
async function pushThenPull(relay: TcpCounter, repo: string, extra: string[] = [], env: Record<string, string> = {}) {
  const ref = `oci://${relay.host}/${repo}:v1`;
  relay.take();
  await ok(ocipack(['push', ref, '--path', src, '--source', 'test', '--revision', 'r1', ...extra], { env }));
  const push = relay.take();
  await ok(ocipack(['pull', ref, '--output', join(await tempDir(), 'out'), ...extra], { env }));
  const pull = relay.take();
  return { push, pull };
}

/** Request lines without digests and upload ids, the parallel blob requests sorted (they leave together). */
function shape(requests: string[]): string[] {
  return requests.map((r) => r.replace(/sha256:[0-9a-f]{64}/, '<digest>').replace(/uploads\/[^/?]+\?.*$/, 'uploads/<id>'));
}

const PUSH = (repo: string): string[] => [
  `HEAD /v2/${repo}/blobs/<digest>`, `HEAD /v2/${repo}/blobs/<digest>`,
  `POST /v2/${repo}/blobs/uploads/`, `POST /v2/${repo}/blobs/uploads/`,
  `PUT /v2/${repo}/blobs/uploads/<id>`, `PUT /v2/${repo}/blobs/uploads/<id>`,
];

test('anonymous plain-HTTP registry: a push is 8 requests on 2 connections, a pull 2 on 1 (plus the TLS probe: the manifest fetched by tag, its digest computed from its bytes), no /v2/ ping', async () => {
  const relay = await relayTo(plain);
  const { push, pull } = await pushThenPull(relay, 'rt/anon');
  const repo = 'rt/anon';
  assert.deepEqual(shape(push.requests), [`GET /v2/${repo}/manifests/v1`, ...PUSH(repo), `PUT /v2/${repo}/manifests/v1`]);
  // the loopback TLS probe (SPEC §2: HTTPS first), then one connection per blob uploading in parallel
  assert.ok(push.connections <= 3, `push: ${push.connections} TCP connections`);
  assert.deepEqual(shape(pull.requests), [`GET /v2/${repo}/manifests/v1`, `GET /v2/${repo}/blobs/<digest>`]);
  assert.equal(pull.connections, 2, 'the TLS probe, then one kept-alive connection (opened beside the probe, taken by the first request)');
});

test('token auth: the first request\'s 401 teaches the challenge (one token fetch per command), no /v2/ ping', async () => {
  const relay = await relayTo(tokens.registry);
  const home = await tempDir('ocipack-home-');
  const before = tokens.tokens.requests.length;
  const { push, pull } = await pushThenPull(relay, 'rt/token', ['--creds', `alice:${USERS.alice}`], { HOME: home, NODE_EXTRA_CA_CERTS: tokens.tokens.certFile });
  const repo = 'rt/token';
  assert.deepEqual(shape(push.requests), [`GET /v2/${repo}/manifests/v1`, `GET /v2/${repo}/manifests/v1`, ...PUSH(repo), `PUT /v2/${repo}/manifests/v1`]);
  assert.ok(push.connections <= 3, `push: ${push.connections} TCP connections`);
  assert.deepEqual(shape(pull.requests), [`GET /v2/${repo}/manifests/v1`, `GET /v2/${repo}/manifests/v1`, `GET /v2/${repo}/blobs/<digest>`]);
  assert.equal(pull.connections, 2);
  assert.equal(tokens.tokens.requests.length - before, 2, 'one token fetch for the push, one for the pull');
});

test('TLS registry on loopback: the probe, then one kept-alive connection for a pull', async () => {
  const relay = await relayTo(secure);
  const { push, pull } = await pushThenPull(relay, 'rt/tls', ['--ca-file', ca.ca]);
  // + the plain connection opened beside the early probe, closed unused once the probe finds TLS
  assert.ok(push.connections <= 4, `push: ${push.connections} TCP connections`);
  assert.equal(pull.connections, 3);
  // the registry offers h2 (ALPN): the pull goes through undici's HTTP/2 client, which the CLI bundle loads
  // only on such a connection (scripts/bundle.mjs) — loaded here, and the pull lands
  const preload = join(await tempDir(), 'loaded.cjs');
  await writeFile(preload, "process.on('exit', () => require('node:fs').writeSync(2, `\\nhttp2 loaded: ${process.moduleLoadList.includes('NativeModule http2')}\\n`));\n");
  const out = join(await tempDir(), 'out');
  const r = await ocipack(['pull', `oci://${relay.host}/rt/tls:v1`, '--output', out, '--ca-file', ca.ca], { env: { NODE_OPTIONS: `--require ${preload}` } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\nhttp2 loaded: true\n/);
});

test('requests sent together before any answer: the first makes the contact, the others wait for its challenge (one 401, one token)', async () => {
  const relay = await relayTo(tokens.registry);
  const dispatcher = new Agent({ connect: { ca: [await readFile(tokens.tokens.certFile, 'utf8')] } });
  try {
    const client = new RegistryClient({ host: relay.host, http: async () => ({ dispatcher }), credential: async () => ({ username: 'alice', password: USERS.alice }), cache: new TokenCache() });
    const before = tokens.tokens.requests.length;
    relay.take();
    const answers = await Promise.all(['a', 'b', 'c'].map((tag) => client.send({ method: 'HEAD', target: `/v2/rt/together/manifests/${tag}`, scopes: ['repository:rt/together:pull'] })));
    await Promise.all(answers.map((r) => discard(r.body)));
    assert.deepEqual(answers.map((r) => r.status), [404, 404, 404]);
    const { requests } = relay.take();
    assert.equal(requests.length, 4, `the first request twice (anonymous, then with the token), the others once: ${requests.join(', ')}`);
    assert.equal(tokens.tokens.requests.length - before, 1, 'one token fetch');
  } finally {
    await dispatcher.close();
  }
});
