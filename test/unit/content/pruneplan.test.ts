/**
 * planPrune over an in-memory store: which tags each policy keeps (and why), which manifests go with which
 * tags, a kept tag holding a deleted version's manifest, keep rules beating delete rules, ages read from
 * the created annotation, and what goes with a deleted manifest (referrers deepest first, cosign tags, the
 * fallback index) — while a referrer that is tagged itself stays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planPrune, type PrunePlan } from '../../../src/content/pruneplan.js';
import { OcipackError } from '../../../src/core/errors.js';
import type { Descriptor } from '../../../src/oci/descriptor.js';
import { referrersTag } from '../../../src/oci/digest.js';
import { parseRetention, type RetentionOptions } from '../../../src/oci/retention.js';
import { MemoryTarget } from '../../helpers/fakes.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const DAY = 24 * 3600 * 1000;
const INDEX = 'application/vnd.oci.image.index.v1+json';

/** A manifest per tag (distinct unless `same` names the tag whose manifest it shares), with an optional created time. */
function store(tags: Record<string, { created?: string; same?: string } | null>): MemoryTarget {
  const t = new MemoryTarget();
  for (const [tag, o] of Object.entries(tags)) {
    if (o?.same) {
      t.manifests.set(tag, t.manifests.get(o.same)!);
      continue;
    }
    t.addManifest({ schemaVersion: 2, layers: [], annotations: { name: tag, ...(o?.created ? { 'org.opencontainers.image.created': o.created } : {}) } }, tag);
  }
  return t;
}

async function plan(t: MemoryTarget, o: RetentionOptions): Promise<PrunePlan> {
  return planPrune(t, parseRetention(o), { concurrency: 2, now: NOW });
}

const keptTags = (p: PrunePlan): string[] => p.kept.map((k) => k.tag).sort();
const deletedTags = (p: PrunePlan): string[] => p.deleted.flatMap((d) => d.tags.map((x) => x.tag)).sort();
const reasonOf = (p: PrunePlan, tag: string): string | undefined =>
  p.kept.find((k) => k.tag === tag)?.reason ?? p.deleted.flatMap((d) => d.tags).find((x) => x.tag === tag)?.reason;

