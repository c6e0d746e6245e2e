/**
 * `.helmignore` rules exactly as Helm 3 applies them (helm.sh/helm/v3 pkg/ignore): NOT gitignore.
 * Each line is a Go `filepath.Match` glob; `**` is refused; a pattern without '/' matches the base
 * name, one with '/' the whole path relative to the chart; trailing '/' means directories only.
 * Rules are tried in order and the first decisive one wins; a `!pattern` rule ignores every path it
 * does NOT match (Helm's long-standing semantics, kept so `helm package` and we pack the same files).
 * The default rule `templates/.?*` is always appended.
 */
import { OcipackError } from '../../core/errors.js';

export const HELMIGNORE = '.helmignore';

export interface HelmRule {
  /** The trimmed line as written. */
  raw: string;
  negate: boolean;
  dirOnly: boolean;
  /** Matches the base name only (no '/' in the pattern). */
  baseOnly: boolean;
  regex: RegExp;
}

/** Parses a `.helmignore` text plus Helm's default rule; a bad pattern is BAD_INPUT naming the line. */
export function parseHelmignore(text: string, where = HELMIGNORE): HelmRule[] {
  const rules: HelmRule[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const rule = parseRule(line.trim(), `${where}:${i + 1}`);
    if (rule) rules.push(rule);
  }
  rules.push(parseRule('templates/.?*', 'default rule') as HelmRule);
  return rules;
}

/** Decides what `helm package` leaves out of a chart directory. */
export class HelmIgnore {
  constructor(private readonly rules: readonly HelmRule[]) {}

  /** True when `relPath` (posix, relative to the chart directory) is left out. */
  ignores(relPath: string, isDir: boolean): boolean {
    if (relPath === '' || relPath === '.' || relPath === './') return false;
    for (const r of this.rules) {
      if (r.negate) {
        if (r.dirOnly && !isDir) return true;
        if (!matches(r, relPath)) return true;
        continue;
      }
      if (r.dirOnly && !isDir) continue;
      if (matches(r, relPath)) return true;
    }
    return false;
  }
}

function matches(rule: HelmRule, relPath: string): boolean {
  const subject = rule.baseOnly ? relPath.slice(relPath.lastIndexOf('/') + 1) : relPath;
  return rule.regex.test(subject);
}

function parseRule(line: string, where: string): HelmRule | undefined {
  if (line === '' || line.startsWith('#')) return undefined;
  if (line.includes('**')) throw bad(where, line, 'double-star (**) syntax is not supported');
  globRegex(line, where); // Helm validates the raw line, '!' included
  let p = line;
  const negate = p.startsWith('!');
  if (negate) p = p.slice(1);
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.slice(0, -1);
  const anchored = p.startsWith('/');
  if (anchored) p = p.slice(1);
  return { raw: line, negate, dirOnly, baseOnly: !anchored && !p.includes('/'), regex: globRegex(p, where) };
}

/**
 * Go's `filepath.Match` syntax as an anchored regex: `*` and `?` never match '/', classes are
 * `[...]` or `[^...]` with ranges and '\' escapes ('-' and ']' must be escaped inside), '\' escapes
 * outside. A malformed pattern throws, as Go's ErrBadPattern does.
 */
export function globRegex(pattern: string, where = 'pattern'): RegExp {
  const chars = Array.from(pattern);
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= chars.length) throw bad(where, pattern, 'trailing backslash');
      out += lit(chars[++i] as string);
    } else if (c === '[') {
      const cls = classRegex(chars, i);
      if (cls === undefined) throw bad(where, pattern, 'malformed character class');
      out += cls.re;
      i = cls.end;
    } else out += lit(c);
  }
  return new RegExp(`^${out}$`, 'su');
}

/** A Go character class starting at `start` ('['): returns its regex and the index of its ']'. */
function classRegex(chars: string[], start: number): { re: string; end: number } | undefined {
  let i = start + 1;
  const negated = chars[i] === '^';
  if (negated) i++;
  let members = '';
  let count = 0;
  for (;;) {
    if (i >= chars.length) return undefined;
    if (chars[i] === ']' && count > 0) return { re: `[${negated ? '^' : ''}${members}]`, end: i };
    const lo = classChar(chars, i);
    if (lo === undefined) return undefined;
    i = lo.next;
    if (chars[i] === '-') {
      const hi = classChar(chars, i + 1);
      if (hi === undefined) return undefined;
      // Go accepts an inverted range; it simply matches nothing.
      if ((lo.c.codePointAt(0) ?? 0) <= (hi.c.codePointAt(0) ?? 0)) members += `${lit(lo.c)}-${lit(hi.c)}`;
      i = hi.next;
    } else members += lit(lo.c);
    count++;
  }
}

/** One (possibly escaped) character of a class; '-' and ']' and the end of the pattern are errors. */
function classChar(chars: string[], i: number): { c: string; next: number } | undefined {
  let c = chars[i];
  if (c === undefined || c === '-' || c === ']') return undefined;
  if (c === '\\') {
    c = chars[i + 1];
    if (c === undefined) return undefined;
    return { c, next: i + 2 };
  }
  return { c, next: i + 1 };
}

function lit(c: string): string {
  return /^[A-Za-z0-9_]$/.test(c) ? c : `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`;
}

function bad(where: string, pattern: string, why: string): OcipackError {
  return new OcipackError('BAD_INPUT', `${where}: invalid pattern ${JSON.stringify(pattern)}: ${why}`);
}
