/** Blob endpoints (OCI distribution-spec "Pulling blobs", "Pushing blobs", "Mounting a blob"). */
import { pipeline, type Readable } from 'node:stream';
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError, RegistryError } from '../core/errors.js';
import { discard } from '../http/body.js';
import { failure } from './failure.js';
import { redactUrl } from '../http/redact.js';
import { contentLength, header, type RequestBody } from '../http/request.js';
import { isRetryableStatus } from '../http/retry.js';
import { DigestStream } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import { requestBlob, resumableBody } from './download.js';
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
 * storage are followed without credentials; Content-Encoding is never decoded (the digest covers the
 * bytes as stored); a body that breaks midway is resumed with `Range` (see download.ts).
 */
export async function getBlob(repo: Repo, desc: Descriptor): Promise<Readable> {
  const res = await requestBlob(repo, desc);
  if (res.status !== 200) return failure(res, ctxOf(repo, `blob ${desc.digest}`));
  const declared = contentLength(res);
  if (declared !== undefined && declared !== desc.size) {
    await discard(res.body);
    throw new OcipackError('VERIFY', `size mismatch for ${desc.digest}: expected ${desc.size} bytes, ${repo.client.host} announced ${declared}`);
  }
  const verifier = new DigestStream({ digest: desc.digest, size: desc.size });
  pipeline(resumableBody(repo, desc, res), verifier, () => {
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
  let url: URL;
  try {
    url = new URL(location, res.url);
  } catch {
    throw new OcipackError('REGISTRY', `${repo.client.host} sent an invalid upload Location`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new OcipackError('REGISTRY', `${repo.client.host} sent an upload Location with unsupported scheme ${url.protocol}`);
  }
  if (res.url.protocol === 'https:' && url.protocol === 'http:') {
    throw new OcipackError('REGISTRY', `refusing upload Location ${redactUrl(url)} of ${repo.client.host}: it downgrades https to http`);
  }
  return { mounted: false, location: url };
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
    retry: false,
  });
  if (res.status !== 201 && res.status !== 204) return failure(res, ctxOf(repo, `blob ${desc.digest}`));
  await discard(res.body);
}

/** Registry codes that say the upload session is gone or broken; a new session may succeed. */
const BROKEN_SESSION = new Set(['BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN']);

/** True when starting a new upload session may get past `err` (a break midway, 408/429/5xx, a lost session). */
export function restartsUpload(err: unknown): boolean {
  if (err instanceof RegistryError) return isRetryableStatus(err.status) || err.registryCodes.some((c) => BROKEN_SESSION.has(c));
  return err instanceof OcipackError && err.code === 'NETWORK';
}

/**
 * Uploads a blob: POST, then one monolithic PUT with the whole body. When the PUT breaks midway the
 * session's state is unknown, so the next try starts a new session (POST again) and resends the body
 * from its start, up to the run's retry attempts. `location` is an upload session opened earlier.
 */
export async function uploadBlob(repo: Repo, desc: Descriptor, body: RequestBody, location?: URL): Promise<void> {
  const attempts = await repo.client.attempts();
  let session = location;
  for (let n = 0; ; n++) {
    if (session === undefined) {
      const started = await startUpload(repo);
      if (started.mounted) return;
      session = started.location;
    }
    try {
      await putUpload(repo, session, desc, body);
      return;
    } catch (err) {
      if ((await repo.client.signal())?.aborted) {
        await cancelUpload(repo, session);
        throw err;
      }
      const replayable = typeof body === 'function' || Buffer.isBuffer(body);
      if (n + 1 >= attempts || !replayable || !restartsUpload(err)) throw err;
      session = undefined;
      await repo.client.pause(n);
    }
  }
}

/**
 * distribution-spec "Cancel an upload": a run stopped mid-upload (Ctrl-C, its deadline) ends its session with
 * a DELETE on the Location, best effort and bounded by DEFAULTS.uploadCancelTimeoutMs, so the registry does
 * not keep the partial upload until its own purge. Credentials go only to the registry's own origin (send()).
 */
export async function cancelUpload(repo: Repo, location: URL): Promise<void> {
  try {
    const signal = AbortSignal.timeout(DEFAULTS.uploadCancelTimeoutMs);
    const res = await repo.client.send({ method: 'DELETE', target: location, scopes: repo.scopes, retry: false, signal });
    await discard(res.body);
  } catch {
    // best effort: the registry purges abandoned sessions itself
  }
}
