/**
 * `prune` against the real distribution registry (deletes enabled) and on a layout: keep-semver where
 * `latest` shares a version's manifest, protect-semver, keep-newer-than, delete-regex; a dry run changes
 * nothing and its plan is what --yes deletes; referrers, the fallback index and cosign tags go with their
 * subject; a registry answering 405 gets one clear error; a run stopped midway is finished by the next;
 * bad flags are exit 2 before any request; tag pages are consumed as they arrive (a stand-in tags endpoint).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/faultproxy.js';
import { startTagStandIn } from '../helpers/tagstandin.js';
import { startTokenRegistry } from '../helpers/tokenserver.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let proxy: FaultProxy;
let keys: string;
const PW = { COSIGN_PASSWORD: 'prune-test-pw' };
const OLD = { SOURCE_DATE_EPOCH: '1577836800' }; // 2020-01-01
const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);

interface Plan {
  dryRun: boolean;
  kept: Array<{ tag: string; digest: string; reason: string }>;
  deleted: Array<{ digest: string; tags: Array<{ tag: string; reason: string }>; attached: Array<{ digest: string; kind: string; tags: string[] }> }>;
}

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  proxy = await startFaultProxy({ upstream: reg.host });
  keys = await tempDir();
  assert.equal((await ocipack(['generate-key-pair'], { cwd: keys, env: PW })).code, 0);
});
after(async () => {
  await proxy?.close();
  await reg?.stop();
});

/** Push distinct content under `ref` (a registry ref, or `<dir>:<tag>` with layout); returns the digest. */
async function pushed(ref: string, opts: { layout?: boolean; env?: Record<string, string> } = {}): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'cm.yaml'), `kind: ConfigMap\nname: ${ref}\n`);
  const r = await ocipack(['push', ref, '-f', dir, '-o', 'json', ...(opts.layout ? ['--oci-layout'] : [])], { env: opts.env ?? {} });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { digest: string }).digest.replace(/^.*@/, '');
}

async function tagsOf(repo: string): Promise<string[]> {
  const r = await fetch(`${reg.url}/v2/${repo}/tags/list`);
  return ((await r.json()) as { tags: string[] | null }).tags?.sort() ?? [];
}

async function layoutTags(dir: string): Promise<string[]> {
  const r = await ocipack(['list', dir, '--oci-layout', '--all-tags', '-o', 'json']);
  return (JSON.parse(r.stdout) as Array<{ tag: string }>).map((e) => e.tag).filter((t) => t !== '').sort();
}

async function manifestStatus(repo: string, ref: string): Promise<number> {
  const r = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json' } });
  return r.status;
}

