/**
 * Tags as semantic versions (SemVer 2.0.0 via node-semver), the way flux and Helm read them: an
 * optional leading `v`, and `_` standing for `+` because OCI tags cannot hold a `+` (Helm writes chart
 * version `1.0.0+build` as tag `1.0.0_build`). Pure: no I/O.
 */
import semver from 'semver';
import { usageError } from '../core/errors.js';

/** A semver tag filter: node-semver range plus whether prereleases may match. */
export interface SemverFilter {
  /** The range as the user wrote it. */
  readonly text: string;
  readonly range: semver.Range;
  /** True only when the range itself names a prerelease (e.g. `>=2.0.0-rc.0`). */
  readonly includePrerelease: boolean;
}

/** Options shared by `list` and `pull --semver`: both filters together mean AND. */
export interface TagFilterOptions {
  semver?: SemverFilter;
  regex?: RegExp;
  /** Keep cosign and referrers-schema tags (`list --all-tags`). */
  allTags?: boolean;
}

/** cosign's signature, attestation and SBOM tags (`sha256-<hex>.sig` and friends). */
const COSIGN_SUFFIXES = ['.sig', '.att', '.sbom'] as const;

/** A version token immediately followed by `-<identifier>`: the range names a prerelease. */
const PRERELEASE_IN_RANGE = /(?:^|[\s<>=~^|])v?\d+(?:\.(?:\d+|[xX*])){0,2}-[0-9A-Za-z]/;

/** The version a tag stands for (`v1.2.3`, `1.2.3`, `1.2.3-rc.1`, `1.2.3_build.5`), or undefined. */
export function tagVersion(tag: string): semver.SemVer | undefined {
  let s = tag.startsWith('v') ? tag.slice(1) : tag;
  if (!/^\d/.test(s)) return undefined;
  const underscore = s.indexOf('_');
  if (underscore >= 0) s = `${s.slice(0, underscore)}+${s.slice(underscore + 1)}`;
  return semver.parse(s, { loose: false }) ?? undefined;
}

/** True for cosign's `*.sig`, `*.att`, `*.sbom` tags, which `list` hides. */
export function isCosignTag(tag: string): boolean {
  return COSIGN_SUFFIXES.some((suffix) => tag.endsWith(suffix));
}

/** True for the referrers tag schema's fallback index tags (distribution spec: `<alg>-<hex>`), which `list` hides. */
export function isReferrerTag(tag: string): boolean {
  return /^sha256-[0-9a-f]{64}$|^sha512-[0-9a-f]{128}$/.test(tag);
}

/** Parse a `--filter-semver`/`--semver` range; an empty or invalid one is a usage error (exit 2). */
export function parseSemverFilter(text: string, flag = '`filterSemver`'): SemverFilter {
  if (text.trim() === '') throw usageError(`${flag} needs a semver range, e.g. ">=1.0.0 <2.0.0"`);
  const includePrerelease = PRERELEASE_IN_RANGE.test(text);
  let range: semver.Range;
  try {
    range = new semver.Range(text, { includePrerelease });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw usageError(`invalid semver range "${text}" for ${flag}: ${why}`);
  }
  return { text, range, includePrerelease };
}

/**
 * Parse a `--filter-regex` (JavaScript syntax, unanchored like Go's MatchString). A leading `(?i)`,
 * which flux users write for Go's RE2, becomes the `i` flag. An invalid pattern is a usage error.
 */
export function parseTagRegex(text: string, flag = '`filterRegex`'): RegExp {
  let source = text;
  let flags = '';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags = 'i';
  }
  try {
    return new RegExp(source, flags);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw usageError(`invalid regular expression for ${flag}: ${why}`);
  }
}

/** True when `tag` is a version inside the filter's range (prereleases only when the range names one). */
export function matchesSemver(tag: string, filter: SemverFilter): boolean {
  const v = tagVersion(tag);
  return v !== undefined && filter.range.test(v);
}

/** Tags passing every given filter (semver AND regex); cosign and referrers-schema tags dropped unless `allTags`. */
export function filterTags(tags: readonly string[], opts: TagFilterOptions = {}): string[] {
  return tags.filter((tag) => {
    if (!opts.allTags && (isCosignTag(tag) || isReferrerTag(tag))) return false;
    if (opts.semver && !matchesSemver(tag, opts.semver)) return false;
    if (opts.regex) {
      opts.regex.lastIndex = 0;
      if (!opts.regex.test(tag)) return false;
    }
    return true;
  });
}

/**
 * Newest semver first (SemVer precedence, build metadata breaking ties, then the tag text so `v1.0.0`
 * and `1.0.0` keep a stable order), then every other tag in reverse lexical (code-unit) order.
 */
export function sortTags(tags: readonly string[]): string[] {
  const versions: Array<{ tag: string; v: semver.SemVer }> = [];
  const rest: string[] = [];
  for (const tag of tags) {
    const v = tagVersion(tag);
    if (v) versions.push({ tag, v });
    else rest.push(tag);
  }
  versions.sort((a, b) => semver.compareBuild(b.v, a.v) || reverseLexical(a.tag, b.tag));
  rest.sort(reverseLexical);
  return [...versions.map((x) => x.tag), ...rest];
}

/** The highest tag inside the range (same rules as `list --filter-semver`), or undefined. */
export function highestMatchingTag(tags: readonly string[], filter: SemverFilter, regex?: RegExp): string | undefined {
  const opts: TagFilterOptions = { semver: filter };
  if (regex) opts.regex = regex;
  return sortTags(filterTags(tags, opts))[0];
}

function reverseLexical(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}
