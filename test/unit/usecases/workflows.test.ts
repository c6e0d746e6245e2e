/**
 * The use-cases that move and retire artifacts, run in-process on OCI layout directories (real file stores,
 * no registry): promote (verified with a key and copied with its signature; refused without a signature —
 * PromotionRefusedError, nothing written; a dry run writes nothing), prune (the plan, `yes` deleting the
 * manifests and the signatures that exist only for them; a rerun has nothing left), mirror (a second run
 * skips everything) and copy (every tag listed, referrers along).
 */
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OciLayoutStore } from '../../../src/content/layout.js';
import { OcipackError } from '../../../src/core/errors.js';
import { referrersTag } from '../../../src/oci/digest.js';
import { copy } from '../../../src/usecases/copy.js';
import { generateKeyPair } from '../../../src/usecases/keys.js';
import { mirror } from '../../../src/usecases/mirror.js';
import { promote, PromotionRefusedError } from '../../../src/usecases/promote.js';
import { prune } from '../../../src/usecases/prune.js';
import { push } from '../../../src/usecases/push.js';
import { sign } from '../../../src/usecases/sign.js';
import { eventSink } from '../../helpers/fakes.js';

const PW = 'workflows-pw';
let work: string;
let keys: { privateKeyPath: string; publicKeyPath: string };

/** Push a directory holding one file named after `tag` to the layout `dir` under `tag`; returns the digest. */
async function pushed(dir: string, tag: string): Promise<string> {
  const src = join(work, `src-${tag}`);
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'cm.yaml'), `kind: ConfigMap\nname: ${tag}\n`);
  const r = await push({ reference: `${dir}:${tag}`, ociLayout: true, path: src, env: {} });
  return r.digest.replace(/^.*@/, '');
}

/** Sign `dir:tag` with the key: a cosign 3 bundle referrer, or with `legacy` cosign 2's `sha256-<hex>.sig` tag. */
async function signed(dir: string, tag: string, legacy = false): Promise<void> {
  await sign({ reference: `${dir}:${tag}`, ociLayout: true, key: keys.privateKeyPath, password: PW, env: {}, ...(legacy ? { signatureFormat: 'legacy' as const } : {}) });
}

async function tagsIn(dir: string): Promise<string[]> {
  return (await (await OciLayoutStore.open(dir, { create: false })).listTags()).sort();
}

after(() => rm(work, { recursive: true, force: true }));

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

// made here, not with scratchDir: an `after` registered inside a top-level `before` runs when that hook ends
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'ocipack-workflows-'));
  keys = await generateKeyPair({ dir: work, password: PW, env: {} });
});

