/**
 * Helm chart metadata: `Chart.yaml` parsed with a real YAML parser the way Helm 3 reads it
 * (helm.sh/helm/v3 pkg/chart Metadata, loaded through sigs.k8s.io/yaml, i.e. go-yaml v2 = YAML 1.1:
 * `yes`/`no` are booleans, timestamps stay strings, numbers in string fields become strings), then
 * sanitised and validated as `Metadata.Validate` does. Every problem is BAD_INPUT (exit 2) naming it.
 */
import { parseDocument, type Tags } from 'yaml';
import { OcipackError } from '../../core/errors.js';

export interface ChartMaintainer {
  name?: string;
  email?: string;
  url?: string;
}

export interface ChartDependency {
  name: string;
  version?: string;
  repository: string;
  condition?: string;
  tags?: string[];
  enabled?: boolean;
  importValues?: unknown[];
  alias?: string;
}

/** Helm's `chart.Metadata`, field for field (JSON names in comments where they differ). */
export interface ChartMetadata {
  name: string;
  home?: string;
  sources?: string[];
  version: string;
  description?: string;
  keywords?: string[];
  maintainers?: ChartMaintainer[];
  icon?: string;
  apiVersion: string;
  condition?: string;
  /** A comma-separated string in Helm (not a list). */
  tags?: string;
  appVersion?: string;
  deprecated?: boolean;
  annotations?: Record<string, string>;
  kubeVersion?: string;
  dependencies?: ChartDependency[];
  type?: string;
}

/** What `inspect` and `pull` show about a chart, read from its config blob. */
export interface ChartSummary {
  name: string;
  version: string;
  appVersion?: string;
  apiVersion?: string;
  type?: string;
  description?: string;
}

type Obj = Record<string, unknown>;

/** Masterminds/semver `NewVersion` (what Helm accepts): optional `v`, minor and patch optional. */
const LOOSE_SEMVER = /^v?(0|[1-9]\d*|\d+)(\.\d+)?(\.\d+)?(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const ALIAS = /^[a-zA-Z0-9_-]+$/;

/** Parses and validates a Chart.yaml text; `where` names the file in messages. */
export function parseChartYaml(text: string, where = 'Chart.yaml'): ChartMetadata {
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), {
    version: '1.1',
    uniqueKeys: true,
    prettyErrors: false,
    customTags: goYamlTags,
  });
  const first = doc.errors[0];
  if (first) throw bad(`${where} is not valid YAML: ${first.message.split('\n')[0]}`);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw bad(`${where} is not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : 'error'}`);
  }
  if (data === null || data === undefined) throw bad(`${where} is empty`);
  if (!isObj(data)) throw bad(`${where} must be a mapping of fields, e.g. "name: mychart"`);
  return validate(readMetadata(data, where), where);
}

/** go-yaml v2 has no sexagesimal numbers and keeps timestamps as strings. */
function goYamlTags(tags: Tags): Tags {
  return tags.filter((t) => {
    const tag = typeof t === 'string' ? t : t.tag;
    const format = typeof t === 'string' ? undefined : (t as { format?: string }).format;
    return tag !== 'tag:yaml.org,2002:timestamp' && format !== 'TIME';
  });
}

function readMetadata(o: Obj, where: string): ChartMetadata {
  const f = new Fields(o, where);
  const md: ChartMetadata = { name: f.str('name') ?? '', version: f.str('version') ?? '', apiVersion: f.str('apiVersion') ?? '' };
  assign(md, 'home', f.str('home'));
  assign(md, 'sources', f.strList('sources'));
  assign(md, 'description', f.str('description'));
  assign(md, 'keywords', f.strList('keywords'));
  assign(md, 'maintainers', f.list('maintainers', (m, at) => readMaintainer(m, at)));
  assign(md, 'icon', f.str('icon'));
  assign(md, 'condition', f.str('condition'));
  assign(md, 'tags', f.str('tags'));
  assign(md, 'appVersion', f.str('appVersion'));
  assign(md, 'deprecated', f.bool('deprecated'));
  assign(md, 'annotations', f.strMap('annotations'));
  assign(md, 'kubeVersion', f.str('kubeVersion'));
  assign(md, 'dependencies', f.list('dependencies', (d, at) => readDependency(d, at)));
  assign(md, 'type', f.str('type'));
  return md;
}

function readMaintainer(v: unknown, at: string): ChartMaintainer {
  if (!isObj(v)) throw bad(`${at}: maintainers must not contain empty or null entries`);
  const f = new Fields(v, at);
  const m: ChartMaintainer = {};
  assign(m, 'name', f.str('name'));
  assign(m, 'email', f.str('email'));
  assign(m, 'url', f.str('url'));
  return m;
}

function readDependency(v: unknown, at: string): ChartDependency {
  if (!isObj(v)) throw bad(`${at}: dependencies must not contain empty or null entries`);
  const f = new Fields(v, at);
  const d: ChartDependency = { name: f.str('name') ?? '', repository: f.str('repository') ?? '' };
  assign(d, 'version', f.str('version'));
  assign(d, 'condition', f.str('condition'));
  assign(d, 'tags', f.strList('tags'));
  assign(d, 'enabled', f.bool('enabled'));
  assign(d, 'importValues', f.list('import-values', (x) => x));
  assign(d, 'alias', f.str('alias'));
  return d;
}

