/**
 * The one manifest parser (image-spec manifest.md, image-index.md): bytes in, a checked image manifest
 * or index out, or one BAD_MANIFEST error per defect naming where the bytes came from. BAD_MANIFEST is
 * exit 1 whether a registry or a layout served the bytes: stored data, not something the user typed
 * (README "Exit codes"). A digest mismatch is not seen here: the store checks the bytes first (VERIFY).
 */
import { OcipackError } from '../core/errors.js';
import { isIndex, type Descriptor, type Manifest } from './descriptor.js';
import { isDigest } from './digest.js';
import { isIndexType, MANIFEST_MEDIA_TYPES, MT } from './mediatypes.js';

/** Where manifest bytes came from, and what the descriptor (or server) that led to them declared. */
export interface ManifestContext {
  /** For messages: a digest, or `repo:tag`. */
  where: string;
  /** What the bytes should be, for messages (default `manifest`; the referrers reader says `referrers index`). */
  noun?: string;
  /** The declared media type; an index where an image manifest was declared (or the reverse) is a defect. */
  mediaType?: string;
}

/** A parsed JSON object, before its shape is checked. */
export type ManifestDoc = Record<string, unknown>;

/** True for an object with the three fields every descriptor must have, of the right types. */
export function isDescriptor(d: unknown): d is Descriptor {
  const x = d as Partial<Descriptor> | null;
  return typeof x === 'object' && x !== null && typeof x.digest === 'string' && typeof x.size === 'number'
    && Number.isSafeInteger(x.size) && x.size >= 0 && typeof x.mediaType === 'string';
}

/** Parse manifest bytes; `context` is where they came from (a digest or `repo:tag`), or that plus the declared media type. */
export function parseManifest(bytes: Uint8Array, context: string | ManifestContext): Manifest {
  const ctx = typeof context === 'string' ? { where: context } : context;
  return checkManifest(manifestDoc(bytes, ctx), ctx);
}

/** Bytes to a JSON object: BAD_MANIFEST when they are not JSON, or JSON but not an object. */
export function manifestDoc(bytes: Uint8Array, ctx: ManifestContext): ManifestDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw badManifest(ctx, 'is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw badManifest(ctx, 'is not a JSON object');
  return doc as ManifestDoc;
}

/**
 * A parsed object to a Manifest, one error per defect: schemaVersion other than 2, a mediaType that is
 * no manifest type, a shape that is neither an image manifest nor an index (or not the declared one),
 * missing or malformed descriptors (their digests included).
 */
export function checkManifest(doc: ManifestDoc, ctx: ManifestContext): Manifest {
  const where = ctx;
  if (doc.schemaVersion !== 2) throw badManifest(where, `has schemaVersion ${shown(doc.schemaVersion)}, not 2`);
  const declared = doc.mediaType;
  if (declared !== undefined && !(typeof declared === 'string' && (MANIFEST_MEDIA_TYPES as readonly string[]).includes(declared))) {
    throw badManifest(where, `has an unknown mediaType ${shown(declared)}`);
  }
  const kind = declared !== undefined ? (isIndexType(declared) ? 'index' : 'image') : shapeOf(doc);
  if (kind === undefined) throw badManifest(where, 'is neither an image manifest nor an index');
  const expected = ctx.mediaType;
  if (expected !== undefined && isManifestType(expected) && (isIndexType(expected) ? 'index' : 'image') !== kind) {
    throw badManifest(where, `is ${kind === 'index' ? 'an index' : 'an image manifest'} where ${expected} was expected`);
  }
  if (kind === 'index') {
    if (!Array.isArray(doc.manifests)) throw badManifest(where, 'is an index without a manifests list');
    checkDescriptors(doc.manifests, where);
  } else {
    if (doc.config === undefined || !Array.isArray(doc.layers)) throw badManifest(where, 'is an image manifest without config and layers');
    checkDescriptors([doc.config, ...doc.layers], where);
  }
  if (doc.subject !== undefined) checkDescriptors([doc.subject], where);
  return doc as unknown as Manifest;
}

/** What a manifest points at: an index's manifests, or an image's config and layers (`subject` is not followed). */
export function successors(m: Manifest): Descriptor[] {
  return isIndex(m) ? m.manifests : [m.config, ...m.layers];
}

/**
 * A manifest's media type without checking it whole: its own `mediaType`, else the `contentType` it
 * was served with (unless generic JSON or text), else what its shape implies; undefined when none says.
 */
export function sniffMediaType(bytes: Uint8Array, contentType?: string): string | undefined {
  let doc: { mediaType?: unknown; manifests?: unknown; config?: unknown } | undefined;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof doc;
  } catch {
    doc = undefined;
  }
  if (typeof doc?.mediaType === 'string' && doc.mediaType !== '') return doc.mediaType;
  if (contentType !== undefined && contentType !== 'application/json' && contentType !== 'text/plain') return contentType;
  if (typeof doc !== 'object' || doc === null) return undefined;
  if (Array.isArray(doc.manifests)) return MT.ociIndex;
  return typeof doc.config === 'object' && doc.config !== null ? MT.ociManifest : undefined;
}

function shapeOf(doc: ManifestDoc): 'index' | 'image' | undefined {
  if (Array.isArray(doc.manifests)) return 'index';
  return typeof doc.config === 'object' && doc.config !== null && Array.isArray(doc.layers) ? 'image' : undefined;
}

function isManifestType(mediaType: string): boolean {
  return (MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

/** Each must be a descriptor; a malformed digest inside one is bad stored data (exit 1), never a usage error. */
function checkDescriptors(ds: readonly unknown[], where: ManifestContext): void {
  if (!ds.every(isDescriptor)) throw badManifest(where, 'has malformed descriptors');
  const wrong = ds.find((d) => !isDigest(d.digest));
  if (wrong) throw badManifest(where, `has a malformed digest ${JSON.stringify(wrong.digest.slice(0, 80))}`);
}

function shown(v: unknown): string {
  return v === undefined ? 'missing' : JSON.stringify(v)?.slice(0, 80) ?? String(v);
}

/** The one error of this parser: BAD_MANIFEST, `<noun> <where> <defect>`. */
export function badManifest(ctx: ManifestContext, what: string): OcipackError {
  return new OcipackError('BAD_MANIFEST', `${ctx.noun ?? 'manifest'} ${ctx.where} ${what}`);
}
