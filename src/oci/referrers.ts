/**
 * The one reader of a referrers index: the referrers API's answer (distribution-spec v1.1 "Listing
 * Referrers") and the index of the "Referrers Tag Schema" (`<alg>-<hex>`), wherever it is read (the
 * registry's fallback, attach, signature discovery, a layout's listing).
 *
 * One outcome for bytes that cannot be read as an OCI image index (not JSON, not an object, not an
 * index, malformed descriptors): BAD_MANIFEST (exit 1), from the one manifest parser. The store
 * answered and its answer is unreadable, so "no referrers" would be a guess: `verify` must tell
 * "unsigned" from "could not look" (SPEC §7), and attach must not overwrite what it cannot read.
 * Two answers are read as empty, with a note: the tag answering the subject itself (GitLab), and an
 * OCI index whose `manifests` is null (a Go nil slice). An entry naming the subject is dropped, with a note.
 */
import { createHash } from 'node:crypto';
import type { Descriptor, ImageIndex } from './descriptor.js';
import { badManifest, checkManifest, manifestDoc } from './manifest.js';
import { MT } from './mediatypes.js';

export interface ReferrersReadOptions {
  /** The digest whose referrers these are. */
  subject: string;
  /** For messages, after `referrers index`: `host/repo:sha256-<hex>`, or `of sha256:… from host/repo`. */
  where: string;
  /** Keep only entries of this artifactType. */
  artifactType?: string;
}

export interface ReferrersRead {
  /** The referrers listed (subject entries dropped, filtered by artifactType when asked). */
  manifests: Descriptor[];
  /** Every entry as stored except those naming the subject (what an update keeps), unfiltered. */
  kept: Descriptor[];
  /** True when the bytes are the subject itself, not an index (GitLab answers the subject for the tag). */
  servedSubject: boolean;
  /** Warnings for the caller to pass on (one per kind of oddity). */
  notes: string[];
}

/** Read referrers-index bytes for `subject` (see the file comment for the one error outcome). */
export function readReferrersIndex(bytes: Uint8Array, opts: ReferrersReadOptions): ReferrersRead {
  const { subject } = opts;
  const ctx = { where: opts.where, noun: 'referrers index', mediaType: MT.ociIndex };
  if (hashes(bytes, subject)) {
    return { manifests: [], kept: [], servedSubject: true, notes: [`${ctx.noun} ${ctx.where} answers the subject ${subject} itself; read as empty`] };
  }
  const doc = manifestDoc(bytes, ctx);
  if (doc.mediaType === MT.ociIndex && (doc.manifests === null || doc.manifests === undefined)) doc.manifests = [];
  const m = checkManifest(doc, ctx);
  if (doc.mediaType !== undefined && doc.mediaType !== MT.ociIndex) throw badManifest(ctx, `is ${String(doc.mediaType)}, not an OCI image index`);
  const all = (m as ImageIndex).manifests;
  const kept = all.filter((d) => d.digest !== subject);
  const notes = kept.length === all.length ? [] : [`the referrers of ${subject} (${ctx.noun} ${ctx.where}) list ${subject} itself; that entry is ignored`];
  const manifests = opts.artifactType === undefined ? kept : kept.filter((d) => d.artifactType === opts.artifactType);
  return { manifests, kept, servedSubject: false, notes };
}

/** True when the bytes hash to `digest` (in its own algorithm). */
function hashes(bytes: Uint8Array, digest: string): boolean {
  const i = digest.indexOf(':');
  const algorithm = digest.slice(0, i);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') return false;
  return createHash(algorithm).update(bytes).digest('hex') === digest.slice(i + 1);
}