/** Typed access to one YAML mapping with Go's coercions; a wrong type names the field. */
class Fields {
  constructor(private readonly o: Obj, private readonly where: string) {}

  str(key: string): string | undefined {
    return scalarString(this.o[key], `${this.where}: ${key}`);
  }

  bool(key: string): boolean | undefined {
    const v = this.o[key];
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'boolean') throw bad(`${this.where}: ${key} must be true or false`);
    return v;
  }

  strList(key: string): string[] | undefined {
    return this.list(key, (x, at) => scalarString(x, at) ?? '');
  }

  list<T>(key: string, item: (v: unknown, at: string) => T): T[] | undefined {
    const v = this.o[key];
    if (v === null || v === undefined) return undefined;
    if (!Array.isArray(v)) throw bad(`${this.where}: ${key} must be a list`);
    return v.map((x, i) => item(x, `${this.where}: ${key}[${i}]`));
  }

  strMap(key: string): Record<string, string> | undefined {
    const v = this.o[key];
    if (v === null || v === undefined) return undefined;
    if (!isObj(v)) throw bad(`${this.where}: ${key} must be a mapping of strings`);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) out[k] = scalarString(x, `${this.where}: ${key}.${k}`) ?? '';
    return out;
  }
}

/** A string field: strings as they are, numbers and booleans as text (sigs.k8s.io/yaml does the same). */
function scalarString(v: unknown, at: string): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  throw bad(`${at} must be a string`);
}

/** `Metadata.Validate`: sanitise strings, then the checks Helm makes, in Helm's order. */
function validate(md: ChartMetadata, where: string): ChartMetadata {
  for (const k of ['name', 'description', 'home', 'icon', 'condition', 'tags', 'appVersion', 'kubeVersion'] as const) {
    const v = md[k];
    if (v !== undefined) md[k] = sanitize(v);
  }
  if (md.sources) md.sources = md.sources.map(sanitize);
  if (md.keywords) md.keywords = md.keywords.map(sanitize);
  // Helm's loader treats a missing apiVersion as a Helm 2 (v1) chart.
  if (md.apiVersion === '') md.apiVersion = 'v1';
  if (md.name === '') throw bad(`${where}: name is required`);
  if (md.name === '.' || md.name === '..' || md.name.includes('/')) throw bad(`${where}: name ${JSON.stringify(md.name)} is invalid`);
  if (md.version === '') throw bad(`${where}: version is required`);
  if (!isChartVersion(md.version)) throw bad(`${where}: version ${JSON.stringify(md.version)} is not a valid semantic version`);
  if (md.type !== undefined && md.type !== '' && md.type !== 'application' && md.type !== 'library') {
    throw bad(`${where}: type must be application or library, got ${JSON.stringify(md.type)}`);
  }
  for (const m of md.maintainers ?? []) for (const k of ['name', 'email', 'url'] as const) if (m[k] !== undefined) m[k] = sanitize(m[k]);
  const seen = new Set<string>();
  for (const d of md.dependencies ?? []) {
    for (const k of ['name', 'version', 'repository', 'condition'] as const) if (d[k] !== undefined) d[k] = sanitize(d[k]);
    if (d.tags) d.tags = d.tags.map(sanitize);
    if (d.alias !== undefined && d.alias !== '' && !ALIAS.test(d.alias)) {
      throw bad(`${where}: dependency ${JSON.stringify(d.name)} has disallowed characters in the alias`);
    }
    const key = d.alias || d.name;
    if (seen.has(key)) throw bad(`${where}: more than one dependency with name or alias ${JSON.stringify(key)}`);
    seen.add(key);
  }
  return md;
}

/** True for what Helm accepts as a chart version (Masterminds semver, loose form). */
export function isChartVersion(v: string): boolean {
  const m = LOOSE_SEMVER.exec(v);
  if (!m) return false;
  const pre = m[4]?.slice(1).split('.') ?? [];
  return pre.every((id) => !/^\d+$/.test(id) || id === '0' || !id.startsWith('0'));
}

/** Go's sanitizeString: every Unicode space becomes ' ', non-printable characters are dropped. */
export function sanitize(s: string): string {
  return s.replace(/\p{White_Space}/gu, ' ').replace(/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu, '');
}

/** Name, version and appVersion from a Helm config blob; undefined when it is not chart metadata. */
export function chartSummary(configBytes: Buffer): ChartSummary | undefined {
  let c: unknown;
  try {
    c = JSON.parse(configBytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObj(c) || typeof c.name !== 'string' || typeof c.version !== 'string') return undefined;
  const s: ChartSummary = { name: c.name, version: c.version };
  for (const k of ['appVersion', 'apiVersion', 'type', 'description'] as const) {
    const v = c[k];
    if (typeof v === 'string' && v !== '') s[k] = v;
  }
  return s;
}

function assign<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Map);
}

function bad(message: string): OcipackError {
  return new OcipackError('BAD_INPUT', message);
}
