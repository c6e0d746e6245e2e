/** Blob endpoints (OCI distribution-spec "Pulling blobs", "Pushing blobs", "Mounting a blob"). */
import { pipeline, type Readable } from 'node:stream';
import { OcipackError } from '../errors.js';
import { discard } from '../http/body.js';
import { failure } from '../http/failure.js';
import { contentLength, header, type RequestBody } from '../http/request.js';
import { DigestStream } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import { apiPath, ctxOf, type Repo } from './repo.js';

export type UploadStart = { mounted: true } | { mounted: false; location: URL };

/** True when the blob exists (HEAD 200), false on 404. */
export async function headBlob(repo: Repo, digest: string): Promise<boolean> {
  const res = await repo.client.send({ method: 'HEAD', target: apiPath(repo, `blobs/${digest}`), scopes: repo.scopes });
  await discard(res.body);
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  return failure(res, ctxOf(repo, `blob ${digest}`));
}

/**
 * GET a blob as a stream that fails with VERIFY when size or digest disagree with `desc`. Redirects to
 * storage are followed without credentials; Content-Encoding is never decoded (the digest covers the bytes).
 */
export async function getBlob(repo: Repo, desc: Descriptor): Promise<Readable> {
  const res = await repo.client.send({ method: 'GET', target: apiPath(repo, `blobs/${desc.digest}`), scopes: repo.scopes });
  if (res.status !== 200) return failure(res, ctxOf(repo, `blob ${desc.digest}`));
  const declared = contentLength(res);
  if (declared !== undefined && declared !== desc.size) {
    await discard(res.body);
    throw new OcipackError('VERIFY', `size mismatch for ${desc.digest}: expected ${desc.size} bytes, ${repo.client.host} announced ${declared}`);
  }
  const verifier = new DigestStream({ digest: desc.digest, size: desc.size });
  pipeline(res.body, verifier, () => {
    /* errors reach the consumer through `verifier` */
  });
  return verifier;
}

/** POST to start an upload, optionally as a cross-repository mount (201 = mounted, 202 = upload here). */
export async function startUpload(repo: Repo, mount?: { digest: string; from: string }): Promise<UploadStart> {
  const query = mount ? `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}` : '';
  const res = await repo.client.send({
    method: 'POST', target: apiPath(repo, `blobs/uploads/${query}`), scopes: repo.scopes, headers: { 'content-length': '0' },
  });
  await discard(res.body);
  const subject = mount ? `blob mount ${mount.digest}` : 'blob upload';
  if (res.status === 201 && mount) return { mounted: true };
  if (res.status !== 202) return failure(res, ctxOf(repo, subject));
  const location = header(res, 'location');
  if (location === undefined) throw new OcipackError('REGISTRY', `${repo.client.host} started an upload without a Location`);
  try {
    return { mounted: false, location: new URL(location, res.url) };
  } catch {
    throw new OcipackError('REGISTRY', `${repo.client.host} sent an invalid upload Location`);
  }
}

/** The upload URL with `digest=` appended, keeping the registry's own query exactly as sent. */
export function uploadUrl(location: URL, digest: string): URL {
  const url = new URL(location);
  const sep = url.search === '' || url.search === '?' ? '?' : '&';
  url.search = `${url.search === '?' ? '' : url.search}${sep}digest=${encodeURIComponent(digest)}`;
  return url;
}

/** Monolithic PUT of the whole blob to an upload session (distribution-spec "single POST then PUT"). */
export async function putUpload(repo: Repo, location: URL, desc: Descriptor, body: RequestBody): Promise<void> {
  const res = await repo.client.send({
    method: 'PUT',
    target: uploadUrl(location, desc.digest),
    scopes: repo.scopes,
    headers: { 'content-length': String(desc.size), 'content-type': 'application/octet-stream' },
    body,
  });
  if (res.status !== 201 && res.status !== 204) return failure(res, ctxOf(repo, `blob ${desc.digest}`));
  await discard(res.body);
}
