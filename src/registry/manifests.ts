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
}

/**
 * PUT manifest bytes under a tag or digest with their own media type. `conditions` become `If-Match` /
 * `If-None-Match` (RFC 9110 §13.1); a 412 is reported, not thrown, so the caller can re-read and retry.
 */
export async function putManifest(
  repo: Repo, reference: string, bytes: Buffer, mediaType: string, conditions: { ifMatch?: string; ifNoneMatch?: string } = {},
): Promise<PutManifestResult> {
  const headers: Record<string, string> = { 'content-type': mediaType, 'content-length': String(bytes.length) };
  if (conditions.ifMatch !== undefined) headers['if-match'] = conditions.ifMatch;
  if (conditions.ifNoneMatch !== undefined) headers['if-none-match'] = conditions.ifNoneMatch;
  const res = await repo.client.send({ method: 'PUT', target: apiPath(repo, `manifests/${reference}`), scopes: repo.scopes, headers, body: bytes });
  const conditional = conditions.ifMatch !== undefined || conditions.ifNoneMatch !== undefined;
  if (res.status === 412 && conditional) {
    await discard(res.body);
    return { digest: undefined, subject: undefined, preconditionFailed: true };
  }
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) return failure(res, ctxOf(repo, `manifest ${reference}`));
  await discard(res.body);
  return { digest: header(res, 'docker-content-digest'), subject: header(res, 'oci-subject'), preconditionFailed: false };
}

/** DELETE a manifest by digest, or a tag by name (distribution-spec "Deleting tags" / "Deleting Manifests"). */
export async function deleteManifest(repo: Repo, reference: string): Promise<void> {
  const res = await repo.client.send({ method: 'DELETE', target: apiPath(repo, `manifests/${reference}`), scopes: repo.scopes });
  if (res.status !== 202 && res.status !== 200 && res.status !== 204) return failure(res, ctxOf(repo, `manifest ${reference}`));
  await discard(res.body);
}
