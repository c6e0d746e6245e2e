/**
 * promote (issue 27 item 1) through the built CLI against real distribution registries and layout
 * directories: the gate (a signed artifact promotes; an unsigned one with --key is exit 3 and writes
 * nothing), the signature and the attestation arrive and `verify` accepts them at the destination (same
 * repository: no blob moves; another repository: mounted; another registry; a layout and back), the dry
 * run's plan, the -o json audit record, an idempotent second run, a source tag moved after the resolve,
 * and a tag PUT that fails (fault proxy) leaving the destination untagged.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { startFaultProxy } from '../helpers/faultproxy.js';
import { getManifest, headManifest } from '../helpers/rawoci.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let reg2: Awaited<ReturnType<typeof startRegistry>>;
let keys: string;
const PW = { COSIGN_PASSWORD: 'promote-pw' };
const SBOM = { spdxVersion: 'SPDX-2.3', name: 'app', packages: [] };

before(async () => {
  [reg, reg2] = await Promise.all([startRegistry({ auth: 'none' }), startRegistry({ auth: 'none' })]);
  keys = await tempDir('ocipack-promote-keys-');
  assert.equal((await ocipack(['generate-key-pair'], { cwd: keys, env: PW })).code, 0);
  await writeFile(join(keys, 'sbom.json'), JSON.stringify(SBOM));
});
after(async () => {
  await Promise.all([reg?.stop(), reg2?.stop()]);
});

const pub = (): string => join(keys, 'cosign.pub');
let n = 0;

/** Push a fresh artifact to `<repo>:staging` on `reg`, signed and with an SPDX attestation unless `unsigned`. */
async function staged(repo: string, unsigned = false): Promise<{ ref: string; digest: string }> {
  const dir = await tempDir();
  await writeFile(join(dir, 'app.yaml'), `kind: ConfigMap # promote ${n++}\n`);
  const ref = `oci://${reg.host}/${repo}:staging`;
  const p = await ocipack(['push', ref, '-f', dir, '--source', 's', '--revision', 'r', '-o', 'json']);
  assert.equal(p.code, 0, p.stderr);
  const digest = (JSON.parse(p.stdout) as { digest: string }).digest;
  if (!unsigned) {
    const s = await ocipack(['sign', ref, '--key', join(keys, 'cosign.key')], { env: PW });
    assert.equal(s.code, 0, s.stderr);
    const a = await ocipack(['attest', ref, '--predicate', join(keys, 'sbom.json'), '--type', 'spdxjson', '--key', join(keys, 'cosign.key')], { env: PW });
    assert.equal(a.code, 0, a.stderr);
  }
  return { ref, digest };
}