describe('planPrune: the policy over tag names', () => {
  const cases: Array<{ name: string; tags: Parameters<typeof store>[0]; policy: RetentionOptions; kept: string[]; deleted: string[]; reasons?: Record<string, RegExp> }> = [
    {
      name: 'keep-semver N keeps the N highest versions and every non-version tag',
      tags: { '1.0.0': null, '1.1.0': null, 'v1.2.0': null, latest: null },
      policy: { keepSemver: 2 },
      kept: ['1.1.0', 'latest', 'v1.2.0'], deleted: ['1.0.0'],
      reasons: { '1.0.0': /not among the 2 highest versions/, latest: /not a version/, 'v1.2.0': /among the 2 highest/ },
    },
    {
      name: 'keep-semver with a range prunes only inside it',
      tags: { '0.9.0': null, '1.0.0': null, '1.1.0': null, '2.0.0': null },
      policy: { keepSemver: 1, semver: '>=1.0.0 <2.0.0' },
      kept: ['0.9.0', '1.1.0', '2.0.0'], deleted: ['1.0.0'],
      reasons: { '0.9.0': /a version outside ">=1.0.0 <2.0.0"/, '1.1.0': /in ">=1.0.0 <2.0.0"/ },
    },
    {
      name: 'keep-semver 0 deletes every version',
      tags: { '1.0.0': null, '2.0.0': null, main: null },
      policy: { keepSemver: 0 },
      kept: ['main'], deleted: ['1.0.0', '2.0.0'],
    },
    {
      name: 'keep-regex keeps the matching versions',
      tags: { '1.0.0': null, '1.0.1': null, '2.0.0-stable': null },
      policy: { keepRegex: 'stable$' },
      kept: ['2.0.0-stable'], deleted: ['1.0.0', '1.0.1'],
      reasons: { '1.0.0': /a version not matching keep-regex/, '2.0.0-stable': /matches keep-regex/ },
    },
    {
      name: 'delete-regex deletes non-version tags it names, nothing else',
      tags: { 'pr-1': null, 'pr-22': null, main: null, '1.0.0': null },
      policy: { deleteRegex: '^pr-' },
      kept: ['1.0.0', 'main'], deleted: ['pr-1', 'pr-22'],
      reasons: { 'pr-1': /matches delete-regex/, '1.0.0': /no rule for versions/ },
    },
    {
      name: 'protect-semver keeps the tag a range resolves to today',
      tags: { '1.0.0': null, '1.0.1': null, '1.1.0': null },
      policy: { keepSemver: 1, protectSemver: ['~1.0.0'] },
      kept: ['1.0.1', '1.1.0'], deleted: ['1.0.0'],
      reasons: { '1.0.1': /protect-semver "~1.0.0"/ },
    },
    {
      name: 'a keep rule beats a delete rule',
      tags: { '1.0.0': null, '1.1.0': null, 'pr-1': null },
      policy: { keepSemver: 1, deleteRegex: '^(1\\.|pr-)' },
      kept: ['1.1.0'], deleted: ['1.0.0', 'pr-1'],
      reasons: { '1.0.0': /matches delete-regex/ },
    },
    {
      name: 'a kept tag naming a deleted version\'s manifest keeps the manifest',
      tags: { '1.0.0': null, '1.1.0': null, stable: { same: '1.0.0' } },
      policy: { keepSemver: 1 },
      kept: ['1.0.0', '1.1.0', 'stable'], deleted: [],
      reasons: { '1.0.0': /but its manifest stays: kept tag stable names it/ },
    },
    {
      name: 'keep-newer-than: by the created annotation; none readable is kept',
      tags: { '1.0.0': { created: '2026-01-01T00:00:00Z' }, '1.1.0': { created: '2026-05-31T00:00:00Z' }, '1.2.0': null, '1.3.0': { created: 'yesterday' } },
      policy: { keepNewerThanMs: 7 * DAY },
      kept: ['1.1.0', '1.2.0', '1.3.0'], deleted: ['1.0.0'],
      reasons: { '1.0.0': /created 2026-01-01T00:00:00Z/, '1.1.0': /newer than keep-newer-than/, '1.2.0': /no readable created annotation/ },
    },
    {
      name: 'keep-newer-than with keep-semver: an old version outside the N highest goes',
      tags: { '1.0.0': { created: '2020-01-01T00:00:00Z' }, '1.1.0': { created: '2020-01-01T00:00:00Z' }, '0.1.0': { created: '2026-05-31T12:00:00Z' } },
      policy: { keepSemver: 1, keepNewerThanMs: DAY },
      kept: ['0.1.0', '1.1.0'], deleted: ['1.0.0'],
    },
    {
      name: 'an age verdict on a manifest another tag keeps is not read and stays with it',
      tags: { '1.0.0': { created: '2020-01-01T00:00:00Z' }, '1.1.0': { created: '2020-01-01T00:00:00Z' }, keep: { same: '1.0.0' } },
      policy: { keepNewerThanMs: DAY, keepRegex: '^keep$' },
      kept: ['1.0.0', 'keep'], deleted: ['1.1.0'],
      reasons: { '1.0.0': /but its manifest stays: kept tag keep names it/ },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const p = await plan(store(c.tags), c.policy);
      assert.deepEqual(keptTags(p), c.kept);
      assert.deepEqual(deletedTags(p), c.deleted);
      for (const [tag, re] of Object.entries(c.reasons ?? {})) assert.match(reasonOf(p, tag) ?? '', re, tag);
      assert.equal(p.scanned, Object.keys(c.tags).length);
    });
  }

  it('two doomed tags of one manifest make one deletion', async () => {
    const p = await plan(store({ 'pr-1': null, 'pr-1-again': { same: 'pr-1' }, main: null }), { deleteRegex: '^pr-' });
    assert.equal(p.deleted.length, 1);
    assert.deepEqual(p.deleted[0]!.tags.map((t) => t.tag).sort(), ['pr-1', 'pr-1-again']);
  });
});

/** A store with the referrers API: `api` maps a subject to its referrers (undefined: the API is missing). */
class ApiTarget extends MemoryTarget {
  asked = 0;
  constructor(private readonly api: Map<string, Descriptor[]> | undefined) {
    super();
  }
  async referrersFromApi(digest: string): Promise<Descriptor[] | undefined> {
    this.asked++;
    return this.api === undefined ? undefined : (this.api.get(digest) ?? []);
  }
}

