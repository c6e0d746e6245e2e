import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OcipackError } from '../../../src/core/errors.js';
import {
  filterTags, highestMatchingTag, isCosignTag, isReferrerTag, matchesSemver, parseSemverFilter, parseTagRegex, sortTags, tagVersion,
} from '../../../src/oci/semver.js';

const SIG = `sha256-${'a'.repeat(64)}.sig`;
const REPO_TAGS = ['latest', 'v1.0.0', SIG, 'v1.10.0', 'v2.0.0-rc.1', 'v1.2.0', `sha256-${'b'.repeat(64)}.att`, 'main-abc123', 'x.sbom'];

function usage(err: unknown): boolean {
  return err instanceof OcipackError && err.code === 'USAGE';
}

test('tagVersion: optional v, Helm underscore for plus, strict SemVer otherwise', () => {
  const table: Array<[string, string | undefined]> = [
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['v1.2.3-rc.1', '1.2.3-rc.1'],
    ['1.2.3_build.5', '1.2.3+build.5'],
    ['v0.1.0-alpha_sha.abc', '0.1.0-alpha+sha.abc'],
    ['1.2', undefined],
    ['v1', undefined],
    ['vv1.2.3', undefined],
    ['V1.2.3', undefined],
    ['01.2.3', undefined],
    ['1.2.3_a_b', undefined],
    ['latest', undefined],
    ['', undefined],
  ];
  for (const [tag, want] of table) {
    const v = tagVersion(tag);
    assert.equal(v === undefined ? undefined : `${v.version}${v.build.length ? `+${v.build.join('.')}` : ''}`, want, tag);
  }
});

test('isCosignTag hides signatures, attestations and SBOMs only', () => {
  assert.equal(isCosignTag(SIG), true);
  assert.equal(isCosignTag('sha256-abc.att'), true);
  assert.equal(isCosignTag('sha256-abc.sbom'), true);
  assert.equal(isCosignTag('v1.0.0'), false);
  assert.equal(isCosignTag('signature'), false);
  assert.equal(isCosignTag('sig'), false);
});

test('sortTags: newest semver first, then the rest reverse lexical', () => {
  assert.deepEqual(sortTags(['b', 'v1.0.0', 'a', 'v1.10.0', 'v1.2.0', 'v2.0.0-rc.1', 'C', '1.10.0']), [
    'v2.0.0-rc.1', 'v1.10.0', '1.10.0', 'v1.2.0', 'v1.0.0', 'b', 'a', 'C',
  ]);
  // build metadata breaks ties, and the input order never matters
  const tags = ['1.0.0_b', '1.0.0', '1.0.0_a', '1.0.0-rc.2', '1.0.0-rc.10'];
  const want = ['1.0.0_b', '1.0.0_a', '1.0.0', '1.0.0-rc.10', '1.0.0-rc.2'];
  assert.deepEqual(sortTags(tags), want);
  assert.deepEqual(sortTags([...tags].reverse()), want);
  assert.deepEqual(sortTags([]), []);
});

test('filterTags: cosign tags always dropped, semver and regex combine with AND', () => {
  assert.deepEqual(sortTags(filterTags(REPO_TAGS)), ['v2.0.0-rc.1', 'v1.10.0', 'v1.2.0', 'v1.0.0', 'main-abc123', 'latest']);
  const semver = parseSemverFilter('>=1.1.0');
  assert.deepEqual(sortTags(filterTags(REPO_TAGS, { semver })), ['v1.10.0', 'v1.2.0']);
  assert.deepEqual(filterTags(REPO_TAGS, { regex: parseTagRegex('^v1\\.') }), ['v1.0.0', 'v1.10.0', 'v1.2.0']);
  assert.deepEqual(filterTags(REPO_TAGS, { semver, regex: parseTagRegex('\\.10\\.') }), ['v1.10.0']);
  assert.deepEqual(filterTags(REPO_TAGS, { regex: parseTagRegex('sig') }), []);
});

test('prereleases match only when the range names one', () => {
  const table: Array<[string, string, boolean]> = [
    ['>=1.0.0', 'v2.0.0-rc.1', false],
    ['*', 'v2.0.0-rc.1', false],
    ['1.x', '1.5.0-beta', false],
    ['^2.0.0', '2.0.0-rc.1', false],
    ['>=2.0.0-0', 'v2.0.0-rc.1', true],
    ['>=2.0.0-rc.0', 'v2.0.0-rc.1', true],
    ['>=2.0.0-rc.0', '2.1.0-alpha', true],
    ['>=1.0.0-rc.1 <2.0.0', '1.5.0-beta', true],
    ['1.2.3 - 2', '1.5.0-beta', false],
    ['1.2.3 - 2', '2.9.9', true],
    ['~1.2', 'v1.2.9', true],
    ['~1.2', 'v1.3.0', false],
    ['>=1.0.0', 'latest', false],
    ['>=1.0.0', '1.0.0_build', true],
  ];
  for (const [range, tag, want] of table) assert.equal(matchesSemver(tag, parseSemverFilter(range)), want, `${range} ∋ ${tag}`);
});

test('highestMatchingTag picks what pull --semver pulls', () => {
  assert.equal(highestMatchingTag(REPO_TAGS, parseSemverFilter('1.x')), 'v1.10.0');
  assert.equal(highestMatchingTag(REPO_TAGS, parseSemverFilter('>=1.0.0')), 'v1.10.0');
  assert.equal(highestMatchingTag(REPO_TAGS, parseSemverFilter('>=2.0.0-0')), 'v2.0.0-rc.1');
  assert.equal(highestMatchingTag(REPO_TAGS, parseSemverFilter('~1.2.0')), 'v1.2.0');
  assert.equal(highestMatchingTag(REPO_TAGS, parseSemverFilter('>=3')), undefined);
  assert.equal(highestMatchingTag(REPO_TAGS, parseSemverFilter('1.x'), /^v1\.[0-2]\./), 'v1.2.0');
});

test('bad ranges and regexes are usage errors that quote the parser', () => {
  for (const bad of ['not-a-range', '', '   ', '!!', '>=1.0.0 <']) {
    assert.throws(() => parseSemverFilter(bad), (err: unknown) => usage(err) && /semver range/.test((err as Error).message), bad);
  }
  assert.throws(() => parseSemverFilter('foo'), /Invalid comparator: foo/);
  assert.throws(() => parseTagRegex('(unclosed'), (err: unknown) => usage(err) && /invalid regular expression for `filterRegex`: .*Unterminated group/.test((err as Error).message));
  assert.throws(() => parseTagRegex('['), usage);
});

test('a leading (?i) from Go regexes becomes the i flag', () => {
  const re = parseTagRegex('(?i)^V1');
  assert.equal(re.flags, 'i');
  assert.equal(re.test('v1.0.0'), true);
  assert.equal(parseTagRegex('^v1').test('V1.0.0'), false);
});

test('referrers-schema tags (sha256-<hex>) are hidden like cosign tags, unless allTags', () => {
  const hex = 'a'.repeat(64);
  assert.equal(isReferrerTag(`sha256-${hex}`), true);
  assert.equal(isReferrerTag(`sha512-${'b'.repeat(128)}`), true);
  for (const no of [`sha256-${hex.slice(1)}`, `sha256-${hex}x`, 'sha256-latest', `v1-${hex}`]) assert.equal(isReferrerTag(no), false, no);
  const tags = ['v1.0.0', `sha256-${hex}`, `sha256-${hex}.sig`, 'latest'];
  assert.deepEqual(filterTags(tags), ['v1.0.0', 'latest']);
  assert.deepEqual(filterTags(tags, { allTags: true }), tags);
});
