/**
 * One manifest under several tags (`push oci://r/app:1.4.2,1.4,latest`, copy, promote): one request where
 * the store can take them all at once (distribution-spec "Pushing Manifests with tags", confirmed by the
 * registry's `OCI-Tag` headers; a layout's single index.json write), else one PUT per remaining tag with
 * the very same bytes, so every tag names the same digest.
 */
import type { Descriptor } from '../oci/descriptor.js';
import { isMultiTagPusher, type Pusher } from './target.js';

/** Store `bytes` under every tag of `tags` (by digest only when empty); resolves to how many manifest writes it took. */
export async function pushManifestTagged(dst: Pusher, desc: Descriptor, bytes: Buffer, tags: readonly string[]): Promise<number> {
  if (tags.length <= 1) {
    await dst.pushManifest(desc, bytes, tags[0]);
    return 1;
  }
  let writes = 0;
  let confirmed = new Set<string>();
  if (isMultiTagPusher(dst)) {
    confirmed = new Set(await dst.pushManifestTags(desc, bytes, tags));
    writes++;
  }
  // in the order written: a script's `latest` last stays last
  for (const tag of tags.filter((t) => !confirmed.has(t))) {
    await dst.pushManifest(desc, bytes, tag);
    writes++;
  }
  return writes;
}
