/**
 * `prune`'s retention policy over tag names, pure: which tags a policy keeps (and why) and which it
 * would delete. A keep rule always wins over a delete rule. Versions are tags read by oci/semver.ts
 * (`v1.2.3`, `1.2.3-rc.1`, `1.0.0_build`); other tags are kept unless `deleteRegex` names them; cosign and
 * referrers-schema tags are not the policy's (they go with the manifest they belong to).
 */
import semver from 'semver';
import { usageError } from '../core/errors.js';
import { highestMatchingTag, isCosignTag, isReferrerTag, parseSemverFilter, parseTagRegex, tagVersion, type SemverFilter } from './semver.js';

/** The policy as the user gives it (library options, flags in camelCase). */
export interface RetentionOptions {
  /** Keep the N highest version tags (within `semver` when given). */
  keepSemver?: number;
  /** Only versions inside this range are pruned; versions outside it are kept. */
  semver?: string;
  /** Keep tags matching this regular expression. */
  keepRegex?: string;
  /** Keep tags whose artifact was created (its `org.opencontainers.image.created`) less than this many ms ago. */
  keepNewerThanMs?: number;
  /** Delete tags matching this regular expression (versions or not), unless a keep rule keeps them. */
  deleteRegex?: string;
  /** Keep the tag each range resolves to today (the highest matching version: what Flux's `ref.semver` pulls). */
  protectSemver?: string[];
}

/** The policy, parsed (usage errors before any I/O). */
export interface RetentionPolicy {
  keepSemver?: number;
  semver?: SemverFilter;
  keepRegex?: RegExp;
  keepNewerThanMs?: number;
  deleteRegex?: RegExp;
  protect: SemverFilter[];
}

/** One tag's fate before the creation times are known: `age` means "deleted unless created recently". */
export type Verdict = { keep: string } | { delete: string } | { age: string };

/** Parse and check the policy: at least one rule that can delete, counts and ranges valid. */
export function parseRetention(o: RetentionOptions): RetentionPolicy {
  const p: RetentionPolicy = { protect: (o.protectSemver ?? []).map((r) => parseSemverFilter(r, '`protectSemver`')) };
  if (o.keepSemver !== undefined) {
    if (!Number.isSafeInteger(o.keepSemver) || o.keepSemver < 0) throw usageError('`keepSemver` must be a non-negative integer', { option: 'keepSemver' });
    p.keepSemver = o.keepSemver;
  }
  if (o.semver !== undefined) p.semver = parseSemverFilter(o.semver, '`semver`');
  if (o.keepRegex !== undefined) p.keepRegex = parseTagRegex(o.keepRegex, '`keepRegex`');
  if (o.deleteRegex !== undefined) p.deleteRegex = parseTagRegex(o.deleteRegex, '`deleteRegex`');
  if (o.keepNewerThanMs !== undefined) {
    if (!Number.isFinite(o.keepNewerThanMs) || o.keepNewerThanMs <= 0) throw usageError('`keepNewerThanMs` must be a positive duration', { option: 'keepNewerThanMs' });
    p.keepNewerThanMs = o.keepNewerThanMs;
  }
  if (!prunesVersions(p) && p.deleteRegex === undefined) {
    throw usageError('say what to keep or delete: `keepSemver`, `keepRegex`, `keepNewerThanMs` or `deleteRegex` (without one, prune would not know what may go)', { option: 'keepSemver' });
  }
  return p;
}

/** True for tags the policy decides about; cosign (`.sig/.att/.sbom`) and `sha256-<hex>` tags go with their subject. */
export function isPolicyTag(tag: string): boolean {
  return !isCosignTag(tag) && !isReferrerTag(tag);
}

/** A version retention rule is given, so versions not kept by one may go. */
function prunesVersions(p: RetentionPolicy): boolean {
  return p.keepSemver !== undefined || p.keepRegex !== undefined || p.keepNewerThanMs !== undefined;
}

