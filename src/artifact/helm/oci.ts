/**
 * The OCI shape `helm push` writes (Helm 3.8+, helm.sh/helm/v3 pkg/registry client.go Push and
 * chart.go): config = `json.Marshal(chart.Metadata)` with media type
 * `application/vnd.cncf.helm.config.v1+json`; layers = the chart .tgz and, when present, the
 * provenance file, sorted by digest; manifest = Go's `ocispec.Manifest` marshalled (no `mediaType`
 * field, annotations as a sorted map); tag = the chart version with '+' written as '_'.
 */
import { createHash } from 'node:crypto';
import { ANNOTATIONS, MT } from '../../oci/mediatypes.js';
import type { Descriptor } from '../../oci/descriptor.js';
import type { Blob } from '../flux/manifest.js';
import type { ChartDependency, ChartMetadata } from './chart.js';

const AUTHORS = 'org.opencontainers.image.authors';
const URL_KEY = 'org.opencontainers.image.url';
/** Chart annotations may not override these (chart.go immutableOciAnnotations). */
const IMMUTABLE = new Set<string>([ANNOTATIONS.version, ANNOTATIONS.title]);

/** The registry tag Helm uses for a chart version: '+' is not allowed in tags, so it becomes '_'. */
export function chartTag(version: string): string {
  return version.replace(/\+/g, '_');
}

/** The config blob: chart metadata as Go's encoding/json writes it (struct field order, omitempty). */
export function chartConfig(md: ChartMetadata): Blob {
  const o: Array<[string, unknown]> = [
    ['name', md.name], ['home', md.home], ['sources', md.sources], ['version', md.version],
    ['description', md.description], ['keywords', md.keywords],
    ['maintainers', md.maintainers?.map((m) => goStruct([['name', m.name], ['email', m.email], ['url', m.url]]))],
    ['icon', md.icon], ['apiVersion', md.apiVersion], ['condition', md.condition], ['tags', md.tags],
    ['appVersion', md.appVersion], ['deprecated', md.deprecated || undefined], ['annotations', md.annotations],
    ['kubeVersion', md.kubeVersion], ['dependencies', md.dependencies?.map(dependencyJson)], ['type', md.type],
  ];
  return blob(MT.helmConfig, goJson(goStruct(o)));
}

function dependencyJson(d: ChartDependency): GoStruct {
  return goStruct([
    ['name', d.name], ['version', d.version], ['repository', d.repository], ['condition', d.condition],
    ['tags', d.tags], ['enabled', d.enabled || undefined], ['import-values', d.importValues], ['alias', d.alias],
  ], new Set(['name', 'repository']));
}

/** Manifest annotations as chart.go's generateOCIAnnotations makes them (empty values left out). */
export function chartAnnotations(md: ChartMetadata, created: string): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (k: string, v: string | undefined) => {
    if (v !== undefined && v.trim() !== '') out[k] = v;
  };
  add(ANNOTATIONS.description, md.description);
  add(ANNOTATIONS.title, md.name);
  add(ANNOTATIONS.version, md.version);
  add(URL_KEY, md.home);
  add(ANNOTATIONS.created, created);
  add(ANNOTATIONS.source, md.sources?.[0]);
  if (md.maintainers && md.maintainers.length > 0) {
    add(AUTHORS, md.maintainers.map((m) => `${m.name ?? ''}${m.email ? ` (${m.email})` : ''}`).join(', '));
  }
  for (const [k, v] of Object.entries(md.annotations ?? {})) if (!IMMUTABLE.has(k)) out[k] = v;
  return out;
}

/** The image manifest bytes helm writes: layers sorted by digest, no top-level mediaType. */
export function helmManifest(config: Descriptor, layers: Descriptor[], annotations: Record<string, string>): Blob {
  const sorted = [...layers].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  const desc = (d: Descriptor) => goStruct(
    [['mediaType', d.mediaType], ['digest', d.digest], ['size', d.size], ['annotations', d.annotations]],
    DESCRIPTOR_KEYS,
  );
  const m = goStruct(
    [['schemaVersion', 2], ['config', desc(config)], ['layers', sorted.map(desc)], ['annotations', annotations]],
    MANIFEST_KEYS,
  );
  return blob(MT.ociManifest, goJson(m));
}

const DESCRIPTOR_KEYS: ReadonlySet<string> = new Set(['mediaType', 'digest', 'size']);
const MANIFEST_KEYS: ReadonlySet<string> = new Set(['schemaVersion', 'config', 'layers']);

/** An object whose key order is fixed (a Go struct); `undefined`/empty values are omitted. */
const NO_KEYS: ReadonlySet<string> = new Set();

class GoStruct {
  constructor(readonly fields: Array<[string, unknown]>) {}
}

function goStruct(fields: Array<[string, unknown]>, always: ReadonlySet<string> = NO_KEYS): GoStruct {
  const kept: Array<[string, unknown]> = [];
  for (const [k, v] of fields) {
    if (always.has(k)) kept.push([k, v ?? '']);
    else if (!isEmpty(v)) kept.push([k, v]);
  }
  return new GoStruct(kept);
}

/** Go's omitempty: "", 0, false, nil, and empty slices and maps. */
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object' && !(v instanceof GoStruct)) return Object.keys(v).length === 0;
  return false;
}

/**
 * JSON as Go's encoding/json writes it: struct fields in order, maps with sorted keys, and the
 * HTML-safe escapes `<` `>` `&` U+2028 U+2029 as \u003c \u003e \u0026 \u2028 \u2029.
 */
export function goJson(v: unknown): Buffer {
  return Buffer.from(encode(v), 'utf8');
}

function encode(v: unknown): string {
  if (v instanceof GoStruct) return `{${v.fields.map(([k, x]) => `${str(k)}:${encode(x)}`).join(',')}}`;
  if (typeof v === 'string') return str(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(encode).join(',')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((k) => `${str(k)}:${encode((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return 'null';
}

function str(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function blob(mediaType: string, bytes: Buffer): Blob {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  return { descriptor: { mediaType, digest, size: bytes.length }, bytes };
}
