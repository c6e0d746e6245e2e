/** The referrers API (OCI distribution-spec v1.1 "Listing Referrers"). */
import { OcipackError } from '../core/errors.js';
import { discard, readCapped } from '../http/body.js';
import { failure } from './failure.js';
import { header } from '../http/request.js';
import type { Descriptor } from '../oci/descriptor.js';
import { readReferrersIndex } from '../oci/referrers.js';
import { apiPath, ctxOf, type Repo } from './repo.js';

export interface ReferrersPage {
  /** The referrers listed (subject entries dropped, of `artifactType` when asked), by the one referrers-index reader. */
  manifests: Descriptor[];
  /** Its warnings (an entry naming the subject). */
  notes: string[];
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
  const filtered = (header(res, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim()).includes('artifactType');
  const where = `of ${digest} from ${repo.client.host}/${repo.name}`;
  // a registry that did not apply the filter is filtered here (the reader keeps what was asked for)
  const read = readReferrersIndex(bytes, filtered || artifactType === undefined ? { subject: digest, where } : { subject: digest, where, artifactType });
  return { manifests: read.manifests, notes: read.notes, filtered };
}