describe('planPrune: what goes with a deleted manifest', () => {
  it('cosign tags, the fallback index and the referrers it lists, before the subject; cosign tags are not the policy\'s', async () => {
    const t = store({ 'pr-1': null, main: null });
    const subject = (await t.resolve('pr-1')).digest;
    const base = referrersTag(subject);
    const sig = t.addManifest({ schemaVersion: 2, layers: [], annotations: { sig: '1' } }, `${base}.sig`);
    const ref = t.addManifest({ schemaVersion: 2, artifactType: 'application/sbom', subject: { digest: subject }, layers: [] });
    const idx = t.addManifest({ schemaVersion: 2, mediaType: INDEX, manifests: [{ ...ref, artifactType: 'application/sbom' }] }, base, INDEX);
    const p = await plan(t, { deleteRegex: '.*' });
    // main is not a version and matches delete-regex: it goes too; cosign and sha256- tags are never the policy's
    assert.deepEqual(deletedTags(p), ['main', 'pr-1']);
    assert.equal(p.scanned, 4);
    const d = p.deleted.find((x) => x.digest === subject)!;
    assert.deepEqual(d.attached.map((a) => [a.kind, a.digest, a.tags]), [
      ['referrer', ref.digest, []],
      ['cosign', sig.digest, [`${base}.sig`]],
      ['referrers-index', idx.digest, [base]],
    ]);
    assert.equal(d.attached[0]!.artifactType, 'application/sbom');
    assert.deepEqual(p.deleted.find((x) => x.digest !== subject)!.attached, []);
  });

  it('the referrers API: referrers of referrers first; a referrer that is tagged itself stays', async () => {
    const api = new Map<string, Descriptor[]>();
    const t = new ApiTarget(api);
    const subject = t.addManifest({ schemaVersion: 2, layers: [], annotations: { n: 'old' } }, 'pr-1');
    const sbom = t.addManifest({ schemaVersion: 2, layers: [], annotations: { n: 'sbom' } });
    const sbomSig = t.addManifest({ schemaVersion: 2, layers: [], annotations: { n: 'sbom-sig' } });
    const tagged = t.addManifest({ schemaVersion: 2, layers: [], annotations: { n: 'tagged' } }, 'keepme');
    api.set(subject.digest, [{ ...sbom, artifactType: 'application/spdx' }, tagged]);
    api.set(sbom.digest, [sbomSig]);
    const p = await plan(t, { deleteRegex: '^pr-' });
    assert.deepEqual(keptTags(p), ['keepme']);
    const [d] = p.deleted;
    assert.deepEqual(d!.attached.map((a) => a.digest), [sbomSig.digest, sbom.digest]);
    assert.equal(d!.attached[1]!.artifactType, 'application/spdx');
  });

  it('a store without the referrers API is asked once, then never again', async () => {
    const t = new ApiTarget(undefined);
    t.addManifest({ schemaVersion: 2, layers: [], annotations: { n: '1' } }, 'pr-1');
    t.addManifest({ schemaVersion: 2, layers: [], annotations: { n: '2' } }, 'pr-2');
    t.addManifest({ schemaVersion: 2, layers: [], annotations: { n: '3' } }, 'pr-3');
    const p = await plan(t, { deleteRegex: '^pr-' });
    assert.equal(p.deleted.length, 3);
    assert.equal(t.asked, 1);
  });

  it('a referrer listed twice (API and fallback index) is planned once', async () => {
    const api = new Map<string, Descriptor[]>();
    const t = new ApiTarget(api);
    const subject = t.addManifest({ schemaVersion: 2, layers: [], annotations: { n: 's' } }, 'pr-1');
    const ref = t.addManifest({ schemaVersion: 2, layers: [], subject: { digest: subject.digest }, annotations: { n: 'r' } });
    api.set(subject.digest, [ref]);
    t.addManifest({ schemaVersion: 2, mediaType: INDEX, manifests: [ref] }, referrersTag(subject.digest), INDEX);
    const p = await plan(t, { deleteRegex: '^pr-' });
    assert.deepEqual(p.deleted[0]!.attached.map((a) => a.kind), ['referrer', 'referrers-index']);
  });

  it('referrers nested without end are refused (CAP), not walked forever', async () => {
    const api = new Map<string, Descriptor[]>();
    const t = new ApiTarget(api);
    let prev = t.addManifest({ schemaVersion: 2, layers: [], annotations: { n: 'root' } }, 'pr-1');
    for (let i = 0; i < 70; i++) {
      const next = t.addManifest({ schemaVersion: 2, layers: [], annotations: { n: String(i) } });
      api.set(prev.digest, [next]);
      prev = next;
    }
    await assert.rejects(plan(t, { deleteRegex: '^pr-' }), (e: unknown) => e instanceof OcipackError && e.code === 'CAP');
  });
});
