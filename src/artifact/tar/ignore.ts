/**
 * Ignore rules in gitignore syntax (SPEC §4 "Ignores"), matched the way Flux does it: flux's
 * fluxcd/pkg/sourceignore uses go-git's gitignore package, which follows gitignore(5).
 *
 * A path is tested as its '/'-separated path relative to the root; a directory gets a NUL marker
 * appended ("a/b\0"), so one regex per rule can express "directories only" (the marker is required)
 * and `dir/**` (matches the directory itself, as go-git does, and everything below it).
 */
import { FLUX_DEFAULT_IGNORE } from '../../core/defaults.js';

export interface IgnoreRule {
  /** The line as written, without trailing spaces. */
  pattern: string;
  /** `!pattern`: a match re-includes the path. */
  negate: boolean;
  /** Trailing '/': matches directories only. */
  dirOnly: boolean;
  /** Posix directory (relative to the root, '' for the root) the rule was read in; it applies below it. */
  base: string;
  /** Tests the path relative to `base`, with '\0' appended for a directory. */
  regex: RegExp;
  /** Where the rule came from, for messages: `flux's default ignore list`, an option (`` `addIgnorePaths` ``), `apps/.sourceignore`. */
  origin?: string;
}

const DIR_MARK = '\u0000';
const NEVER = /(?!)/u;
const DIR_MARK_RE = '\\u{0}';
const ANY_IN_SEGMENT = '[^/\\u{0}]';

/** Parses one gitignore-syntax text (a `.sourceignore`, or flag values joined by '\n') read in `base`. */
export function parseIgnore(text: string, base = '', origin?: string): IgnoreRule[] {
  const dir = normaliseBase(base);
  const rules: IgnoreRule[] = [];
  for (const raw of text.split('\n')) {
    const rule = parseLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw, dir);
    if (rule && origin !== undefined) rule.origin = origin;
    if (rule) rules.push(rule);
  }
  return rules;
}

/** Rules for a push: flux's defaults, replaced by `ignorePaths` when given (even empty), plus `addIgnorePaths`. */
export function ignoreRulesFor(opts: { ignorePaths?: string[]; addIgnorePaths?: string[] }): IgnoreRule[] {
  const base = opts.ignorePaths === undefined
    ? parseIgnore(FLUX_DEFAULT_IGNORE.join('\n'), '', "flux's default ignore list")
    : parseIgnore(opts.ignorePaths.join('\n'), '', '`ignorePaths`');
  return [...base, ...parseIgnore((opts.addIgnorePaths ?? []).join('\n'), '', '`addIgnorePaths`')];
}

/**
 * Rules without a '/' (`*.png`): their regex is "any prefix ending in '/', optional" then one segment
 * that cannot hold a '/', so it matches a path exactly when it matches the path's last segment, unless
 * the path holds a line terminator (which `.` does not cross): those rules test the last segment only,
 * with no backtracking over the whole path.
 */
const ONE_SEGMENT = new WeakSet<IgnoreRule>();
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/** Decides whether a path is ignored: the last matching rule wins, and an ignored directory hides everything below it. */
export class IgnoreMatcher {
  private readonly rules: readonly IgnoreRule[];
  private readonly oneSegment: readonly boolean[];
  private readonly dirCache = new Map<string, boolean>();

  constructor(rules: IgnoreRule[]) {
    this.rules = [...rules];
    this.oneSegment = this.rules.map((r) => ONE_SEGMENT.has(r));
  }

  /** A new matcher with `rules` appended (for a nested `.sourceignore`); this one is unchanged. */
  withRules(rules: IgnoreRule[]): IgnoreMatcher {
    return new IgnoreMatcher([...this.rules, ...rules]);
  }

  /** True when `relPath` (posix, relative to the root, no leading './') is excluded. */
  ignores(relPath: string, isDir: boolean): boolean {
    const path = relPath.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (path.length === 0 || path === '.') return false;
    let slash = path.indexOf('/');
    while (slash >= 0) {
      if (this.dirIgnored(path.slice(0, slash))) return true;
      slash = path.indexOf('/', slash + 1);
    }
    return isDir ? this.dirIgnored(path) : this.decide(path, false);
  }

  /**
   * `ignores` for the walk, which never enters an ignored directory: the parents of `relPath` (a clean
   * posix path) are known to be kept, so only the path itself is decided.
   */
  ignoresChild(relPath: string, isDir: boolean): boolean {
    return isDir ? this.dirIgnored(relPath) : this.decide(relPath, false);
  }

  private dirIgnored(path: string): boolean {
    let result = this.dirCache.get(path);
    if (result === undefined) {
      result = this.decide(path, true);
      this.dirCache.set(path, result);
    }
    return result;
  }

  /** The rule that excludes `relPath` (itself, or a parent directory that hides it), for messages. */
  explain(relPath: string, isDir: boolean): IgnoreRule | undefined {
    const path = relPath.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    let slash = path.indexOf('/');
    while (slash >= 0) {
      const rule = this.lastMatch(path.slice(0, slash), true);
      if (rule && !rule.negate) return rule;
      slash = path.indexOf('/', slash + 1);
    }
    const rule = this.lastMatch(path, isDir);
    return rule && !rule.negate ? rule : undefined;
  }

  /** The verdict of the last rule that matches the path itself; no match means not ignored. */
  private decide(path: string, isDir: boolean): boolean {
    const rule = this.lastMatch(path, isDir);
    return rule !== undefined && !rule.negate;
  }

