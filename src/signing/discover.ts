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
import { isDigest, referrersTag } from '../oci/digest.js';
import { readReferrersIndex } from '../oci/referrers.js';
import { parseManifest } from '../oci/manifest.js';
import { ANNOTATIONS, MT } from '../oci/mediatypes.js';
import { hasReferrersApi, type Target } from '../content/target.js';
import { BUNDLE_MEDIA_TYPES } from './bundle.js';
import { signatureTag } from './sigimage.js';
import { fetchManifestIfExists, readBlob } from '../content/read.js';
import type { LookupLog, LookupPlace } from './lookups.js';

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
  /** Record each place's answer here, and go on past a failed lookup (verify). */
  lookups?: LookupLog;
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

/** cosign's classic `sha256-<hex>.sig` image: its simple-signing layers. */
async function fromClassicTag(target: Target, digest: string, c: Collector, maxBytes: number): Promise<200 | 404> {
  const tag = signatureTag(digest);
  const classic = await fetchSigManifest(target, tag);
  if (!classic) return 404;
  if (!isIndex(classic)) await fromSignatureManifest(target, classic, 'cosign', `tag ${tag}`, c, maxBytes);
  return 200;
}

/** The signature manifests among the listed referrers of `digest` (read by the one referrers-index reader). */
async function fromReferrers(target: Target, digest: string, listed: Descriptor[], c: Collector, maxBytes: number, onEvent?: OnEvent): Promise<void> {
  let fetched = 0;
  for (const ref of listed) {
    if (ref.artifactType !== undefined && !SIG_ARTIFACT_TYPES.includes(ref.artifactType)) continue;
    if (c.full()) break;
    // a referrers index may list thousands of entries without artifactType: fetch at most the cap
    if (++fetched > c.max) {
      onEvent?.({ type: 'warning', message: `more than ${c.max} referrers of ${digest} to inspect; only the first ${c.max} were read` });
      break;
    }
    const m = await fetchSigManifest(target, ref.digest, ref.mediaType);
    if (!m || isIndex(m)) continue;
    const format = formatOf(m);
    if (format === undefined) continue;
    const source = `referrer ${ref.digest}`;
    if (m.subject?.digest !== digest) {
      onEvent?.({ type: 'warning', message: `${source} is listed among the referrers of ${digest} but its subject is ${m.subject?.digest ?? 'missing'}; ignored` });
      continue;
    }
    await fromSignatureManifest(target, m, format, source, c, maxBytes);
  }
}

function formatOf(m: ImageManifest): SignatureFormat | undefined {
  const type = m.artifactType ?? m.config?.mediaType;
  if (type === MT.cosignArtifactSig) return 'cosign-oci-1.1';
  if (type !== undefined && (BUNDLE_MEDIA_TYPES as readonly string[]).includes(type)) return 'sigstore-bundle';
  return undefined;
}

/**
 * Every signature candidate for `digest` in `target`, classic tag first, then referrers: the referrers
 * API where the store has one, its tag-schema index where the API is absent (404) or failed. With
 * `lookups`, each place's answer is recorded there and a failed lookup does not end the search
 * (lookups.ts); without, the first failure throws.
 */
export async function discoverSignatures(target: Target, digest: string, opts: DiscoverOptions = {}): Promise<Candidate[]> {
  const maxBytes = opts.maxPayloadBytes ?? DEFAULTS.caps.signaturePayloadBytes;
  const c = new Collector(opts.maxCandidates ?? DEFAULTS.caps.signatureCandidates, opts.onEvent);
  const place = async (name: LookupPlace, look: () => Promise<200 | 404>): Promise<boolean> => {
    if (opts.lookups) return opts.lookups.look(name, () => c.found.length, look);
    await look();
    return true;
  };
  await place('cosign-tag', () => fromClassicTag(target, digest, c, maxBytes));
  let viaTag = true;
  if (hasReferrersApi(target)) {
    const answered = await place('referrers-api', async () => {
      const listed = await target.referrersFromApi(digest);
      if (listed === undefined) return 404;
      viaTag = false;
      await fromReferrers(target, digest, listed, c, maxBytes, opts.onEvent);
      return 200;
    });
    if (!answered) viaTag = true;
  }
  if (viaTag) {
    await place('referrers-tag', async () => {
      const tag = referrersTag(digest);
      const fetched = await fetchManifestIfExists(target, tag);
      if (!fetched) return 404;
      const read = readReferrersIndex(fetched.bytes, { subject: digest, where: `${target.name}:${tag}` });
      for (const message of read.notes) opts.onEvent?.({ type: 'warning', message });
      await fromReferrers(target, digest, read.manifests, c, maxBytes, opts.onEvent);
      return 200;
    });
  }
  return c.found;
}