async function promoteJson(args: string[]): Promise<{ code: number; json: any; stderr: string }> {
  const r = await ocipack(['promote', ...args, '-o', 'json']);
  return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

/** `verify` at `ref` with the key, for the signature and for the SPDX attestation: both must pass. */
async function verifiedAt(ref: string, extra: string[] = []): Promise<void> {
  const s = await ocipack(['verify', ref, ...extra, '--key', pub()]);
  assert.equal(s.code, 0, s.stderr);
  const a = await ocipack(['verify', ref, ...extra, '--key', pub(), '--attestation-type', 'spdxjson']);
  assert.equal(a.code, 0, a.stderr);
}

const uploads = (log: Array<{ method: string; path: string }>, repo: string) =>
  log.filter((l) => (l.method === 'POST' || l.method === 'PATCH' || l.method === 'PUT') && l.path.startsWith(`/v2/${repo}/blobs/uploads`));

test('same repository, staging → production: no blob moves, the tag is the only write; verify passes there; a second run is idempotent', async () => {
  const a = await staged('same/app');
  await reg.resetRequests();
  const r = await promoteJson([a.ref, `oci://${reg.host}/same/app:production`, '--key', pub()]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.digest, a.digest);
  assert.deepEqual(r.json.copied, { blobs: 0, referrers: 0, skipped: 0, bytes: 0 });
  assert.deepEqual(r.json.tagged, { tag: 'production', tags: ['production'], written: true });
  const writes = (await reg.requests()).filter((l) => l.method !== 'GET' && l.method !== 'HEAD');
  assert.deepEqual(writes.map((l) => `${l.method} ${l.path}`), ['PUT /v2/same/app/manifests/production']);
  assert.equal((await headManifest(reg.url, 'same/app', 'production')).digest, a.digest);
  assert.match(r.stderr, /✔ signature verified with key/);
  assert.match(r.stderr, /✔ promoted .*same\/app:staging@sha256:[0-9a-f]{64} to .*same\/app:production .*created tag production/);
  await verifiedAt(`oci://${reg.host}/same/app:production`);

  await reg.resetRequests();
  const again = await promoteJson([a.ref, `oci://${reg.host}/same/app:production`, '--key', pub()]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(again.json.tagged, { tag: 'production', tags: ['production'], previous: a.digest, written: false });
  assert.match(again.stderr, /tag production already names sha256:/);
  assert.deepEqual((await reg.requests()).filter((l) => l.method !== 'GET' && l.method !== 'HEAD'), [], 'nothing written the second time');
});

test('several destination tags in one promote (oras\'s :a,b,c): every tag names the verified digest, written after the copy', async () => {
  const a = await staged('multi/app');
  const r = await promoteJson([a.ref, `oci://${reg2.host}/multi/app:1.4.2,1.4,production`, '--key', pub()]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.tagged, { tag: '1.4.2', tags: ['1.4.2', '1.4', 'production'], written: true });
  for (const t of ['1.4.2', '1.4', 'production']) assert.equal((await headManifest(reg2.url, 'multi/app', t)).digest, a.digest, t);
  await verifiedAt(`oci://${reg2.host}/multi/app:1.4`);
  const bad = await ocipack(['promote', a.ref, `oci://${reg2.host}/multi/app:1.4,,x`, '--key', pub()]);
  assert.equal(bad.code, 2, bad.stderr);
});

test('another repository of the same registry: blobs mounted, signature and attestation copied; the -o json audit record', async () => {
  const a = await staged('mount/app');
  await reg.resetRequests();
  const r = await promoteJson([a.ref, `oci://${reg.host}/prod/app:production`, '--key', pub()]);
  assert.equal(r.code, 0, r.stderr);
  for (const k of ['source', 'destination', 'digest', 'verified', 'copied', 'tagged']) assert.ok(k in r.json, `audit record has ${k}`);
  assert.equal(r.json.source, `${reg.host}/mount/app:staging`);
  assert.equal(r.json.destination, `${reg.host}/prod/app:production`);
  assert.equal(r.json.url, `oci://${reg.host}/prod/app:production`);
  assert.equal(r.json.digest, a.digest);
  assert.equal(r.json.verified.policy, 'signature');
  assert.equal(r.json.verified.verified, true);
  assert.equal(r.json.verified.integrity.ok, true);
  assert.deepEqual(r.json.verified.signatures.filter((s: any) => s.verified).map((s: any) => s.key), [pub()]);
  assert.equal(r.json.copied.referrers, 2, 'the signature and the attestation');
  assert.ok(r.json.copied.blobs > 0);
  assert.deepEqual(r.json.tagged, { tag: 'production', tags: ['production'], written: true });
  const up = uploads(await reg.requests(), 'prod/app');
  assert.ok(up.length > 0);
  assert.ok(up.every((l) => l.method === 'POST' && l.path.includes('mount=sha256') && l.path.includes('from=mount%2Fapp')), `only mounts: ${up.map((l) => `${l.method} ${l.path}`).join(', ')}`);
  await verifiedAt(`oci://${reg.host}/prod/app:production`);
});

test('another registry, gated on the attestation; the tag is written after every referrer', async () => {
  const a = await staged('cross/app');
  await reg2.resetRequests();
  const r = await promoteJson([a.ref, `oci://${reg2.host}/cross/app`, '--key', pub(), '--attestation-type', 'spdxjson']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.verified.policy, 'attestation');
  assert.equal(r.json.verified.attestations[0].predicateType, 'https://spdx.dev/Document');
  assert.equal(r.json.verified.attestations[0].predicate, undefined, 'the audit record leaves predicates out');
  assert.equal(r.json.tagged.tag, 'staging', 'without a destination tag the source tag is kept');
  const manifestPuts = (await reg2.requests()).filter((l) => l.method === 'PUT' && l.path.includes('/manifests/'));
  assert.equal(manifestPuts.at(-1)?.path, '/v2/cross/app/manifests/staging', `the tag last: ${manifestPuts.map((l) => l.path).join(', ')}`);
  assert.equal(manifestPuts.filter((l) => l.path.endsWith('/manifests/staging')).length, 1);
  await verifiedAt(`oci://${reg2.host}/cross/app:staging`);
});

test('to a layout directory and from it to a registry: the digest, signature and attestation travel', async () => {
  const a = await staged('layout/app');
  const dir = join(await tempDir(), 'airgap');
  const r = await promoteJson([a.ref, `${dir}:v1`, '--to-oci-layout', '--key', pub()]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.destination, `${dir}:v1`);
  assert.equal(r.json.copied.referrers, 2);
  await verifiedAt(`${dir}:v1`, ['--oci-layout']);
  const within = await promoteJson([`${dir}:v1`, `${dir}:production`, '--from-oci-layout', '--to-oci-layout', '--key', pub()]);
  assert.equal(within.code, 0, within.stderr);
  assert.deepEqual(within.json.copied, { blobs: 0, referrers: 0, skipped: 0, bytes: 0 }, 'one layout: only the tag is written');
  await verifiedAt(`${dir}:production`, ['--oci-layout']);
  const back = await promoteJson([`${dir}:v1`, `oci://${reg2.host}/from-layout/app:production`, '--from-oci-layout', '--key', pub()]);
  assert.equal(back.code, 0, back.stderr);
  assert.equal(back.json.digest, a.digest);
  await verifiedAt(`oci://${reg2.host}/from-layout/app:production`);
});

test('unsigned source with --key: exit 3, nothing written at the destination (no tag, no manifest, no layout)', async () => {
  const a = await staged('unsigned/app', true);
  await reg2.resetRequests();
  const r = await promoteJson([a.ref, `oci://${reg2.host}/unsigned/app:production`, '--key', pub()]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /no signatures found for sha256:/);
  assert.match(r.stderr, /✗ not promoted: .*unsigned\/app:staging \(sha256:[0-9a-f]{64}\) did not verify: no signature found; nothing was written/);
  assert.equal(r.json.verified.verified, false);
  assert.equal(r.json.tagged.written, false);
  assert.deepEqual((await reg2.requests()).filter((l) => l.path.startsWith('/v2/unsigned/')), [], 'the destination was not even opened');
  assert.equal(await getManifest(reg2.url, 'unsigned/app', 'production'), undefined);
  assert.equal(await getManifest(reg2.url, 'unsigned/app', a.digest), undefined);
  const dir = join(await tempDir(), 'never');
  const l = await promoteJson([a.ref, `${dir}:production`, '--to-oci-layout', '--key', pub()]);
  assert.equal(l.code, 3, l.stderr);
  await assert.rejects(access(dir), 'no layout directory made');
  const plain = await promoteJson([a.ref, `oci://${reg2.host}/unsigned/app:production`]);
  assert.equal(plain.code, 0, `without a key the gate is integrity only: ${plain.stderr}`);
  assert.equal(plain.json.verified.policy, 'integrity');
});

test('--dry-run prints the plan (what would be copied, what the tag names now) and writes nothing', async () => {
  const a = await staged('dry/app');
  const other = await staged('dry/other');
  assert.equal((await ocipack(['copy', other.ref, `oci://${reg2.host}/dry/app:production`])).code, 0);
  await reg2.resetRequests();
  const r = await promoteJson([a.ref, `oci://${reg2.host}/dry/app:production`, '--key', pub(), '--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.dryRun, true);
  assert.ok(r.json.copied.blobs > 0);
  assert.equal(r.json.copied.referrers, 2);
  assert.deepEqual(r.json.tagged, { tag: 'production', tags: ['production'], previous: other.digest, written: false });
  assert.match(r.stderr, new RegExp(`dry run: would promote .* \\(\\d+ to write, .*\\); would move tag production from ${other.digest}; nothing changed`));
  assert.deepEqual((await reg2.requests()).filter((l) => l.method !== 'GET' && l.method !== 'HEAD'), []);
  assert.equal((await headManifest(reg2.url, 'dry/app', 'production')).digest, other.digest);
  const dir = join(await tempDir(), 'planned');
  const l = await promoteJson([a.ref, `${dir}:v1`, '--to-oci-layout', '--dry-run']);
  assert.equal(l.code, 0, l.stderr);
  assert.match(l.stderr, /would create tag v1; nothing changed/);
  await assert.rejects(access(dir), 'no layout directory made');
});

test('a tag PUT that fails leaves the destination untagged (everything else copied); the next run finishes', async () => {
  const a = await staged('cut/app');
  const proxy = await startFaultProxy({ upstream: reg2.host });
  try {
    proxy.script([{ method: 'PUT', path: /\/manifests\/production$/, action: { reset: true } }]);
    const r = await promoteJson([a.ref, `oci://${proxy.host}/cut/app:production`, '--key', pub()]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.json, undefined);
    assert.ok(proxy.log.some((l) => l.fault === 'reset'), 'the tag PUT was cut');
    assert.equal(await getManifest(reg2.url, 'cut/app', 'production'), undefined, 'no tag');
    assert.ok(await getManifest(reg2.url, 'cut/app', a.digest), 'the manifest itself arrived (by digest)');
    proxy.script([]);
    const again = await promoteJson([a.ref, `oci://${proxy.host}/cut/app:production`, '--key', pub()]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await headManifest(reg2.url, 'cut/app', 'production')).digest, a.digest);
    await verifiedAt(`oci://${reg2.host}/cut/app:production`);
  } finally {
    await proxy.close();
  }
});

test('the source tag is resolved once: a tag moved after the resolve does not sneak in', async () => {
  const a = await staged('moved/app');
  const b = await staged('moved/evil', true);
  const evil = (await getManifest(reg.url, 'moved/evil', b.digest))!;
  const proxy = await startFaultProxy({ upstream: reg.host });
  try {
    const moved = { status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': b.digest, 'content-length': String(evil.length) }, body: evil };
    proxy.script([
      { path: /\/manifests\/staging$/, times: 1, action: { setHeaders: {} } },
      { path: /\/manifests\/staging$/, action: moved },
    ]);
    const r = await promoteJson([`oci://${proxy.host}/moved/app:staging`, `oci://${reg2.host}/moved/app:production`, '--key', pub()]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.digest, a.digest);
    assert.equal((await headManifest(reg2.url, 'moved/app', 'production')).digest, a.digest);
    assert.equal(proxy.log.filter((l) => /\/manifests\/staging$/.test(l.path)).length, 1, 'the tag was read once');
  } finally {
    await proxy.close();
  }
});

test('bad input is exit 2 before any network call', async () => {
  const src = `oci://${reg.host}/bad/app:staging`;
  await reg.resetRequests();
  const cases: Array<[string[], RegExp]> = [
    [[src, `oci://${reg.host}/bad/app@sha256:${'a'.repeat(64)}`], /give the destination .* a tag, not a digest/],
    [[`oci://${reg.host}/bad/app@sha256:${'a'.repeat(64)}`, `oci://${reg.host}/bad/other`], /needs one \(the source names none\)/],
    [[src, `oci://${reg.host}/bad/app:prod`, '--certificate-identity', 'x'], /keyless verification needs/],
    [[src, `oci://${reg.host}/bad/app:prod`, '--key', join(keys, 'missing.pub')], /no such file/],
    [[src, `oci://${reg.host}/bad/app:prod`, '--attestation-type', 'spdxjson'], /--attestation-type needs --key/],
    [[src, join(keys, 'x'), '--to-oci-layout', '--to-creds', 'u:p'], /--to-creds needs a registry destination/],
  ];
  for (const [args, msg] of cases) {
    const r = await ocipack(['promote', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
  }
  assert.deepEqual(await reg.requests(), []);
});

test('a signature lookup that could not answer is exit 1, not "unsigned", and nothing is written', async () => {
  const a = await staged('unlooked/app', true);
  const proxy = await startFaultProxy({ upstream: reg.host });
  try {
    proxy.script([{ method: 'GET', path: new RegExp(`/manifests/sha256-${a.digest.slice(7)}$`), action: { status: 503 } }]);
    await reg2.resetRequests();
    const r = await promoteJson([`oci://${proxy.host}/unlooked/app:staging`, `oci://${reg2.host}/unlooked/app:production`, '--key', pub()]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /could not look for every signature of sha256:[0-9a-f]{64}, and none found verified: referrers-tag \(503/);
    assert.deepEqual(await reg2.requests(), [], 'the destination was not opened');
  } finally {
    await proxy.close();
  }
});

test('library: promote() resolves to the typed record; a refused promotion rejects with PromotionRefusedError carrying it', async () => {
  const { promote, PromotionRefusedError } = await import('../../src/index.js');
  const a = await staged('lib/app');
  const ok = await promote({ source: a.ref, destination: `oci://${reg2.host}/lib/app:production`, key: pub(), attestationType: 'spdxjson' });
  assert.equal(ok.digest, a.digest);
  assert.equal(ok.verified.policy, 'attestation');
  assert.equal(ok.tagged.written, true);
  const b = await staged('lib/unsigned', true);
  const err = await promote({ source: b.ref, destination: `oci://${reg2.host}/lib/unsigned:production`, key: pub() }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof PromotionRefusedError, String(err));
  assert.equal(err.code, 'VERIFY');
  assert.equal(err.result.digest, b.digest);
  assert.equal(err.result.verified.verified, false);
  assert.equal(await getManifest(reg2.url, 'lib/unsigned', 'production'), undefined);
});
