/**
 * Finding the signatures of a digest, in every place cosign puts them: the classic tag
 * `sha256-<hex>.sig` (cosign's storage spec), and referrers (OCI distribution-spec v1.1 "Listing
 * Referrers", or the referrers tag schema `sha256-<hex>` on registries without the API, such as
 * distribution 2.8) of artifactType `application/vnd.dev.cosign.artifact.sig.v1+json` (cosign's
 * OCI 1.1 mode) or `application/vnd.dev.sigstore.bundle.v0.3+json` (the new bundle format).
 * What is read is capped: signature manifests by the target's manifest cap, payloads and bundles
 * at 1 MiB, at most 100 candidates.
 */
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import type { OnEvent } from '../core/events.js';
import { isIndex, type Descriptor, type ImageManifest, type Manifest } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import { ANNOTATIONS, MT } from '../oci/mediatypes.js';
import type { Target } from '../content/target.js';
import { listReferrers } from '../content/referrersread.js';
import { BUNDLE_MEDIA_TYPES } from './bundle.js';
import { signatureTag } from './sigimage.js';
import { fetchManifestIfExists, readBlob } from '../content/read.js';

export type SignatureFormat = 'cosign' | 'cosign-oci-1.1' | 'sigstore-bundle';

interface CandidateBase {
  format: SignatureFormat;
  /** Where it was found: `tag sha256-….sig` or `referrer sha256:…`. */
  source: string;
  /** The layer (payload or bundle blob) descriptor. */
  layer: Descriptor;
}

export type Candidate =
  | (CandidateBase & { kind: 'simple'; payload: Buffer; signature: Buffer | undefined; annotations: Record<string, string> })
  | (CandidateBase & { kind: 'bundle'; bundle: Buffer })
  | (CandidateBase & { kind: 'unreadable'; reason: string });

export interface DiscoverOptions {
  maxPayloadBytes?: number;
  maxCandidates?: number;
  onEvent?: OnEvent;
}

const SIG_ARTIFACT_TYPES: readonly string[] = [MT.cosignArtifactSig, ...BUNDLE_MEDIA_TYPES];

/** A signature manifest, or undefined when absent; one that does not parse is BAD_MANIFEST (exit 1: could not look). */
async function fetchSigManifest(target: Target, reference: string, mediaType?: string): Promise<Manifest | undefined> {
  const fetched = await fetchManifestIfExists(target, reference);
  if (!fetched) return undefined;
  const where = `${target.name}${isDigest(reference) ? '@' : ':'}${reference}`;
  return parseManifest(fetched.bytes, mediaType === undefined ? where : { where, mediaType });
}

/** Collects candidates up to the cap; the first one beyond it is reported once. */
class Collector {
  readonly found: Candidate[] = [];
  private warned = false;
  constructor(readonly max: number, private readonly emit: OnEvent | undefined) {}
  full(): boolean {
    if (this.found.length < this.max) return false;
    if (!this.warned) this.emit?.({ type: 'warning', message: `more than ${this.max} signature candidates; only the first ${this.max} were checked` });
    this.warned = true;
    return true;
  }
}

/** Read one layer into a candidate; a missing or corrupt blob is an unreadable candidate, not a failure of the run. */
async function layerCandidate(target: Target, base: CandidateBase, maxBytes: number): Promise<Candidate> {
  try {
    const bytes = await readBlob(target, base.layer, maxBytes, 'a signature may have');
    if (base.format === 'sigstore-bundle') return { ...base, kind: 'bundle', bundle: bytes };
    const annotations = base.layer.annotations ?? {};
    const b64 = annotations[ANNOTATIONS.cosignSignature];
    const signature = typeof b64 === 'string' && b64 !== '' ? Buffer.from(b64.replace(/\s+/g, ''), 'base64') : undefined;
    return { ...base, kind: 'simple', payload: bytes, signature, annotations };
  } catch (err) {
    if (err instanceof OcipackError && ['NOT_FOUND', 'VERIFY', 'CAP'].includes(err.code)) {
      return { ...base, kind: 'unreadable', reason: err.message };
    }
    throw err;
  }
}

async function fromSignatureManifest(target: Target, m: ImageManifest, format: SignatureFormat, source: string, c: Collector, maxBytes: number): Promise<void> {
  const wanted = format === 'sigstore-bundle' ? (BUNDLE_MEDIA_TYPES as readonly string[]) : [MT.cosignSimpleSigning];
  for (const layer of m.layers) {
    if (!wanted.includes(layer.mediaType)) continue;
    if (c.full()) return;
    c.found.push(await layerCandidate(target, { format, source, layer }, maxBytes));
  }
}

function formatOf(m: ImageManifest): SignatureFormat | undefined {
  const type = m.artifactType ?? m.config?.mediaType;
  if (type === MT.cosignArtifactSig) return 'cosign-oci-1.1';
  if (type !== undefined && (BUNDLE_MEDIA_TYPES as readonly string[]).includes(type)) return 'sigstore-bundle';
  return undefined;
}

/** Every signature candidate for `digest` in `target`, classic tag first, then referrers. */
export async function discoverSignatures(target: Target, digest: string, opts: DiscoverOptions = {}): Promise<Candidate[]> {
  const maxBytes = opts.maxPayloadBytes ?? DEFAULTS.caps.signaturePayloadBytes;
  const c = new Collector(opts.maxCandidates ?? DEFAULTS.caps.signatureCandidates, opts.onEvent);
  const tag = signatureTag(digest);
  const classic = await fetchSigManifest(target, tag);
  if (classic && !isIndex(classic)) await fromSignatureManifest(target, classic, 'cosign', `tag ${tag}`, c, maxBytes);
  let fetched = 0;
  for (const ref of await listReferrers(target, digest, opts.onEvent ? { onEvent: opts.onEvent } : {})) {
    if (ref.artifactType !== undefined && !SIG_ARTIFACT_TYPES.includes(ref.artifactType)) continue;
    if (c.full()) break;
    // a referrers index may list thousands of entries without artifactType: fetch at most the cap
    if (++fetched > c.max) {
      opts.onEvent?.({ type: 'warning', message: `more than ${c.max} referrers of ${digest} to inspect; only the first ${c.max} were read` });
      break;
    }
    const m = await fetchSigManifest(target, ref.digest, ref.mediaType);
    if (!m || isIndex(m)) continue;
    const format = formatOf(m);
    if (format === undefined) continue;
    const source = `referrer ${ref.digest}`;
    if (m.subject?.digest !== digest) {
      opts.onEvent?.({ type: 'warning', message: `${source} is listed among the referrers of ${digest} but its subject is ${m.subject?.digest ?? 'missing'}; ignored` });
      continue;
    }
    await fromSignatureManifest(target, m, format, source, c, maxBytes);
  }
  return c.found;
}
