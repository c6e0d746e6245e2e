/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1 / RFC 7235 §2.1): several challenges per header,
 * case-insensitive schemes and parameter names, quoted values with backslash escapes, commas inside
 * quotes, and token68. Pure and lenient: junk is skipped, never thrown.
 */

export interface Challenge {
  /** Lower case: 'bearer', 'basic', ... */
  scheme: string;
  /** Parameter names in lower case; values unquoted and unescaped. */
  params: Record<string, string>;
  /** The token68 form (`Negotiate abc==`), when used instead of parameters. */
  token68?: string;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*(?=[ \t]*(?:,|$))/y;
const WS = /[ \t]*/y;
const SEPARATORS = /[ \t,]*/y;
const BARE_VALUE = /[^\s,]*/y;

class Scanner {
  pos = 0;
  constructor(readonly s: string) {}
  get eof(): boolean {
    return this.pos >= this.s.length;
  }
  peek(): string {
    return this.s.charAt(this.pos);
  }
  match(re: RegExp): string {
    re.lastIndex = this.pos;
    const m = re.exec(this.s);
    if (!m) return '';
    this.pos += m[0].length;
    return m[0];
  }
  quoted(): string {
    let out = '';
    this.pos++; // opening quote
    while (!this.eof) {
      const c = this.s.charAt(this.pos++);
      if (c === '"') return out;
      if (c === '\\' && !this.eof) out += this.s.charAt(this.pos++);
      else out += c;
    }
    return out; // unterminated: take what there is
  }
  value(): string {
    this.match(WS);
    return this.peek() === '"' ? this.quoted() : this.match(BARE_VALUE);
  }
  skipJunk(): void {
    while (!this.eof && this.peek() !== ',') {
      if (this.peek() === '"') this.quoted();
      else this.pos++;
    }
  }
}

/** All challenges in one `WWW-Authenticate` value (or several values joined with ', '). */
export function parseChallenges(header: string): Challenge[] {
  const s = new Scanner(header);
  const out: Challenge[] = [];
  let current: Challenge | undefined;
  for (;;) {
    s.match(SEPARATORS);
    if (s.eof) break;
    const name = s.match(TOKEN);
    if (name === '') {
      s.skipJunk();
      continue;
    }
    s.match(WS);
    if (s.peek() === '=') {
      s.pos++;
      const value = s.value();
      if (current) current.params[name.toLowerCase()] = value;
      continue;
    }
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
    const token68 = s.match(TOKEN68);
    if (token68 !== '') current.token68 = token68;
  }
  return out;
}

/** The challenges of every `WWW-Authenticate` header of a response. */
export function challengesOf(value: string | string[] | undefined): Challenge[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap(parseChallenges);
}