describe('promote between layouts', () => {
  let staging: string;
  let v1: string;
  before(async () => {
    staging = join(work, 'staging');
    v1 = await pushed(staging, 'v1');
    await pushed(staging, 'v2');
    await pushed(staging, 'v3');
    await signed(staging, 'v1');
    await signed(staging, 'v3', true);
  });

  it('verifies with the key, copies the manifest with its signature, and writes the tag last', async () => {
    const prod = join(work, 'prod');
    const sink = eventSink();
    const r = await promote({ source: `${staging}:v1`, destination: `${prod}:production,prod-1`, fromOciLayout: true, toOciLayout: true, key: keys.publicKeyPath, env: {}, onEvent: sink.onEvent });
    assert.equal(r.digest, v1);
    assert.equal(r.verified.verified, true);
    assert.equal(r.verified.policy, 'signature');
    assert.deepEqual(r.tagged, { tag: 'production', tags: ['production', 'prod-1'], written: true });
    assert.ok(r.copied.blobs >= 3, `blobs ${r.copied.blobs}`);
    assert.ok(r.copied.referrers >= 1, 'the signature travels along');
    const dst = await OciLayoutStore.open(prod, { create: false });
    assert.equal((await dst.resolve('production')).digest, v1);
    assert.equal((await dst.resolve('prod-1')).digest, v1);
    assert.ok(sink.messages('step').some((m) => m.startsWith('promoting ')));

    // promoted again: the tag already names it and is not written again; the blobs are there; the previous digest is recorded
    const again = await promote({ source: `${staging}:v1`, destination: `${prod}:production`, fromOciLayout: true, toOciLayout: true, key: keys.publicKeyPath, env: {} });
    assert.equal(again.tagged.written, false);
    assert.equal(again.tagged.previous, v1);
    assert.ok(again.copied.skipped >= 2, JSON.stringify(again.copied));
  });

  it('a legacy cosign signature (a .sig tag) is verified and promoted with its tag', async () => {
    const prod = join(work, 'prod-legacy');
    const r = await promote({ source: `${staging}:v3`, destination: `${prod}:production`, fromOciLayout: true, toOciLayout: true, key: keys.publicKeyPath, env: {} });
    assert.equal(r.verified.verified, true);
    assert.ok((await tagsIn(prod)).includes(`${referrersTag(r.digest)}.sig`));
  });

  it('an unsigned artifact is refused with the audit record; nothing is written at the destination', async () => {
    const prod = join(work, 'prod-refused');
    const err = await promote({ source: `${staging}:v2`, destination: `${prod}:production`, fromOciLayout: true, toOciLayout: true, key: keys.publicKeyPath, env: {} })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PromotionRefusedError, String(err));
    assert.equal(err.code, 'VERIFY');
    assert.match(err.message, /no signature found; nothing was written/);
    assert.equal(err.result.verified.verified, false);
    assert.equal(err.result.tagged.written, false);
    assert.equal(await exists(prod), false);
  });

  it('a dry run verifies and counts, and writes nothing', async () => {
    const prod = join(work, 'prod-dry');
    const r = await promote({ source: `${staging}:v1`, destination: `${prod}:production`, fromOciLayout: true, toOciLayout: true, key: keys.publicKeyPath, env: {}, dryRun: true });
    assert.equal(r.dryRun, true);
    assert.equal(r.verified.verified, true);
    assert.ok(r.copied.blobs >= 3);
    assert.equal(r.tagged.written, false);
    assert.equal(await exists(prod), false);
  });

  it('without a key: integrity only; within one layout only the tag is written', async () => {
    const r = await promote({ source: `${staging}:v2`, destination: `${staging}:stable`, fromOciLayout: true, toOciLayout: true, env: {} });
    assert.equal(r.verified.policy, 'integrity');
    assert.deepEqual(r.copied, { blobs: 0, referrers: 0, skipped: 0, bytes: 0 });
    assert.equal(r.tagged.written, true);
    assert.equal((await (await OciLayoutStore.open(staging, { create: false })).resolve('stable')).digest, r.digest);
  });

  it('bad input is a usage error before any I/O', async () => {
    const cases = [
      { source: `${staging}:v1`, destination: `${work}/x@sha256:${'a'.repeat(64)}` },
      { source: `${staging}@${v1}`, destination: `${work}/x` },
      { source: `${staging}:v1`, destination: `${work}/x:p`, fromCreds: 'u:p' },
    ];
    for (const c of cases) {
      await assert.rejects(promote({ ...c, fromOciLayout: true, toOciLayout: true, env: {} }), (e: unknown) => e instanceof OcipackError && e.code === 'USAGE', JSON.stringify(c));
    }
  });
});

describe('prune on a layout', () => {
  let repo: string;
  let old: string;
  let middle: string;
  before(async () => {
    repo = join(work, 'prune');
    old = await pushed(repo, '1.0.0');
    middle = await pushed(repo, '1.1.0');
    await pushed(repo, '1.2.0');
    await pushed(repo, 'main');
    await signed(repo, '1.0.0');
    await signed(repo, '1.1.0', true);
  });

  it('a dry run plans and deletes nothing; yes deletes the plan with the signatures; a rerun has nothing left', async () => {
    const before = await tagsIn(repo);
    assert.equal(before.length, 6, before.join(' ')); // four tags, the bundle's fallback index tag, the legacy .sig tag
    const seen: string[] = [];
    const plan = await prune({ reference: repo, ociLayout: true, keepSemver: 1, env: {}, onPlan: (p) => seen.push(p.repository) });
    assert.equal(plan.dryRun, true);
    assert.equal(seen.length, 1);
    assert.equal(plan.scanned, 6);
    assert.deepEqual(plan.kept.map((k) => k.tag).sort(), ['1.2.0', 'main']);
    assert.deepEqual(plan.deleted.flatMap((d) => d.tags.map((t) => t.tag)).sort(), ['1.0.0', '1.1.0']);
    const signedOne = plan.deleted.find((d) => d.digest === old)!;
    assert.deepEqual(signedOne.attached.map((a) => a.kind), ['referrer', 'referrers-index']);
    const legacyOne = plan.deleted.find((d) => d.digest === middle)!;
    assert.deepEqual(legacyOne.attached.map((a) => [a.kind, a.tags]), [['cosign', [`${referrersTag(middle)}.sig`]]]);
    assert.equal(plan.manifestsDeleted, 0);
    assert.deepEqual(await tagsIn(repo), before);

    const done = await prune({ reference: repo, ociLayout: true, keepSemver: 1, yes: true, env: {} });
    assert.equal(done.dryRun, false);
    assert.equal(done.manifestsDeleted, 5); // two subjects, the bundle, its fallback index, the .sig manifest
    assert.deepEqual(await tagsIn(repo), ['1.2.0', 'main']);
    const store = await OciLayoutStore.open(repo, { create: false });
    assert.equal(await store.exists({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: signedOne.attached[0]!.digest, size: 1 }), false);

    const rerun = await prune({ reference: repo, ociLayout: true, keepSemver: 1, yes: true, env: {} });
    assert.deepEqual(rerun.deleted, []);
    assert.equal(rerun.manifestsDeleted, 0);
  });

  it('bad options are usage errors', async () => {
    for (const o of [{ concurrency: 0, keepSemver: 1 }, {}, { keepSemver: -1 }]) {
      await assert.rejects(prune({ reference: repo, ociLayout: true, env: {}, ...o }), (e: unknown) => e instanceof OcipackError && e.code === 'USAGE');
    }
    await assert.rejects(prune({ reference: 'oci://ghcr.io/org/app', keepSemver: 1, yes: true, env: {} }), /ghcr\.io does not allow deletes/);
  });
});

