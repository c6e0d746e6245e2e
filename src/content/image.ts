/** From a reference to the one image and layer a pull or diff works on: index → platform → manifest → layer. */
import { OcipackError, usageError } from '../core/errors.js';
import { isIndex, type Descriptor, type ImageManifest } from '../oci/descriptor.js';
import { parseManifest } from '../oci/manifest.js';
import { EXTRACTABLE_LAYER_TYPES } from '../oci/mediatypes.js';
import { isTarLayer } from '../oci/layers.js';
import { parsePlatform, selectPlatform } from '../oci/platform.js';
import type { Target } from './target.js';

/** Resolve a reference to one image manifest, following an index to the requested platform. */
export async function resolveImage(
  target: Target,
  reference: string,
  platform: string | undefined,
  maxDepth = 4,
): Promise<{ digest: string; manifest: ImageManifest; rootDigest: string }> {
  // One GET resolves and fetches the root: its digest is that of the bytes received (a tag's digest is
  // computed, a digest reference is verified), so what is used is exactly what the digest names. Children by digest.
  const wanted = parsePlatform(platform);
  let fetched = await target.fetchManifest(reference);
  const rootDigest = fetched.descriptor.digest;
  let digest = rootDigest;
  for (let depth = 0; depth < maxDepth; depth++) {
    if (depth > 0) fetched = await target.fetchManifest(digest);
    const m = parseManifest(fetched.bytes, digest);
    if (!isIndex(m)) return { digest, manifest: m, rootDigest };
    digest = selectPlatform(m, wanted).digest;
  }
  throw new OcipackError('BAD_INPUT', `index nesting deeper than ${maxDepth} at ${reference}`);
}

/** The layer pull extracts: `--layer`, `--media-type`, or the first tar+gzip layer of a known type. */
export function chooseLayer(m: ImageManifest, opts: { mediaType?: string; layer?: number }): Descriptor {
  if (opts.layer !== undefined) {
    const l = m.layers[opts.layer];
    if (!l) throw usageError(`\`layer\` ${opts.layer} is out of range: the manifest has ${m.layers.length} layer(s)`, { option: 'layer', next: 'choose-layer' });
    return l;
  }
  if (opts.mediaType !== undefined) {
    const l = m.layers.find((x) => x.mediaType === opts.mediaType);
    if (!l) throw usageError(`no layer with media type ${opts.mediaType} (\`mediaType\`); layers are: ${m.layers.map((x) => x.mediaType).join(', ')}`, { option: 'mediaType', next: 'choose-layer' });
    return l;
  }
  const known: readonly string[] = EXTRACTABLE_LAYER_TYPES;
  const l = m.layers.find((x) => known.includes(x.mediaType)) ?? m.layers.find(isTarLayer);
  if (!l) {
    throw new OcipackError('NOT_FOUND', `no tar layer (${m.layers.map((x, i) => `${i}: ${x.mediaType}`).join(', ') || 'no layers'})`, {
      context: { next: 'choose-layer' },
    });
  }
  return l;
}
