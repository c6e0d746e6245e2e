/**
 * TLS and proxies end to end (issue 6 item 7, SPEC §2 and §6): the real registry serving HTTPS with an
 * openssl-made private CA, the real Debian tinyproxy between the built CLI and it (CONNECT), and the
 * plain-HTTP registry through the same proxy.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { freePort, startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { makeTestCa, type TestCa } from '../helpers/tls.js';
import { startTinyproxy, type RunningTinyproxy } from '../helpers/tinyproxy.js';
import { listing } from '../helpers/hostile.js';
import { pull } from '../../src/usecases/pull.js';

let ca: TestCa;
let otherCa: TestCa;
let tls: RunningRegistry;
let plain: RunningRegistry;
let proxy: RunningTinyproxy;
let src: string;

before(async () => {
  [ca, otherCa] = await Promise.all([makeTestCa('ocipack test CA'), makeTestCa('some other CA')]);
  [tls, plain, proxy] = await Promise.all([
    startRegistry({ tls: { cert: ca.cert, key: ca.key } }),
    startRegistry({ auth: 'none' }),
    startTinyproxy(),
  ]);
  src = await tempDir();
  await mkdir(join(src, 'deploy'));
  await writeFile(join(src, 'deploy/app.yaml'), 'kind: ConfigMap\nmetadata:\n  name: tls\n');
  const seeded = await ocipack(['push', `oci://${tls.host}/secure/app:v1`, '-f', src, '--ca-file', ca.ca]);
  assert.equal(seeded.code, 0, seeded.stderr);
});
after(async () => {
  await Promise.all([tls?.stop(), plain?.stop(), proxy?.stop()]);
  await Promise.all([ca?.cleanup(), otherCa?.cleanup()]);
});

/** Pull `ref` into a fresh directory with extra args and env; returns the result and the parent dir. */
async function pullInto(ref: string, args: string[], env: Record<string, string> = {}): Promise<CliResult & { parent: string; out: string }> {
  const parent = await tempDir();
  const out = join(parent, 'out');
  const r = await ocipack(['pull', ref, '-o', out, ...args], { env });
  return { ...r, parent, out };
}

async function assertPulled(out: string): Promise<void> {
  assert.equal(await readFile(join(out, 'deploy/app.yaml'), 'utf8'), 'kind: ConfigMap\nmetadata:\n  name: tls\n');
}

function assertTlsRefused(r: CliResult & { parent: string }, host: string): Promise<void> {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`✗ .*TLS certificate of ${host.replace(/\./g, '\\.')}( through proxy http://127\\.0\\.0\\.1:\\d+/)? not trusted \\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\\)`));
  assert.match(r.stderr, /hint: use --ca-file <pem> to trust a private CA/);
  return listing(r.parent).then((l) => assert.deepEqual(l, []));
}

test('TLS is verified by default: an unknown CA is refused, with no fallback to plain HTTP', async () => {
  const r = await pullInto(`oci://${tls.host}/secure/app:v1`, ['--debug']);
  await assertTlsRefused(r, tls.host);
  assert.ok(!r.stderr.includes(`http://${tls.host}`), 'never tried plain HTTP');
});

