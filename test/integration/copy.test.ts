/**
 * copy against two real registries and layout directories: registry → layout → second registry keeps
 * the digest (the air-gap path), skopeo reads what copy writes, one registry mounts instead of
 * transferring, existing blobs are skipped, and --include-referrers brings signatures along
 * (OCI referrers through the tag schema, since distribution 2.8 has no referrers API, and cosign's
 * `.sig` tag). Referrers are put in place with plain HTTP calls, not with ocipack.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir, tempLeft } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { startFaultProxy } from '../helpers/faultproxy.js';
import { digestOf, HandLayout } from '../helpers/handlayout.js';

const exec = promisify(execFile);
let reg: Awaited<ReturnType<typeof startRegistry>>;
let reg2: Awaited<ReturnType<typeof startRegistry>>;
let locked: Awaited<ReturnType<typeof startRegistry>>;
const LOCKED_PASSWORD = 'copy-Pa55';

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  reg2 = await startRegistry({ auth: 'none' });
  locked = await startRegistry({ auth: 'htpasswd', users: { dana: LOCKED_PASSWORD } });
});
after(async () => {
  await reg?.stop();
  await reg2?.stop();
  await locked?.stop();
});

/** Pushes a small Flux artifact with ocipack and returns its digest. */
async function pushArtifact(ref: string, content: string, extra: string[] = []): Promise<string> {
  const src = await tempDir();
  await writeFile(join(src, 'app.yaml'), content);
  const r = await ocipack(['push', ref, '--path', src, '--reproducible', '--source', 's', ...extra, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { digest: string }).digest;
}

async function manifestAt(url: string, repo: string, ref: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${url}/v2/${repo}/manifests/${ref}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
  });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

interface CopyJson { digest: string; tag: string; copied: number; skipped: number; referrers: number; destination: string }