async function plan(args: string[]): Promise<Plan> {
  const r = await ocipack(['prune', ...args, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Plan;
}

const withoutMode = (p: Plan): Omit<Plan, 'dryRun'> & { manifestsDeleted?: number } => ({ ...p, dryRun: undefined, manifestsDeleted: undefined } as never);

test('keep-semver: latest shares a version\'s manifest, so that manifest stays; the dry run changes nothing and plans exactly what --yes deletes', async () => {
  const repo = 'prune/semver';
  const base = `oci://${reg.host}/${repo}`;
  const d100 = await pushed(`${base}:1.0.0`);
  const d110 = await pushed(`${base}:1.1.0`);
  await pushed(`${base}:1.2.0`);
  await pushed(`${base}:2.0.0`);
  await pushed(`${base}:dev`);
  assert.equal((await ocipack(['tag', `${base}:1.0.0`, '-t', 'latest'])).code, 0);
  await reg.resetRequests();
  const dry = await plan([base, '--keep-semver', '2']);
  assert.deepEqual((await reg.requests()).filter((q) => WRITES.has(q.method)), [], 'a dry run only reads');
  assert.equal(dry.dryRun, true);
  assert.deepEqual(dry.deleted.map((d) => [d.digest, d.tags.map((t) => t.tag)]), [[d110, ['1.1.0']]]);
  const v100 = dry.kept.find((k) => k.tag === '1.0.0');
  assert.equal(v100?.digest, d100);
  assert.match(v100?.reason ?? '', /not among the 2 highest versions, but its manifest stays: kept tag latest names it/);
  assert.deepEqual(dry.kept.map((k) => k.tag), ['2.0.0', '1.2.0', '1.0.0', 'latest', 'dev']);
  assert.deepEqual(await tagsOf(repo), ['1.0.0', '1.1.0', '1.2.0', '2.0.0', 'dev', 'latest']);

  const text = await ocipack(['prune', base, '--keep-semver', '2']);
  assert.match(text.stderr, /delete\s+1\.1\.0\s+sha256:[0-9a-f]{64}\s+not among the 2 highest versions/);
  assert.match(text.stderr, /✔ dry run: would delete 1 manifest\(s\) with 1 tag\(s\) and 0 attached manifest\(s\); 5 tag\(s\) kept; nothing changed \(add --yes to delete\)/);

  const real = await plan([base, '--keep-semver', '2', '--yes']);
  assert.equal(real.dryRun, false);
  assert.deepEqual(withoutMode(real), withoutMode(dry), 'the real run carries out the dry run\'s plan');
  assert.deepEqual(await tagsOf(repo), ['1.0.0', '1.2.0', '2.0.0', 'dev', 'latest']);
  assert.equal(await manifestStatus(repo, d110), 404);
  assert.equal(await manifestStatus(repo, 'latest'), 200);
});

test('protect-semver, keep-newer-than and delete-regex together: a keep rule always wins', async () => {
  const repo = 'prune/policy';
  const base = `oci://${reg.host}/${repo}`;
  for (const tag of ['0.9.0', '1.0.0', '1.5.0', 'pr-1', 'main']) await pushed(`${base}:${tag}`, { env: OLD });
  for (const tag of ['2.0.0', 'pr-2']) await pushed(`${base}:${tag}`);
  const args = [base, '--keep-semver', '1', '--protect-semver', '<2.0.0', '--keep-newer-than', '30d', '--delete-regex', '^pr-'];
  const dry = await plan(args);
  const reasons = Object.fromEntries(dry.kept.map((k) => [k.tag, k.reason]));
  assert.match(reasons['2.0.0'] ?? '', /among the 1 highest versions/);
  assert.match(reasons['1.5.0'] ?? '', /resolves protect-semver "<2.0.0" today/);
  assert.match(reasons['pr-2'] ?? '', /newer than keep-newer-than/);
  assert.equal(reasons.main, 'not a version');
  const going = Object.fromEntries(dry.deleted.flatMap((d) => d.tags.map((t) => [t.tag, t.reason])));
  assert.deepEqual(Object.keys(going).sort(), ['0.9.0', '1.0.0', 'pr-1']);
  assert.match(going['pr-1'] ?? '', /matches delete-regex; created 2020-01-01T00:00:00Z/);
  await plan([...args, '--yes']);
  assert.deepEqual(await tagsOf(repo), ['1.5.0', '2.0.0', 'main', 'pr-2']);
});

/** A version signed twice: a cosign bundle (a referrer, listed in the sha256-<hex> index on distribution 2.x) and a legacy .sig tag. */
async function signedPair(repo: string): Promise<{ base: string; old: string; hex: string; referrer: string }> {
  const base = `oci://${proxy.host}/${repo}`;
  const old = await pushed(`${base}:1.0.0`);
  await pushed(`${base}:2.0.0`);
  for (const extra of [[], ['--signature-format', 'legacy']]) {
    for (const tag of ['1.0.0', '2.0.0']) {
      const s = await ocipack(['sign', `${base}:${tag}`, '--key', join(keys, 'cosign.key'), ...extra], { env: PW });
      assert.equal(s.code, 0, s.stderr);
    }
  }
  const hex = old.slice(7);
  const index = await (await fetch(`${reg.url}/v2/${repo}/manifests/sha256-${hex}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } })).json() as { manifests: Array<{ digest: string }> };
  return { base, old, hex, referrer: index.manifests[0]!.digest };
}

test('deleting a manifest deletes its referrers, its sha256-<hex> fallback index and its cosign tags; the kept version keeps its own', async () => {
  const repo = 'prune/signed';
  const { base, old, hex, referrer } = await signedPair(repo);
  const dry = await plan([base, '--keep-semver', '1']);
  assert.equal(dry.deleted.length, 1);
  assert.deepEqual(dry.deleted[0]!.attached.map((a) => [a.kind, a.tags]).sort(), [['cosign', [`sha256-${hex}.sig`]], ['referrer', []], ['referrers-index', [`sha256-${hex}`]]].sort());
  assert.equal(dry.deleted[0]!.attached.at(-1)?.kind, 'referrers-index', 'the index goes after the referrers it lists');
  await plan([base, '--keep-semver', '1', '--yes']);
  const left = await tagsOf(repo);
  assert.ok(!left.some((t) => t.includes(hex)), left.join(' '));
  assert.equal(left.filter((t) => t.startsWith('sha256-')).length, 2, 'the kept version\'s index and .sig tag stay');
  assert.equal(await manifestStatus(repo, referrer), 404);
  assert.equal(await manifestStatus(repo, old), 404);
});

test('a prune stopped midway (the subject\'s DELETE fails after its referrers went) leaves a consistent repository; the next run finishes the plan', async () => {
  const repo = 'prune/interrupted';
  const { base, old, hex, referrer } = await signedPair(repo);
  proxy.script([{ method: 'DELETE', path: new RegExp(old), action: { status: 403, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"code":"DENIED","message":"stopped"}]}' } }]);
  const first = await ocipack(['prune', base, '--keep-semver', '1', '--yes']);
  proxy.script([]);
  assert.equal(first.code, 1, first.stderr);
  assert.deepEqual((await tagsOf(repo)).filter((t) => !t.startsWith('sha256-')), ['1.0.0', '2.0.0'], 'every version still tagged');
  assert.equal(await manifestStatus(repo, referrer), 404, 'referrers went first');
  const rest = await plan([base, '--keep-semver', '1']);
  assert.deepEqual(rest.deleted.map((d) => [d.digest, d.tags.map((t) => t.tag), d.attached.length]), [[old, ['1.0.0'], 0]]);
  const second = await ocipack(['prune', base, '--keep-semver', '1', '--yes']);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(await manifestStatus(repo, old), 404);
  const left = await tagsOf(repo);
  assert.deepEqual(left.filter((t) => !t.startsWith('sha256-')), ['2.0.0']);
  assert.ok(!left.some((t) => t.includes(hex)));
});

test('a registry that refuses deletes (405 UNSUPPORTED): one clear error naming where to delete instead; nothing deleted', async () => {
  const repo = 'prune/refuse';
  const base = `oci://${proxy.host}/${repo}`;
  await pushed(`${base}:1.0.0`);
  await pushed(`${base}:2.0.0`);
  proxy.script([{ method: 'DELETE', action: { status: 405, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}' } }]);
  const r = await ocipack(['prune', base, '--keep-semver', '1', '--yes']);
  proxy.script([]);
  assert.equal(r.code, 1, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('✗'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0]!, new RegExp(`${proxy.host} does not allow deletes through the registry API: it answered 405 \\(UNSUPPORTED\\)`));
  assert.match(r.stderr, /hint: .*storage\.delete\.enabled/);
  assert.deepEqual(await tagsOf(repo), ['1.0.0', '2.0.0']);
});

test('on a layout: keep-semver keeps latest\'s manifest; the signature of a deleted version goes with it; the dry run changes nothing and plans what --yes deletes', async () => {
  const dir = join(await tempDir(), 'layout');
  const digests: Record<string, string> = {};
  for (const tag of ['1.0.0', '1.5.0', '2.0.0']) digests[tag] = await pushed(`${dir}:${tag}`, { layout: true });
  assert.equal((await ocipack(['tag', `${dir}:1.0.0`, '--oci-layout', '-t', 'latest'])).code, 0);
  for (const tag of ['1.5.0', '2.0.0']) {
    const s = await ocipack(['sign', `${dir}:${tag}`, '--oci-layout', '--key', join(keys, 'cosign.key')], { env: PW });
    assert.equal(s.code, 0, s.stderr);
  }
  const index15 = `sha256-${digests['1.5.0']!.slice(7)}`;
  const index20 = `sha256-${digests['2.0.0']!.slice(7)}`;
  const all = ['1.0.0', '1.5.0', '2.0.0', 'latest', index15, index20].sort();
  assert.deepEqual(await layoutTags(dir), all);
  const dry = await plan([dir, '--oci-layout', '--keep-semver', '1']);
  assert.deepEqual(dry.deleted.map((d) => [d.tags.map((t) => t.tag), d.attached.map((a) => a.kind)]), [[['1.5.0'], ['referrer', 'referrers-index']]]);
  const referrer = dry.deleted[0]!.attached[0]!.digest;
  assert.deepEqual(await layoutTags(dir), all, 'the dry run changed nothing');
  const real = await plan([dir, '--oci-layout', '--keep-semver', '1', '--yes']);
  assert.deepEqual(withoutMode(real), withoutMode(dry));
  assert.deepEqual(await layoutTags(dir), ['1.0.0', '2.0.0', 'latest', index20].sort());
  for (const gone of [digests['1.5.0']!, referrer]) {
    await assert.rejects(readFile(join(dir, 'blobs', 'sha256', gone.slice(7))), /ENOENT/, `${gone} is gone from blobs/`);
  }
  assert.equal((await ocipack(['verify', `${dir}:2.0.0`, '--oci-layout', '--key', join(keys, 'cosign.pub')])).code, 0, 'the kept version still verifies');
});

test('with token auth: the delete scope the registry asks for on DELETE is fetched, and the prune completes', async () => {
  const t = await startTokenRegistry({ users: { alice: 'pw-Prune-1' } });
  try {
    const env = { HOME: await tempDir('ocipack-home-'), NODE_EXTRA_CA_CERTS: t.tokens.certFile };
    const creds = ['--creds', 'alice:pw-Prune-1'];
    const dir = await tempDir();
    for (const tag of ['1.0.0', '2.0.0']) {
      await writeFile(join(dir, 'a.yaml'), `v: ${tag}\n`);
      assert.equal((await ocipack(['push', `oci://${t.registry.host}/tok/app:${tag}`, '-f', dir, ...creds], { env })).code, 0);
    }
    const r = await ocipack(['prune', `oci://${t.registry.host}/tok/app`, '--keep-semver', '1', '--yes', ...creds], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(t.tokens.requests.some((q) => q.granted.includes('repository:tok/app:delete')), 'a token with the delete action was asked for');
    const left = await ocipack(['list', `oci://${t.registry.host}/tok/app`, '-o', 'json', ...creds], { env });
    assert.deepEqual((JSON.parse(left.stdout) as Array<{ tag: string }>).map((e) => e.tag), ['2.0.0']);
  } finally {
    await t.stop();
  }
});

test('bad flags are exit 2 before any request', async () => {
  const base = `oci://${proxy.host}/prune/bad`;
  const cases: Array<[string[], RegExp]> = [
    [[base], /say what to keep or delete: --keep-semver, --keep-regex, --keep-newer-than or --delete-regex/],
    [[base, '--keep-semver', 'two'], /--keep-semver must be a non-negative integer/],
    [[base, '--keep-regex', '('], /invalid regular expression for --keep-regex/],
    [[base, '--delete-regex', '[z-a]'], /invalid regular expression for --delete-regex/],
    [[base, '--keep-semver', '1', '--semver', 'not a range'], /invalid semver range "not a range" for --semver/],
    [[base, '--keep-semver', '1', '--protect-semver', 'foo'], /invalid semver range "foo" for --protect-semver/],
    [[base, '--keep-newer-than', '30 days'], /--keep-newer-than: invalid duration "30 days"/],
    [[base, '--keep-semver', '1', '--yes', '--dry-run'], /--yes and --dry-run contradict each other/],
    [['oci://Bad/Repo', '--keep-semver', '1'], /✗ /],
  ];
  const before = proxy.log.length;
  for (const [args, message] of cases) {
    const r = await ocipack(['prune', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.equal(proxy.log.length, before, 'no request reached the registry');
});

test('tag pages are consumed as they arrive: lookups of the first page start before the third page is asked for', async () => {
  const standIn = await startTagStandIn({
    name: 'big/app', count: 5000, tags: (i) => (i % 2 === 0 ? `1.0.${i}` : `b${i}`),
    manifestOf: (tag) => ({ key: tag, created: '2020-01-01T00:00:00Z' }),
  });
  try {
    const r = await ocipack(['prune', `oci://${standIn.host}/big/app`, '--keep-semver', '10', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const p = JSON.parse(r.stdout) as Plan;
    assert.equal(p.deleted.length, 2490);
    assert.equal(p.kept.length, 2510);
    const third = standIn.log.findIndex((l) => l.includes('/tags/list') && l.includes('last=b1999'));
    const firstLookup = standIn.log.findIndex((l) => l.startsWith('HEAD /v2/big/app/manifests/1.0.0'));
    assert.ok(third > 0 && firstLookup > 0 && firstLookup < third, `lookup at ${firstLookup}, third page at ${third}`);
    const list = await ocipack(['list', `oci://${standIn.host}/big/app`, '--filter-regex', '^1\\.0\\.(0|2)$', '-o', 'json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as Array<{ tag: string }>).map((e) => e.tag), ['1.0.2', '1.0.0']);
  } finally {
    await standIn.close();
  }
});
