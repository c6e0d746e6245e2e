/** Tag choices over a store's tag list (`pull --semver`); loads semver, so only the callers that need it import this. */
import { OcipackError } from '../core/errors.js';
import { highestMatchingTag, type SemverFilter } from '../oci/semver.js';
import type { Target } from './target.js';

/** The highest tag of `target` inside the range (cosign tags excluded); NOT_FOUND when none matches. */
export async function highestTagIn(target: Target, filter: SemverFilter, where: string): Promise<string> {
  const tags = await target.listTags();
  const picked = highestMatchingTag(tags, filter);
  if (picked === undefined) {
    throw new OcipackError('NOT_FOUND', `no tag of ${where} matches the semver range "${filter.text}" (${tags.length} tag(s) listed)`);
  }
  return picked;
}