async function copyJson(args: string[]): Promise<CopyJson> {
  const r = await ocipack(['copy', ...args, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as CopyJson;
}

test('registry → layout → second registry keeps the digest; skopeo reads the layout', async () => {
  const digest = await pushArtifact(`oci://${reg.host}/air/app:v1.2.3`, 'kind: ConfigMap\n');
  const layout = join(await tempDir(), 'transfer');
  const a = await copyJson([`oci://${reg.host}/air/app:v1.2.3`, layout, '--to-oci-layout']);
  assert.equal(a.digest, digest);
  assert.equal(a.tag, 'v1.2.3', 'the source tag is kept when the destination names none');
  assert.equal(a.copied, 3);
  const { stdout } = await exec('skopeo', ['inspect', '--raw', `oci:${layout}:v1.2.3`], { encoding: 'buffer' });
  assert.equal(digestOf(stdout), digest);
  const viaSkopeo = join(await tempDir(), 'skopeo');
  await exec('skopeo', ['copy', '--preserve-digests', `oci:${layout}:v1.2.3`, `oci:${viaSkopeo}:x`]);
  assert.equal(digestOf((await exec('skopeo', ['inspect', '--raw', `oci:${viaSkopeo}:x`], { encoding: 'buffer' })).stdout), digest);

  const b = await copyJson([`${layout}:v1.2.3`, `oci://${reg2.host}/internal/app:prod`, '--from-oci-layout']);
  assert.equal(b.digest, digest);
  assert.equal(b.tag, 'prod');
  const m = await manifestAt(reg2.url, 'internal/app', 'prod');
  assert.equal(m.status, 200);
  assert.equal(digestOf(m.bytes), digest);
  const out = join(await tempDir(), 'out');
  const pulled = await ocipack(['pull', `${reg2.host}/internal/app:prod`, '-o', out]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(await readFile(join(out, 'app.yaml'), 'utf8'), 'kind: ConfigMap\n');
});

test('on one registry, blobs are mounted across repositories, not transferred', async () => {
  const digest = await pushArtifact(`${reg.host}/mount/src:v1`, 'mount: me\n');
  await reg.resetRequests();
  const r = await ocipack(['copy', `${reg.host}/mount/src:v1`, `${reg.host}/mount/dst:v1`, '--verbose']);
  assert.equal(r.code, 0, r.stderr);
  const reqs = await reg.requests();
  const mounts = reqs.filter((q) => q.method === 'POST' && q.path.includes('mount=') && q.path.includes('from=mount%2Fsrc'));
  assert.equal(mounts.length, 2, JSON.stringify(reqs));
  assert.ok(mounts.every((q) => q.status === 201));
  assert.equal(reqs.filter((q) => q.method === 'PUT' && q.path.includes('/blobs/uploads/')).length, 0, 'no blob data sent');
  assert.equal(reqs.filter((q) => q.method === 'GET' && q.path.includes('/blobs/')).length, 0, 'no blob data read');
  assert.equal(digestOf((await manifestAt(reg.url, 'mount/dst', 'v1')).bytes), digest);
});

test('blobs the destination already has are skipped', async () => {
  await pushArtifact(`${reg.host}/skip/app:one`, 'same: content\n', ['--revision', 'r1']);
  await pushArtifact(`${reg.host}/skip/app:two`, 'same: content\n', ['--revision', 'r2']);
  const first = await copyJson([`${reg.host}/skip/app:one`, `${reg2.host}/skip/app:one`]);
  assert.equal(first.copied, 3);
  await reg2.resetRequests();
  const second = await copyJson([`${reg.host}/skip/app:two`, `${reg2.host}/skip/app:two`]);
  assert.deepEqual([second.copied, second.skipped], [1, 2], 'only the manifest is written; layer and config exist');
  const reqs = await reg2.requests();
  assert.equal(reqs.filter((q) => q.path.includes('/blobs/uploads/')).length, 0, JSON.stringify(reqs));
  const again = await copyJson([`${reg.host}/skip/app:two`, `${reg2.host}/skip/app:two`]);
  assert.equal(again.copied, 1);
});

/** A signature-like referrer of `subject` in repo (referrers tag schema), and a cosign `.sig` tag. */
async function attachReferrers(repo: string, subject: { digest: string; size: number }): Promise<{ referrer: string; sig: string }> {
  const layout = new HandLayout(join(await tempDir(), 'refs'));
  const empty = await layout.blob('application/vnd.oci.empty.v1+json', '{}');
  const payload = await layout.blob('application/vnd.dev.sigstore.bundle.v0.3+json', '{"fake":"bundle"}');
  const referrer = await layout.manifest('application/vnd.oci.image.manifest.v1+json', {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    config: empty, layers: [payload],
    subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject.digest, size: subject.size },
  });
  const hex = subject.digest.slice(7);
  await layout.manifest('application/vnd.oci.image.index.v1+json', {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: referrer.mediaType, digest: referrer.digest, size: referrer.size, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }],
  }, `sha256-${hex}`);
  const sigLayer = await layout.blob('application/vnd.dev.cosign.simplesigning.v1+json', '{"critical":{}}');
  const sigConfig = await layout.blob('application/vnd.oci.image.config.v1+json', '{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]}}');
  const sig = await layout.manifest('application/vnd.oci.image.manifest.v1+json', {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: sigConfig,
    layers: [{ ...sigLayer, annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' } }],
  }, `sha256-${hex}.sig`);
  await layout.pushHttp(reg.url, repo);
  return { referrer: referrer.digest, sig: sig.digest };
}

test('--include-referrers carries signatures through a layout to another registry', async () => {
  const digest = await pushArtifact(`${reg.host}/signed/app:v1`, 'signed: yes\n');
  const subject = await manifestAt(reg.url, 'signed/app', 'v1');
  const { referrer, sig } = await attachReferrers('signed/app', { digest, size: subject.bytes.length });
  const hex = digest.slice(7);

  const layout = join(await tempDir(), 'signed');
  const a = await copyJson([`${reg.host}/signed/app:v1`, layout, '--to-oci-layout', '--include-referrers']);
  assert.equal(a.referrers, 2);
  const { stdout: tagList } = await exec('skopeo', ['inspect', '--raw', `oci:${layout}:sha256-${hex}`]);
  assert.ok(tagList.includes(referrer), 'the layout lists the referrer in its tag-schema index');
  assert.equal(digestOf((await exec('skopeo', ['inspect', '--raw', `oci:${layout}:sha256-${hex}.sig`], { encoding: 'buffer' })).stdout), sig);

  const b = await copyJson([`${layout}:v1`, `${reg2.host}/signed/app:v1`, '--from-oci-layout', '--include-referrers']);
  assert.equal(b.digest, digest);
  assert.equal(b.referrers, 2);
  assert.equal(digestOf((await manifestAt(reg2.url, 'signed/app', referrer)).bytes), referrer);
  assert.equal(digestOf((await manifestAt(reg2.url, 'signed/app', `sha256-${hex}.sig`)).bytes), sig);
  const index = JSON.parse((await manifestAt(reg2.url, 'signed/app', `sha256-${hex}`)).bytes.toString()) as { manifests: { digest: string; artifactType?: string }[] };
  assert.deepEqual(index.manifests.map((m) => [m.digest, m.artifactType]), [[referrer, 'application/vnd.dev.sigstore.bundle.v0.3+json']]);

  const plain = await copyJson([`${reg.host}/signed/app:v1`, `${reg2.host}/unsigned/app:v1`]);
  assert.equal(plain.referrers, 0);
  assert.equal((await manifestAt(reg2.url, 'unsigned/app', `sha256-${hex}.sig`)).status, 404);
  assert.equal((await manifestAt(reg2.url, 'unsigned/app', referrer)).status, 404);
});

test('bad copy input: usage errors exit 2 before any request, missing artifacts exit 1', async () => {
  await reg.resetRequests();
  const usage: Array<[string[], RegExp]> = [
    [['copy', `${reg.host}/a:v1`], /missing required argument 'destination'/],
    [['copy', `${reg.host}/A:v1`, `${reg.host}/b:v1`], /invalid reference/],
    [['copy', `${reg.host}/a:v1`, `${reg.host}/b:bad tag`], /invalid reference/],
    [['copy', `${reg.host}/a:v1`, `${reg.host}/b:v1`, '--concurrency', 'x'], /--concurrency must be a non-negative integer/],
    [['copy', `${reg.host}/a:v1`, `${reg.host}/b:v1`, '--concurrency', '0'], /--concurrency must be a positive integer/],
  ];
  for (const [args, message] of usage) {
    const r = await ocipack(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.deepEqual(await reg.requests(), []);
  const missing = await ocipack(['copy', `${reg.host}/nothing/here:v1`, `${reg2.host}/x:v1`]);
  assert.equal(missing.code, 1, missing.stderr);
  const noLayout = await ocipack(['copy', join(await tempDir(), 'absent'), `${reg2.host}/x:v1`, '--from-oci-layout']);
  assert.equal(noLayout.code, 2, noLayout.stderr);
  assert.match(noLayout.stderr, /does not exist/);
});

test('a copied layout works offline with --oci-layout: list, tag, inspect, verify, diff, pull', async () => {
  const src = await tempDir();
  await writeFile(join(src, 'app.yaml'), 'offline: true\n');
  const pushed = await ocipack(['push', `${reg.host}/offline/app:v1`, '-f', src, '--source', 's', '--revision', 'main@sha1:1234', '-o', 'json']);
  assert.equal(pushed.code, 0, pushed.stderr);
  const digest = (JSON.parse(pushed.stdout) as { digest: string }).digest;
  const layout = join(await tempDir(), 'offline');
  await copyJson([`${reg.host}/offline/app:v1`, layout, '--to-oci-layout']);
  const run = (args: string[]) => ocipack([...args, '--oci-layout']);
  const tagged = await run(['tag', `${layout}:v1`, '-t', 'stable']);
  assert.equal(tagged.code, 0, tagged.stderr);
  const listed = await run(['list', layout, '--format', 'json']);
  assert.equal(listed.code, 0, listed.stderr);
  const rows = JSON.parse(listed.stdout) as Array<{ tag: string; digest: string; revision: string }>;
  assert.deepEqual(rows.map((r) => [r.tag, r.digest, r.revision]).sort(), [['stable', digest, 'main@sha1:1234'], ['v1', digest, 'main@sha1:1234']]);
  const inspected = await run(['inspect', `${layout}:stable`, '-o', 'json']);
  assert.equal(inspected.code, 0, inspected.stderr);
  assert.equal((JSON.parse(inspected.stdout) as { digest: string }).digest, digest);
  const verified = await run(['verify', `${layout}:v1`]);
  assert.equal(verified.code, 0, verified.stderr);
  assert.equal((await run(['diff', `${layout}:v1`, '--path', src])).code, 0);
  await writeFile(join(src, 'app.yaml'), 'offline: changed\n');
  const changed = await run(['diff', `${layout}:v1`, '--path', src]);
  assert.equal(changed.code, 1, changed.stderr);
  assert.match(changed.stdout, /changed app\.yaml/);
  const out = join(await tempDir(), 'out');
  assert.equal((await run(['pull', `${layout}:stable`, '-o', out])).code, 0);
  assert.equal(await readFile(join(out, 'app.yaml'), 'utf8'), 'offline: true\n');
});

test('registry → registry streams each blob (no temp copy); an upload broken midway is retried by fetching the blob from the source again', async () => {
  const src = await tempDir();
  await writeFile(join(src, 'big.bin'), randomBytes(6 * 1024 * 1024));
  const pushed = await ocipack(['push', `oci://${reg.host}/stream/app:v1`, '--path', src, '-o', 'json']);
  assert.equal(pushed.code, 0, pushed.stderr);
  const digest = (JSON.parse(pushed.stdout) as { digest: string }).digest;
  const from = await startFaultProxy({ upstream: reg.host });
  const to = await startFaultProxy({ upstream: reg2.host });
  try {
    from.script([]);
    const layer = (JSON.parse((await manifestAt(reg.url, 'stream/app', 'v1')).bytes.toString()) as { layers: Array<{ digest: string }> }).layers[0]!.digest;
    to.script([{ method: 'PUT', path: new RegExp(`/blobs/uploads/.*digest=${layer.replace(':', '(:|%3A)')}`), times: 1, action: { resetRequestAfter: 1024 * 1024 } }]);
    const tmp = await tempDir('ocipack-copy-tmp-');
    const r = await ocipack(['copy', `oci://${from.host}/stream/app:v1`, `oci://${to.host}/stream/app:v1`, '--format', 'json'], { env: { TMPDIR: tmp } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as CopyJson).digest, digest);
    assert.ok(to.log.some((l) => l.fault === 'resetRequestAfter'), 'the first upload was broken');
    const layerGets = from.log.filter((l) => l.method === 'GET' && l.path.includes(`/blobs/${layer}`));
    assert.equal(layerGets.length, 2, 'the big blob was read from the source twice: once streamed, once for the retry');
    assert.deepEqual(await tempLeft(tmp), [], 'nothing spooled to a temp file');
    const copied = await manifestAt(reg2.url, 'stream/app', 'v1');
    assert.equal(copied.status, 200);
    assert.equal(digestOf(copied.bytes), digest);
  } finally {
    await from.close();
    await to.close();
  }
});

test('one Connection for both sides: --creds is read once per registry, not once per side', async () => {
  const creds = `dana:${LOCKED_PASSWORD}`;
  await pushArtifact(`oci://${locked.host}/once/src:v1`, 'kind: Secret\n', ['--creds', creds]);
  const r = await ocipack(['copy', `oci://${locked.host}/once/src:v1`, `oci://${locked.host}/once/dst:v1`, '--creds', creds, '--debug']);
  assert.equal(r.code, 0, r.stderr);
  const lookups = r.stderr.split('\n').filter((l) => l.includes(`credentials for ${locked.host} from --creds`));
  assert.equal(lookups.length, 1, r.stderr);
  const copied = await ocipack(['inspect', `oci://${locked.host}/once/dst:v1`, '--creds', creds]);
  assert.equal(copied.code, 0, copied.stderr);
});

test('a copy that runs out of time says so once: one deadline for the run, whichever side it stopped', async () => {
  await pushArtifact(`oci://${reg.host}/slow/app:v1`, 'kind: Job\n');
  const from = await startFaultProxy({ upstream: reg.host });
  try {
    from.script([{ method: 'GET', path: /\/blobs\/sha256:/, action: { stall: true } }]);
    const r = await ocipack(['copy', `oci://${from.host}/slow/app:v1`, `oci://${reg2.host}/slow/app:v1`, '--timeout', '1s']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /✗ copy failed: timed out after 1s reading the body of GET [^\n]*\/blobs\/sha256:[0-9a-f]{64}\n {2}hint: raise the deadline with --timeout/);
    assert.equal(r.stderr.match(/timed out|cancelled/g)?.length, 1, r.stderr);
  } finally {
    await from.close();
  }
});
