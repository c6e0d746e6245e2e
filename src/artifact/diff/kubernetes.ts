/**
 * `diff --kubernetes`: the changed YAML files of two trees seen as the Kubernetes objects they declare.
 * An object is who it is in a cluster — API group, kind, namespace (missing: empty, never `default`),
 * name — whichever file or document holds it; it is compared by its canonical YAML (keys sorted,
 * comments and layout gone), so an object that only moved to another file is `moved`, not changed.
 * `List` kinds are expanded into their items, as kubectl applies them.
 */
import { parseAllDocuments, stringify } from 'yaml';
import { DEFAULTS } from '../../core/defaults.js';
import { unifiedPatch } from './patch.js';

/** One object as a file declares it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** The file that holds it. */
  path: string;
  /** Canonical YAML: sorted keys, no comments. */
  yaml: string;
  value: Record<string, unknown>;
}

export type ObjectStatus = 'added' | 'removed' | 'changed' | 'moved';

export interface ObjectChange {
  status: ObjectStatus;
  /** flux's spelling: `Kind/namespace/name`, or `Kind/name` without a namespace. */
  id: string;
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** The file holding it in b (absent for removed). */
  path?: string;
  /** The file holding it in a, when it is not `path` (absent for added). */
  from?: string;
  /** For changed: the paths that differ (`spec.replicas`, `metadata.labels["app"]`), at most DEFAULTS.caps.diffObjectPaths. */
  paths?: string[];
  /** Changed paths beyond those listed. */
  morePaths?: number;
  /** With `unified`: the unified diff of the canonical YAML, a → b. */
  patch?: string;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A document as an object (or the items of a List), or nothing when it declares no Kubernetes object. */
function objectsOf(v: unknown, path: string, out: KubeObject[]): void {
  if (!isMap(v) || typeof v.apiVersion !== 'string' || typeof v.kind !== 'string') return;
  if (v.kind.endsWith('List') && Array.isArray(v.items)) {
    for (const item of v.items) objectsOf(item, path, out);
    return;
  }
  const meta = v.metadata;
  if (!isMap(meta) || typeof meta.name !== 'string' || meta.name === '') return;
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
  out.push({ apiVersion: v.apiVersion, kind: v.kind, namespace, name: meta.name, path, yaml: stringify(v, { sortMapEntries: true }), value: v });
}

/** The objects a (multi-document) YAML file declares; throws a plain Error when it is not valid YAML. */
export function parseObjects(text: string, path: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    const err = doc.errors[0];
    if (err) throw new Error((err.message.split('\n')[0] ?? '').replace(/:$/, ''));
    objectsOf(doc.toJS(), path, out);
  }
  return out;
}

/** Where an object lives in a cluster: its API group (not version: a v1beta1 → v1 move is a change), kind, namespace, name. */
function identity(o: KubeObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.lastIndexOf('/')) : '';
  return JSON.stringify([group, o.kind, o.namespace, o.name]);
}

/** `Kind/namespace/name`, or `Kind/name` for an object without a namespace (flux's spelling). */
export function objectId(o: Pick<KubeObject, 'kind' | 'namespace' | 'name'>): string {
  return o.namespace === '' ? `${o.kind}/${o.name}` : `${o.kind}/${o.namespace}/${o.name}`;
}

/** Objects by identity; a second declaration of the same object is reported to `warn` and ignored. */
function index(objects: readonly KubeObject[], warn: (message: string) => void): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const o of objects) {
    const seen = out.get(identity(o));
    if (seen) warn(`${objectId(o)} is declared twice (${seen.path}, ${o.path}); the first is compared`);
    else out.set(identity(o), o);
  }
  return out;
}

/** Added, removed, changed and moved objects from a's objects to b's, sorted by id. */
export function compareObjects(a: readonly KubeObject[], b: readonly KubeObject[], opts: { unified?: boolean; warn?: (m: string) => void } = {}): ObjectChange[] {
  const warn = opts.warn ?? (() => undefined);
  const before = index(a, warn);
  const after = index(b, warn);
  const out: ObjectChange[] = [];
  for (const [key, o] of after) {
    const old = before.get(key);
    if (!old) out.push({ ...base(o, 'added'), path: o.path, ...(opts.unified ? { patch: unifiedPatch(objectId(o), undefined, o.yaml) } : {}) });
    else if (old.yaml !== o.yaml) out.push(changed(old, o, opts.unified ?? false));
    else if (old.path !== o.path) out.push({ ...base(o, 'moved'), path: o.path, from: old.path });
  }
  for (const [key, o] of before) {
    if (!after.has(key)) out.push({ ...base(o, 'removed'), from: o.path, ...(opts.unified ? { patch: unifiedPatch(objectId(o), o.yaml, undefined) } : {}) });
  }
  return out.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : x.status < y.status ? -1 : 1));
}

function base(o: KubeObject, status: ObjectStatus): ObjectChange {
  return { status, id: objectId(o), apiVersion: o.apiVersion, kind: o.kind, namespace: o.namespace, name: o.name };
}

function changed(old: KubeObject, o: KubeObject, unified: boolean): ObjectChange {
  const all: string[] = [];
  changedPaths(old.value, o.value, '', all);
  const max = DEFAULTS.caps.diffObjectPaths;
  const c: ObjectChange = { ...base(o, 'changed'), path: o.path, paths: all.slice(0, max) };
  if (old.path !== o.path) c.from = old.path;
  if (all.length > max) c.morePaths = all.length - max;
  if (unified) c.patch = unifiedPatch(objectId(o), old.yaml, o.yaml);
  return c;
}

/** A map key as a path segment: `.name`, or `["app.kubernetes.io/name"]` when it is no plain word. */
function keySegment(prefix: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? (prefix === '' ? key : `${prefix}.${key}`) : `${prefix}[${JSON.stringify(key)}]`;
}

/** The deepest paths where two parsed YAML values differ (a list is compared item by item). */
export function changedPaths(a: unknown, b: unknown, prefix: string, out: string[]): void {
  if (isMap(a) && isMap(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) changedPaths(a[k], b[k], keySegment(prefix, k), out);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) changedPaths(a[i], b[i], `${prefix}[${i}]`, out);
  } else if (!sameValue(a, b)) {
    out.push(prefix === '' ? '.' : prefix);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}