test('--ca-file trusts the private CA for this run (push and pull)', async () => {
  const pushed = await ocipack(['push', `oci://${tls.host}/secure/other:v1`, '-f', src, '--ca-file', ca.ca]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const r = await pullInto(`oci://${tls.host}/secure/other:v1`, ['--ca-file', ca.ca]);
  assert.equal(r.code, 0, r.stderr);
  await assertPulled(r.out);
});

test('--ca-file with the wrong CA is still refused', async () => {
  await assertTlsRefused(await pullInto(`oci://${tls.host}/secure/app:v1`, ['--ca-file', otherCa.ca]), tls.host);
});

test('NODE_EXTRA_CA_CERTS works for the CLI, alone and together with --ca-file for another CA', async () => {
  const alone = await pullInto(`oci://${tls.host}/secure/app:v1`, [], { NODE_EXTRA_CA_CERTS: ca.ca });
  assert.equal(alone.code, 0, alone.stderr);
  await assertPulled(alone.out);
  // --ca-file replaces Node's default list in the agent; the NODE_EXTRA_CA_CERTS CA must be added back.
  const both = await pullInto(`oci://${tls.host}/secure/app:v1`, ['--ca-file', otherCa.ca], { NODE_EXTRA_CA_CERTS: ca.ca });
  assert.equal(both.code, 0, both.stderr);
  await assertPulled(both.out);
});

test('the library reads NODE_EXTRA_CA_CERTS from the env it is given, not only from its own start-up', async () => {
  assert.notEqual(process.env.NODE_EXTRA_CA_CERTS, ca.ca, 'the test process itself does not trust the CA');
  const parent = await tempDir();
  await assert.rejects(pull({ reference: `${tls.host}/secure/app:v1`, output: join(parent, 'no'), env: {} }), { code: 'TLS' });
  const r = await pull({ reference: `${tls.host}/secure/app:v1`, output: join(parent, 'out'), env: { NODE_EXTRA_CA_CERTS: ca.ca } });
  assert.equal(r.output, join(parent, 'out'));
  await assertPulled(r.output);
});

test('--insecure-registry skips verification and says so on stderr', async () => {
  const r = await pullInto(`oci://${tls.host}/secure/app:v1`, ['--insecure-registry']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /⚠ TLS certificate verification is off and plain HTTP is allowed \(--insecure-registry\)/);
  await assertPulled(r.out);
});

test('HTTPS_PROXY: push and pull to the TLS registry go through tinyproxy with CONNECT, with --ca-file applied inside the tunnel', async () => {
  const env = { HTTPS_PROXY: proxy.url, NO_PROXY: '' };
  await proxy.resetRequests();
  const pushed = await ocipack(['push', `oci://${tls.host}/secure/proxied:v1`, '-f', src, '--ca-file', ca.ca], { env });
  assert.equal(pushed.code, 0, pushed.stderr);
  const r = await pullInto(`oci://${tls.host}/secure/proxied:v1`, ['--ca-file', ca.ca], env);
  assert.equal(r.code, 0, r.stderr);
  await assertPulled(r.out);
  const seen = await proxy.requests();
  assert.ok(seen.length >= 2, seen.join('\n'));
  assert.ok(seen.every((l) => l === `CONNECT ${tls.host}`), seen.join('\n'));
});

test('through the proxy an untrusted certificate is still refused, and --insecure-registry still works', async () => {
  const env = { HTTPS_PROXY: proxy.url, NO_PROXY: '' };
  await proxy.resetRequests();
  await assertTlsRefused(await pullInto(`oci://${tls.host}/secure/app:v1`, [], env), tls.host);
  assert.ok((await proxy.requests()).includes(`CONNECT ${tls.host}`));
  const ok = await pullInto(`oci://${tls.host}/secure/app:v1`, ['--insecure-registry'], env);
  assert.equal(ok.code, 0, ok.stderr);
});

test('HTTP_PROXY: the plain-HTTP registry is reached through tinyproxy too', async () => {
  const env = { HTTP_PROXY: proxy.url, NO_PROXY: '' };
  await proxy.resetRequests();
  const pushed = await ocipack(['push', `oci://${plain.host}/plain/app:v1`, '-f', src], { env });
  assert.equal(pushed.code, 0, pushed.stderr);
  const r = await pullInto(`oci://${plain.host}/plain/app:v1`, [], env);
  assert.equal(r.code, 0, r.stderr);
  await assertPulled(r.out);
  const seen = await proxy.requests();
  assert.ok(seen.some((l) => l === `CONNECT ${plain.host}` || l.startsWith(`GET http://${plain.host}/`)), seen.join('\n'));
  assert.ok((await plain.requests()).length > 0);
});

test('NO_PROXY is honoured: a listed host is reached directly', async () => {
  await proxy.resetRequests();
  const r = await pullInto(`oci://${tls.host}/secure/app:v1`, ['--ca-file', ca.ca], { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await proxy.requests(), []);
});

test('a proxy that is not there is a NETWORK failure: exit 1, one line, nothing written', async () => {
  const port = await freePort();
  const r = await pullInto(`oci://${tls.host}/secure/app:v1`, ['--ca-file', ca.ca], { HTTPS_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: '' });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('✗')).length, 1, r.stderr);
  assert.ok(r.stderr.includes(`cannot reach the proxy 127.0.0.1:${port} (HTTPS_PROXY) on the way to ${tls.host} (ECONNREFUSED)\n`), r.stderr);
  assert.ok(r.stderr.includes(`hint: check that the proxy at 127.0.0.1:${port} is running and HTTPS_PROXY/HTTP_PROXY name its host and port`), r.stderr);
  assert.doesNotMatch(r.stderr, /registry is running/, 'the registry is not the one that is down');
  assert.deepEqual(await listing(r.parent), []);
});

test('a proxy that cannot reach the registry is named as the proxy that refused the tunnel', async () => {
  const port = await freePort();
  const r = await pullInto(`oci://127.0.0.1:${port}/secure/app:v1`, [], { https_proxy: proxy.url, NO_PROXY: '' });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`the proxy 127\\.0\\.0\\.1:\\d+ \\(https_proxy\\) answered \\d{3} when asked for a tunnel to 127\\.0\\.0\\.1:${port}\\n`));
  assert.match(r.stderr, /hint: the proxy could not reach 127\.0\.0\.1:\d+ or may not connect there/);
  assert.doesNotMatch(r.stderr, /cancelled/);
});
