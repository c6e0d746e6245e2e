import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OcipackError } from '../../../src/core/errors.js';
import { byAge, decide, isPolicyTag, parseRetention, type RetentionOptions, type Verdict } from '../../../src/oci/retention.js';
import { prune } from '../../../src/usecases/prune.js';

const TAGS = ['latest', 'v1.0.0', '1.1.0', '1.2.0-rc.1', '1.2.0', '2.0.0', 'pr-7', 'main'];

function verdicts(o: RetentionOptions, tags = TAGS): Record<string, Verdict> {
  return Object.fromEntries(decide(parseRetention(o), tags));
}

function usage(err: unknown): boolean {
  return err instanceof OcipackError && err.code === 'USAGE';
}

test('keep-semver keeps the N highest versions; other versions go; tags that are not versions stay', () => {
  const v = verdicts({ keepSemver: 2 });
  assert.deepEqual(v['2.0.0'], { keep: 'among the 2 highest versions' });
  assert.deepEqual(v['1.2.0'], { keep: 'among the 2 highest versions' });
  assert.deepEqual(v['1.2.0-rc.1'], { delete: 'not among the 2 highest versions' });
  assert.deepEqual(v['v1.0.0'], { delete: 'not among the 2 highest versions' });
  assert.deepEqual([v.latest, v.main, v['pr-7']], [{ keep: 'not a version' }, { keep: 'not a version' }, { keep: 'not a version' }]);
});

test('--semver scopes the policy: versions outside the range are kept, the N highest are counted inside it', () => {
  const v = verdicts({ keepSemver: 1, semver: '<2.0.0' });
  assert.deepEqual(v['2.0.0'], { keep: 'a version outside "<2.0.0"' });
  assert.deepEqual(v['1.2.0'], { keep: 'among the 1 highest versions in "<2.0.0"' });
  assert.deepEqual(v['1.1.0'], { delete: 'not among the 1 highest versions in "<2.0.0"' });
  assert.deepEqual(v['1.2.0-rc.1'], { keep: 'a version outside "<2.0.0"' }, 'prereleases match only a range naming one');
});

test('protect-semver keeps what the range resolves to today; keep-regex keeps; delete-regex deletes non-versions; a keep rule wins', () => {
  const v = verdicts({ keepSemver: 0, protectSemver: ['~1.1', '^1.0.0'], keepRegex: '^v', deleteRegex: '^(pr-|v)' });
  assert.deepEqual(v['1.1.0'], { keep: 'resolves protect-semver "~1.1" today' });
  assert.deepEqual(v['1.2.0'], { keep: 'resolves protect-semver "^1.0.0" today' });
  assert.deepEqual(v['v1.0.0'], { keep: 'matches keep-regex' });
  assert.deepEqual(v['pr-7'], { delete: 'matches delete-regex' });
  assert.deepEqual(v['2.0.0'], { delete: 'not among the 0 highest versions' });
  assert.deepEqual(v.main, { keep: 'not a version' });
});

test('delete-regex alone deletes only what it names; versions stay', () => {
  const v = verdicts({ deleteRegex: '^pr-' });
  assert.deepEqual(v['pr-7'], { delete: 'matches delete-regex' });
  assert.deepEqual(v['1.1.0'], { keep: 'a version (no rule for versions)' });
});

test('keep-newer-than: candidates wait for their age; no readable created annotation keeps the tag', () => {
  const p = parseRetention({ keepSemver: 1, keepNewerThanMs: 86_400_000 });
  const v = Object.fromEntries(decide(p, TAGS));
  assert.deepEqual(v['1.1.0'], { age: 'not among the 1 highest versions' });
  const now = Date.parse('2026-01-10T00:00:00Z');
  assert.deepEqual(byAge(p, 'x', '2026-01-09T12:00:00Z', now), { keep: 'created 2026-01-09T12:00:00Z: newer than keep-newer-than' });
  assert.deepEqual(byAge(p, 'x', '2026-01-01T00:00:00Z', now), { delete: 'x; created 2026-01-01T00:00:00Z' });
  assert.match((byAge(p, 'x', undefined, now) as { keep: string }).keep, /no readable created annotation/);
  assert.match((byAge(p, 'x', 'yesterday', now) as { keep: string }).keep, /no readable created annotation/);
});

test('cosign and referrers-schema tags are not the policy\'s', () => {
  assert.equal(isPolicyTag(`sha256-${'a'.repeat(64)}`), false);
  assert.equal(isPolicyTag(`sha256-${'a'.repeat(64)}.sig`), false);
  assert.equal(isPolicyTag('v1.0.0'), true);
});

test('bad policies are usage errors: no rule that can delete, negative counts, bad ranges and patterns', () => {
  for (const o of [{}, { protectSemver: ['^1'] }, { keepSemver: -1 }, { keepSemver: 1.5 }, { keepSemver: 1, semver: 'nope' }, { keepRegex: '(' }, { deleteRegex: '[z-a]' }, { keepNewerThanMs: 0 }, { keepSemver: 1, protectSemver: ['foo'] }] as RetentionOptions[]) {
    assert.throws(() => parseRetention(o), usage, JSON.stringify(o));
  }
});

test('prune --yes on GHCR or Docker Hub fails before any request, naming the registry', async () => {
  for (const [reference, host] of [['oci://ghcr.io/org/app', 'ghcr.io'], ['docker.io/org/app', 'docker.io']] as const) {
    await assert.rejects(prune({ reference, keepSemver: 1, yes: true }), (err: unknown) => {
      assert.ok(err instanceof OcipackError && err.code === 'REGISTRY' && err.context.host === host && err.context.next === 'deletes-refused', String(err));
      assert.match(err.message, new RegExp(`^${host} does not allow deletes through the registry API`));
      return true;
    });
  }
});