describe('mirror and copy between layouts', () => {
  let src: string;
  before(async () => {
    src = join(work, 'mirror-src');
    await pushed(src, '1.0.0');
    await pushed(src, '2.0.0');
    await signed(src, '2.0.0');
  });

  it('mirror copies the chosen tags with referrers; a second run skips everything', async () => {
    const text = `- source: ./mirror-src\n  destination: ./mirror-dst\n  semver: ">=2.0.0"\n  includeReferrers: true\n`;
    const file = join(work, 'mirror.yaml');
    const dry = await mirror({ file, text, dryRun: true, env: {} });
    assert.deepEqual(dry.records.map((r) => [r.tag, r.status]), [['2.0.0', 'would-copy']]);
    assert.equal(await exists(join(work, 'mirror-dst')), false);
    const first = await mirror({ file, text, env: {} });
    assert.equal(first.failed, 0);
    assert.deepEqual(first.records.map((r) => [r.tag, r.status]), [['2.0.0', 'copied']]);
    assert.ok(first.records[0]!.referrers >= 1);
    assert.ok(first.records[0]!.bytes > 0);
    const second = await mirror({ file, text, env: {} });
    // a layout destination too: the manifest and its signature, already there and tagged, are not written again
    assert.deepEqual(second.records.map((r) => [r.tag, r.status, r.bytes, r.referrers]), [['2.0.0', 'skipped', 0, 0]]);
    assert.ok((await tagsIn(join(work, 'mirror-dst'))).includes('2.0.0'));
  });

  it('a missing source fails its entry, not the run; a mirror file that is not there is a usage error', async () => {
    const text = `- source: ./nowhere\n  destination: ./mirror-dst2\n  tags: [v1]\n`;
    const r = await mirror({ file: join(work, 'm2.yaml'), text, env: {} });
    assert.equal(r.failed, 1);
    assert.equal(r.records[0]!.status, 'failed');
    await assert.rejects(mirror({ file: join(work, 'absent.yaml'), env: {} }), (e: unknown) => e instanceof OcipackError && e.code === 'USAGE' && /no such file/.test(e.message));
    await assert.rejects(mirror({ file: 'x.yaml', text, repositories: 0, env: {} }), (e: unknown) => e instanceof OcipackError && e.code === 'USAGE');
  });

  it('copy writes every tag listed and the referrers along', async () => {
    const dst = join(work, 'copy-dst');
    const r = await copy({ source: `${src}:2.0.0`, destination: `${dst}:a,b`, fromOciLayout: true, toOciLayout: true, includeReferrers: true, env: {} });
    assert.ok(r.referrers >= 1);
    const store = await OciLayoutStore.open(dst, { create: false });
    assert.equal((await store.resolve('a')).digest, (await store.resolve('b')).digest);
    const tags = await tagsIn(dst);
    assert.ok(tags.some((t) => t.startsWith('sha256-')), tags.join(' '));
  });
});
