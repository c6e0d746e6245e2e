/** Manifest endpoints (OCI distribution-spec "Pulling manifests", "Pushing Manifests"). */
import { OcipackError } from '../core/errors.js';
import { discard, readCapped } from '../http/body.js';
import { failure } from './failure.js';
import { contentLength, header } from '../http/request.js';
import { MANIFEST_MEDIA_TYPES } from '../oci/mediatypes.js';
import { apiPath, ctxOf, type Repo } from './repo.js';

const ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

export interface RawManifest {
  bytes: Buffer;
  /** Content-Type as served, parameters stripped. */
  contentType: string | undefined;
  /** `Docker-Content-Digest` as served, if any: a hint, never trusted over the bytes. */
  servedDigest: string | undefined;
  /** `ETag` as served (distribution sends the digest in quotes), for a conditional update. */
  etag: string | undefined;
}

export interface ManifestHead {
  digest: string | undefined;
  size: number | undefined;
  contentType: string | undefined;
}

/** The media type of a Content-Type header, without parameters. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  const t = contentType?.split(';')[0]?.trim();
  return t ? t : undefined;
}

function capError(repo: Repo, reference: string, max: number): OcipackError {
  return new OcipackError('CAP', `manifest ${reference} in ${repo.client.host}/${repo.name} is larger than the ${max}-byte cap`, {
    context: { option: 'maxManifestBytes', next: 'raise-cap' },
  });
}

/** GET a manifest by tag or digest, reading at most `maxBytes`. */
export async function getManifest(repo: Repo, reference: string, maxBytes: number): Promise<RawManifest> {
  const res = await repo.client.send({
    method: 'GET', target: apiPath(repo, `manifests/${reference}`), scopes: repo.scopes, headers: { accept: ACCEPT },
  });
  if (res.status !== 200) return failure(res, ctxOf(repo, `manifest ${reference}`));
  const declared = contentLength(res);
  if (declared !== undefined && declared > maxBytes) {
    await discard(res.body);
    throw capError(repo, reference, maxBytes);
  }
  const { bytes, complete } = await readCapped(res.body, maxBytes);
  if (!complete) throw capError(repo, reference, maxBytes);
  return { bytes, contentType: mediaTypeOf(header(res, 'content-type')), servedDigest: header(res, 'docker-content-digest'), etag: header(res, 'etag') };
}

/** HEAD a manifest: what the registry says about it, or undefined when it does not exist. */
export async function headManifest(repo: Repo, reference: string): Promise<ManifestHead | undefined> {
  const res = await repo.client.send({
    method: 'HEAD', target: apiPath(repo, `manifests/${reference}`), scopes: repo.scopes, headers: { accept: ACCEPT },
  });
  if (res.status === 404) {
    await discard(res.body);
    return undefined;
  }
  if (res.status !== 200) return failure(res, ctxOf(repo, `manifest ${reference}`));
  await discard(res.body);
  return {
    digest: header(res, 'docker-content-digest'),
    size: contentLength(res),
    contentType: mediaTypeOf(header(res, 'content-type')),
  };
}

/** What a manifest PUT answered: the digest and `OCI-Subject` the registry reports, or a failed precondition. */
export interface PutManifestResult {
  digest: string | undefined;
  /** distribution-spec v1.1: set when the registry indexed the manifest's `subject` itself. */
  subject: string | undefined;
  /** 412: the `If-Match` / `If-None-Match` condition did not hold (someone else updated the tag). */
  preconditionFailed: boolean;
  /** With `tags`: those the registry confirmed in its `OCI-Tag` headers (none when it ignored the parameters). */
  tags: string[];
}

/** Conditions of a manifest PUT, and the tags to ask for by `?tag=` parameters (a PUT by digest). */
export interface PutManifestOptions {
  ifMatch?: string;
  ifNoneMatch?: string;
  tags?: readonly string[];
}

/**
 * PUT manifest bytes under a tag or digest with their own media type. `ifMatch`/`ifNoneMatch` become
 * `If-Match` / `If-None-Match` (RFC 9110 §13.1); a 412 is reported, not thrown, so the caller can re-read
 * and retry. `tags` (with a digest reference) become one `tag` query parameter each (distribution-spec
 * "Pushing Manifests with tags", after v1.1.1): the registry confirms each tag it made with an `OCI-Tag`
 * header (RFC 9110 §5.3: several lines, or comma-separated); one without the feature ignores the
 * parameters, and one that finds the URI too long (414) or its headers too large (431) confirms none.
 */
export async function putManifest(repo: Repo, reference: string, bytes: Buffer, mediaType: string, opts: PutManifestOptions = {}): Promise<PutManifestResult> {
  const headers: Record<string, string> = { 'content-type': mediaType, 'content-length': String(bytes.length) };
  if (opts.ifMatch !== undefined) headers['if-match'] = opts.ifMatch;
  if (opts.ifNoneMatch !== undefined) headers['if-none-match'] = opts.ifNoneMatch;
  const asked = opts.tags ?? [];
  const query = asked.length === 0 ? '' : `?${asked.map((t) => `tag=${encodeURIComponent(t)}`).join('&')}`;
  const res = await repo.client.send({ method: 'PUT', target: apiPath(repo, `manifests/${reference}${query}`), scopes: repo.scopes, headers, body: bytes });
  const conditional = opts.ifMatch !== undefined || opts.ifNoneMatch !== undefined;
  if ((res.status === 412 && conditional) || ((res.status === 414 || res.status === 431) && asked.length > 0)) {
    await discard(res.body);
    return { digest: undefined, subject: undefined, preconditionFailed: res.status === 412, tags: [] };
  }
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) return failure(res, ctxOf(repo, `manifest ${reference}`));
  await discard(res.body);
  const raw = res.headers['oci-tag'];
  const confirmed = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((v) => v.split(',')).map((v) => v.trim());
  return { digest: header(res, 'docker-content-digest'), subject: header(res, 'oci-subject'), preconditionFailed: false, tags: asked.filter((t) => confirmed.includes(t)) };
}

/** DELETE a manifest by digest, or a tag by name (distribution-spec "Deleting tags" / "Deleting Manifests"). */
export async function deleteManifest(repo: Repo, reference: string): Promise<void> {
  const res = await repo.client.send({ method: 'DELETE', target: apiPath(repo, `manifests/${reference}`), scopes: repo.scopes });
  if (res.status !== 202 && res.status !== 200 && res.status !== 204) return failure(res, ctxOf(repo, `manifest ${reference}`));
  await discard(res.body);
}
