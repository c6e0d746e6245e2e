/** The referrers API (OCI distribution-spec v1.1 "Listing Referrers"). */
import { OcipackError } from '../core/errors.js';
import { discard, readCapped } from '../http/body.js';
import { failure } from './failure.js';
import { header } from '../http/request.js';
import type { ImageIndex } from '../oci/descriptor.js';
import { apiPath, ctxOf, type Repo } from './repo.js';

export interface ReferrersPage {
  index: ImageIndex;
  /** True when the registry applied the artifactType filter itself (`OCI-Filters-Applied`). */
  filtered: boolean;
}

/** The referrers index of a digest, or undefined when the registry has no referrers API (404). */
export async function getReferrers(repo: Repo, digest: string, maxBytes: number, artifactType?: string): Promise<ReferrersPage | undefined> {
  const query = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`;
  const res = await repo.client.send({
    method: 'GET', target: apiPath(repo, `referrers/${digest}${query}`), scopes: repo.scopes,
    headers: { accept: 'application/vnd.oci.image.index.v1+json' },
  });
  if (res.status === 404) {
    await discard(res.body);
    return undefined;
  }
  if (res.status !== 200) return failure(res, ctxOf(repo, `referrers of ${digest}`));
  const { bytes, complete } = await readCapped(res.body, maxBytes);
  if (!complete) throw new OcipackError('CAP', `referrers index of ${digest} in ${repo.client.host}/${repo.name} is larger than ${maxBytes} bytes`);
  let index: ImageIndex;
  try {
    index = JSON.parse(bytes.toString('utf8')) as ImageIndex;
  } catch {
    throw new OcipackError('REGISTRY', `${repo.client.host} sent a referrers index that is not JSON`);
  }
  if (!Array.isArray(index.manifests)) index = { ...index, manifests: [] };
  const applied = (header(res, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim());
  return { index, filtered: applied.includes('artifactType') };
}