  private lastMatch(path: string, isDir: boolean): IgnoreRule | undefined {
    const last = LINE_TERMINATOR.test(path) ? undefined : path.slice(path.lastIndexOf('/') + 1) + (isDir ? DIR_MARK : '');
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const rule = this.rules[i] as IgnoreRule;
      let sub = path;
      if (rule.base !== '') {
        if (!path.startsWith(`${rule.base}/`)) continue;
        sub = path.slice(rule.base.length + 1);
      }
      if (rule.regex.test(last !== undefined && this.oneSegment[i] ? last : isDir ? sub + DIR_MARK : sub)) return rule;
    }
    return undefined;
  }
}

/** One line of gitignore(5): comments, '!' negation, trailing '/' and spaces, anchoring. */
function parseLine(line: string, base: string): IgnoreRule | undefined {
  if (line.startsWith('#')) return undefined;
  let p = line;
  while (p.endsWith(' ') && !p.endsWith('\\ ')) p = p.slice(0, -1);
  if (p.trim().length === 0) return undefined;
  const pattern = p;
  const negate = p.startsWith('!');
  if (negate) p = p.slice(1);
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.slice(0, -1);
  const anchored = p.includes('/');
  if (p.startsWith('/')) p = p.slice(1);
  if (p.length === 0) return undefined;
  const rule = { pattern, negate, dirOnly, base, regex: compilePattern(p, anchored, dirOnly) };
  if (!anchored) ONE_SEGMENT.add(rule);
  return rule;
}

/** The regex for a pattern body: anchored to the base when it had a '/', else matching the last segment at any depth. */
function compilePattern(body: string, anchored: boolean, dirOnly: boolean): RegExp {
  const segments = body.split('/').filter((s, i, all) => !(s === '**' && all[i - 1] === '**'));
  let out = anchored ? '' : '(?:.*/)?';
  for (const [i, seg] of segments.entries()) {
    const last = i === segments.length - 1;
    if (seg === '**' && anchored) {
      if (last) out += i === 0 ? '.*' : `(?:/.*|${DIR_MARK_RE})`;
      else out += i === 0 ? '(?:.*/)?' : '(?:/.*)?/';
      continue;
    }
    if (i > 0 && segments[i - 1] !== '**') out += '/';
    const re = segmentRegex(seg);
    if (re === undefined) return NEVER;
    out += re;
  }
  return new RegExp(`^${out}${dirOnly ? DIR_MARK_RE : `${DIR_MARK_RE}?`}$`, 'u');
}

/** One path segment of wildmatch syntax; undefined when it can never match (bad class, dangling '\'). */
function segmentRegex(seg: string): string | undefined {
  const chars = Array.from(seg);
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '\\') {
      if (i + 1 >= chars.length) return undefined;
      out += literal(chars[++i] as string);
    } else if (c === '*') {
      while (chars[i + 1] === '*') i++;
      out += `${ANY_IN_SEGMENT}*`;
    } else if (c === '?') {
      out += ANY_IN_SEGMENT;
    } else if (c === '[') {
      const cls = bracket(chars, i);
      if (cls === undefined) return undefined;
      out += cls.re;
      i = cls.end;
    } else {
      out += literal(c);
    }
  }
  return out;
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: 'A-Za-z0-9', alpha: 'A-Za-z', blank: ' \\t', cntrl: '\\u{1}-\\u{1f}\\u{7f}', digit: '0-9',
  graph: '\\u{21}-\\u{7e}', lower: 'a-z', print: '\\u{20}-\\u{7e}', space: ' \\t\\n\\v\\f\\r', upper: 'A-Z',
  xdigit: '0-9A-Fa-f', punct: '\\u{21}-\\u{2f}\\u{3a}-\\u{40}\\u{5b}-\\u{60}\\u{7b}-\\u{7e}',
};

/** A `[...]` expression starting at `start`: `!`/`^` negation, ranges, escapes, `[:class:]`, a leading ']'. */
function bracket(chars: string[], start: number): { re: string; end: number } | undefined {
  let i = start + 1;
  const negated = chars[i] === '!' || chars[i] === '^';
  if (negated) i++;
  let members = '';
  for (let first = true; i < chars.length; i++, first = false) {
    let c = chars[i] as string;
    if (c === ']' && !first) return { re: `[${negated ? '^/\\u{0}' : ''}${members}]`, end: i };
    if (c === '[' && chars[i + 1] === ':') {
      const close = posixClassEnd(chars, i + 2);
      const cls = close < 0 ? undefined : POSIX_CLASSES[chars.slice(i + 2, close).join('')];
      if (cls === undefined) return undefined;
      members += cls;
      i = close + 1;
      continue;
    }
    if (c === '\\') c = chars[++i] ?? '';
    if (i >= chars.length) return undefined;
    if (chars[i + 1] === '-' && i + 2 < chars.length && chars[i + 2] !== ']') {
      let hi = chars[i + 2] as string;
      i += 2;
      if (hi === '\\') hi = chars[++i] ?? '';
      if (i >= chars.length) return undefined;
      if ((c.codePointAt(0) ?? 0) <= (hi.codePointAt(0) ?? 0)) members += `${literal(c)}-${literal(hi)}`;
      continue;
    }
    members += literal(c);
  }
  return undefined;
}

/** Index of the ':' of the ':]' closing a `[:name:]` that starts at `from`, or -1. */
function posixClassEnd(chars: string[], from: number): number {
  for (let j = from; j + 1 < chars.length; j++) if (chars[j] === ':' && chars[j + 1] === ']') return j;
  return -1;
}

/** A character as a regex literal that is safe both inside and outside a class (unicode mode). */
function literal(c: string): string {
  return /^[A-Za-z0-9_]$/.test(c) ? c : `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`;
}

function normaliseBase(base: string): string {
  const b = base.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  return b === '.' ? '' : b;
}
