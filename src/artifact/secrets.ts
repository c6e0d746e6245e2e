/**
 * Pure detectors for credentials in a file's text (issue 28 §4): a plaintext Kubernetes Secret
 * (`kind: Secret` with `data`/`stringData` and no `sops:` metadata, in any document of a multi-document
 * YAML or JSON file), a PEM private key (never a public key or certificate), a `.env` file with
 * `KEY=VALUE` lines, and a kubeconfig with an embedded token, client key or password.
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import type { FindingKind } from '../core/findings.js';

/** One detector's hit, before the guard adds the paths. */
export interface Hit {
  kind: FindingKind;
  line?: number;
  message: string;
}

/** Which detectors a file gets, by its name: the guard reads only files some detector wants. */
export interface Interest {
  yaml: boolean;
  dotenv: boolean;
  pem: boolean;
}

const YAML_NAME = /\.(ya?ml|json)$/i;
const KUBECONFIG_NAME = /^(config|kubeconfig|.*\.kubeconfig)$/i;
const KEY_NAME = /\.(pem|key|p8|pk8)$|^id_(rsa|dsa|ecdsa|ed25519)$/i;

/** What to look for in a file called `name` (its base name); undefined: nothing, do not read it. */
export function interestIn(name: string): Interest | undefined {
  const dotenv = name.endsWith('.env'); // `.env` or `<anything>.env`
  const yaml = YAML_NAME.test(name) || KUBECONFIG_NAME.test(name);
  const pem = yaml || dotenv || KEY_NAME.test(name);
  return yaml || dotenv || pem ? { yaml, dotenv, pem } : undefined;
}

/** The kinds the YAML detector looks into (a Secret, a kubeconfig `Config`, a `List` holding either). */
const YAML_KINDS = ['Secret', 'Config', 'List'];
const YAML_KIND_WORD = new RegExp(`\\b(${YAML_KINDS.join('|')})\\b`);

/**
 * Whether a head of bytes can hold a hit at all, asked before it is decoded: the PEM and YAML detectors
 * need an ASCII marker (`PRIVATE KEY-----`; `Secret`, `Config` or `List`), and ASCII bytes are the same
 * characters in the text, so a native byte search skips the decoding and the regular expressions for
 * the manifests (nearly all) that have none. `.env` files are always read.
 */
export function mayHit(want: Interest, head: Buffer): boolean {
  if (want.dotenv) return true;
  if (want.pem && head.includes('PRIVATE KEY-----')) return true;
  return want.yaml && YAML_KINDS.some((k) => head.includes(k));
}

/** The 1-based line of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** `-----BEGIN … PRIVATE KEY-----` (RSA, EC, OPENSSH, ENCRYPTED, PKCS#8…); `PUBLIC KEY` and `CERTIFICATE` blocks are fine. */
export function pemHits(text: string): Hit[] {
  const m = /-----BEGIN ([A-Z0-9 ]*?)PRIVATE KEY-----/.exec(text);
  if (!m) return [];
  return [{ kind: 'private-key', line: lineAt(text, m.index), message: `a PEM private key (${`${m[1] ?? ''}PRIVATE KEY`.trim()})` }];
}

/** The first `KEY=VALUE` line (an optional `export `, a non-empty value) of a `.env` file. */
export function dotenvHits(text: string): Hit[] {
  const m = /^[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.]*[ \t]*=[ \t]*\S/m.exec(text);
  return m ? [{ kind: 'dotenv', line: lineAt(text, m.index), message: 'a .env file with KEY=VALUE lines' }] : [];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/**
 * True when a `data`/`stringData` map holds a real value: a Helm template (`{{ … }}`) or a Flux
 * substitution variable (`${DB_PASSWORD}`) is filled in later, somewhere else, so it is no secret here.
 */
const nonEmpty = (v: unknown): boolean =>
  isObj(v) && Object.entries(v).some(([k, x]) => typeof x === 'string' && x !== '' && !k.includes('{{') && !x.includes('{{') && !/^\$\{[^}]+\}$/.test(x.trim()));

/** One Kubernetes object (or each item of a `kind: List`): a plaintext Secret, or a kubeconfig with credentials. */
function objectHits(o: Obj, line: number, out: Hit[]): void {
  if (o.kind === 'List' && Array.isArray(o.items)) {
    for (const item of o.items) if (isObj(item)) objectHits(item, line, out);
    return;
  }
  if (o.kind === 'Secret' && (nonEmpty(o.data) || nonEmpty(o.stringData)) && !('sops' in o)) {
    const name = isObj(o.metadata) && typeof o.metadata.name === 'string' ? ` "${o.metadata.name}"` : '';
    out.push({ kind: 'kubernetes-secret', line, message: `a Kubernetes Secret${name} with plaintext ${nonEmpty(o.stringData) ? 'stringData' : 'data'} (no sops metadata)` });
  } else if (o.kind === 'Config' && Array.isArray(o.users) && !('sops' in o)) {
    const embedded = ['token', 'client-key-data', 'password'];
    const found = o.users.flatMap((u) => (isObj(u) && isObj(u.user) ? embedded.filter((k) => typeof (u.user as Obj)[k] === 'string' && (u.user as Obj)[k] !== '') : []));
    if (found.length > 0) out.push({ kind: 'kubeconfig', line, message: `a kubeconfig with embedded credentials (${[...new Set(found)].join(', ')})` });
  }
}

/** Secrets and kubeconfigs in every document of a YAML (or JSON) text; text that is no YAML finds nothing. */
export function yamlHits(text: string): Hit[] {
  // Only a text that names one of the kinds is parsed: most manifests are not worth a parse.
  if (!YAML_KIND_WORD.test(text)) return [];
  const out: Hit[] = [];
  const lines = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false, strict: false });
  } catch {
    return [];
  }
  if (!Array.isArray(docs)) return []; // an empty stream
  for (const doc of docs) {
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch {
      continue; // a broken document (a Helm template, a cut head) is not a manifest
    }
    const start = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
    if (isObj(value)) objectHits(value, lines.linePos(start).line, out);
  }
  return out;
}

/** Every hit in a file called `name` whose start is `text`. */
export function hitsIn(name: string, text: string): Hit[] {
  const want = interestIn(name);
  if (!want) return [];
  const hits: Hit[] = [];
  if (want.pem) hits.push(...pemHits(text));
  if (want.dotenv) hits.push(...dotenvHits(text));
  if (want.yaml) hits.push(...yamlHits(text));
  return hits;
}