/**
 * Each policy tag's verdict from its name alone (every tag of the repository must be given: the N highest
 * and the protected versions are decided over all of them). Tags whose verdict is `age` are deleted only
 * when their creation time is known and older than `keepNewerThanMs` (see byAge).
 */
export function decide(p: RetentionPolicy, tags: readonly string[]): Map<string, Verdict> {
  const out = new Map<string, Verdict>();
  const protectedBy = new Map<string, string>();
  for (const f of p.protect) {
    const tag = highestMatchingTag(tags, f);
    if (tag !== undefined && !protectedBy.has(tag)) protectedBy.set(tag, `resolves protect-semver "${f.text}" today`);
  }
  const highest = topVersions(p, tags);
  for (const tag of tags) {
    const keep = protectedBy.get(tag) ?? keptByName(p, tag, highest);
    if (keep !== undefined) {
      out.set(tag, { keep });
      continue;
    }
    const why = deleteReason(p, tag);
    if (why === undefined) out.set(tag, { keep: tagVersion(tag) === undefined ? 'not a version' : versionKeptReason(p) });
    else out.set(tag, p.keepNewerThanMs !== undefined ? { age: why } : { delete: why });
  }
  return out;
}

/** The verdict of an `age` tag once its creation time is known (undefined: no readable created annotation, kept). */
export function byAge(p: RetentionPolicy, why: string, created: string | undefined, now: number): Verdict {
  const at = created === undefined ? NaN : Date.parse(created);
  if (Number.isNaN(at)) return { keep: 'no readable created annotation (keep-newer-than cannot tell its age)' };
  if (now - at < (p.keepNewerThanMs ?? 0)) return { keep: `created ${created}: newer than keep-newer-than` };
  return { delete: `${why}; created ${created}` };
}

/** The N highest versions inside the range, or every version when `keepSemver` is not given (then never a reason). */
function topVersions(p: RetentionPolicy, tags: readonly string[]): Set<string> {
  if (p.keepSemver === undefined || p.keepSemver === 0) return new Set();
  const versions: Array<{ tag: string; v: semver.SemVer }> = [];
  for (const tag of tags) {
    const v = tagVersion(tag);
    if (v !== undefined && inScope(p, v)) versions.push({ tag, v });
  }
  versions.sort((a, b) => semver.compareBuild(b.v, a.v) || (a.tag < b.tag ? 1 : a.tag > b.tag ? -1 : 0));
  return new Set(versions.slice(0, p.keepSemver).map((x) => x.tag));
}

function inScope(p: RetentionPolicy, v: semver.SemVer): boolean {
  return p.semver === undefined || p.semver.range.test(v);
}

function keptByName(p: RetentionPolicy, tag: string, highest: Set<string>): string | undefined {
  if (highest.has(tag)) return `among the ${p.keepSemver} highest versions${p.semver ? ` in "${p.semver.text}"` : ''}`;
  if (p.keepRegex !== undefined && test(p.keepRegex, tag)) return 'matches keep-regex';
  return undefined;
}

/** Why the policy would delete `tag`, or undefined when no rule names it. */
function deleteReason(p: RetentionPolicy, tag: string): string | undefined {
  if (p.deleteRegex !== undefined && test(p.deleteRegex, tag)) return 'matches delete-regex';
  const v = tagVersion(tag);
  if (v === undefined || !prunesVersions(p) || !inScope(p, v)) return undefined;
  if (p.keepSemver !== undefined) return `not among the ${p.keepSemver} highest versions${p.semver ? ` in "${p.semver.text}"` : ''}`;
  if (p.keepRegex !== undefined && p.keepNewerThanMs === undefined) return 'a version not matching keep-regex';
  return 'a version';
}

function versionKeptReason(p: RetentionPolicy): string {
  return prunesVersions(p) ? `a version outside "${p.semver?.text ?? ''}"` : 'a version (no rule for versions)';
}

function test(re: RegExp, tag: string): boolean {
  re.lastIndex = 0;
  return re.test(tag);
}
