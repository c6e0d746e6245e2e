/**
 * `prune`'s plan over a store: every policy tag resolved page by page (oci/retention.ts decides on the
 * names), creation times read only where a rule needs them, manifests that a kept tag names kept, and
 * for each manifest that goes everything that exists only for it — its referrers (recursively), cosign's
 * `sha256-<hex>.sig/.att/.sbom` tags and the `sha256-<hex>` fallback index — in the order they are deleted:
 * referrers before the index that lists them, the subject last. A run stopped midway so leaves every
 * remaining subject tagged with what is left of its referrers listed, and the next run's plan finishes it.
 */
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import { ANNOTATIONS } from '../oci/mediatypes.js';
import { referrersTag } from '../oci/digest.js';
import { byAge, decide, isPolicyTag, type RetentionPolicy, type Verdict } from '../oci/retention.js';
import { sortTags } from '../oci/semver.js';
import { mapLimit } from './pool.js';
import { fetchManifestIfExists, tryResolve } from './read.js';
import { tagSchemaReferrers } from './referrersread.js';
import { scanTags } from './tagscan.js';
import { hasReferrersApi, type Target } from './target.js';
import type { Descriptor } from '../oci/descriptor.js';
import { COSIGN_SUFFIXES } from './referrers.js';

/** A tag the plan keeps, and why. */
export interface KeptTag {
  tag: string;
  digest: string;
  reason: string;
}

/** A manifest that goes only because its subject goes. */
export interface AttachedManifest {
  digest: string;
  /** `referrer` (its `subject` names the manifest), `cosign` (a `.sig/.att/.sbom` tag), `referrers-index` (the fallback index). */
  kind: 'referrer' | 'cosign' | 'referrers-index';
  /** The tags that go with it. */
  tags: string[];
  artifactType?: string;
}

/** A manifest the plan deletes: every tag that goes with it, and what goes before it (in deletion order). */
export interface PlannedDeletion {
  digest: string;
  tags: Array<{ tag: string; reason: string }>;
  attached: AttachedManifest[];
}

export interface PrunePlan {
  /** Tags the store listed. */
  scanned: number;
  kept: KeptTag[];
  deleted: PlannedDeletion[];
}

export interface PlanOptions {
  concurrency: number;
  /** Now, in ms since the epoch (`keepNewerThanMs` counts back from it). */
  now: number;
  signal?: AbortSignal;
}

/** The plan for `policy` over every tag of `target`. */
export async function planPrune(target: Target, policy: RetentionPolicy, opts: PlanOptions): Promise<PrunePlan> {
  const digestOf = new Map<string, string>();
  const attachedTags = new Set<string>();
  let scanned = 0;
  await scanTags(target, { concurrency: opts.concurrency, select: isPolicyTag, ...(opts.signal ? { signal: opts.signal } : {}) }, (resolved, others) => {
    scanned += resolved.length + others.length;
    for (const r of resolved) digestOf.set(r.tag, r.digest);
    for (const t of others) attachedTags.add(t);
  });
  const verdicts = decide(policy, [...digestOf.keys()]);
  await settleAges(target, policy, verdicts, digestOf, opts);
  const keptBy = new Map<string, string>();
  for (const [tag, v] of verdicts) if ('keep' in v && !keptBy.has(digestOf.get(tag)!)) keptBy.set(digestOf.get(tag)!, tag);
  const kept: KeptTag[] = [];
  const going = new Map<string, Array<{ tag: string; reason: string }>>();
  for (const tag of sortTags([...verdicts.keys()])) {
    const v = verdicts.get(tag)!;
    const digest = digestOf.get(tag)!;
    const holder = keptBy.get(digest);
    if ('keep' in v) kept.push({ tag, digest, reason: v.keep });
    else if (holder !== undefined) kept.push({ tag, digest, reason: `${'delete' in v ? v.delete : v.age}, but its manifest stays: kept tag ${holder} names it` });
    else going.set(digest, [...(going.get(digest) ?? []), { tag, reason: 'delete' in v ? v.delete : v.age }]);
  }
  const walk = new AttachedWalk(target, attachedTags, keptBy, digestOf);
  const deleted: PlannedDeletion[] = [];
  for (const [digest, tags] of going) deleted.push({ digest, tags, attached: await walk.of(digest) });
  return { scanned, kept, deleted };
}

/** Turn each `age` verdict into keep or delete by its manifest's created annotation (one fetch per manifest). */
async function settleAges(target: Target, policy: RetentionPolicy, verdicts: Map<string, Verdict>, digestOf: Map<string, string>, opts: PlanOptions): Promise<void> {
  const keptDigests = new Set<string>();
  const pending: string[] = [];
  for (const [tag, v] of verdicts) {
    if ('keep' in v) keptDigests.add(digestOf.get(tag)!);
    else if ('age' in v) pending.push(tag);
  }
  const digests = [...new Set(pending.map((t) => digestOf.get(t)!).filter((d) => !keptDigests.has(d)))];
  const created = new Map<string, string | undefined>();
  await mapLimit(digests, opts.concurrency, async (d) => {
    created.set(d, createdOf((await fetchManifestIfExists(target, d))?.bytes));
  }, opts.signal);
  for (const tag of pending) {
    const v = verdicts.get(tag) as { age: string };
    const d = digestOf.get(tag)!;
    verdicts.set(tag, keptDigests.has(d) ? { delete: v.age } : byAge(policy, v.age, created.get(d), opts.now));
  }
}

/** A manifest's `org.opencontainers.image.created`, if it has a readable one. */
function createdOf(bytes: Buffer | undefined): string | undefined {
  if (bytes === undefined) return undefined;
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { annotations?: Record<string, unknown> };
    const v = doc.annotations?.[ANNOTATIONS.created];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Walks what exists only for a manifest: referrers (recursively), cosign tags, the fallback index; post-order. */
class AttachedWalk {
  private readonly tagsOf = new Map<string, string[]>();
  private readonly seen = new Set<string>();
  /** Whether the store answers the referrers API; undefined until asked. */
  private api: boolean | undefined;

  constructor(private readonly target: Target, private readonly attachedTags: Set<string>, private readonly keptBy: Map<string, string>, digestOf: Map<string, string>) {
    for (const [tag, d] of digestOf) this.tagsOf.set(d, [...(this.tagsOf.get(d) ?? []), tag]);
  }

  /** Everything to delete before `subject`, deepest first. */
  async of(subject: string, depth = 0): Promise<AttachedManifest[]> {
    if (depth > DEFAULTS.caps.depth) throw new OcipackError('CAP', `referrers of ${subject} nest deeper than ${DEFAULTS.caps.depth}`);
    const out: AttachedManifest[] = [];
    const add = async (m: AttachedManifest): Promise<void> => {
      if (this.seen.has(m.digest) || this.keptBy.has(m.digest) || (this.tagsOf.get(m.digest) ?? []).length > 0) return;
      this.seen.add(m.digest);
      if (this.seen.size > DEFAULTS.caps.pruneReferrers) throw new OcipackError('CAP', `more than ${DEFAULTS.caps.pruneReferrers} referrers to delete; refusing to plan further`);
      out.push(...(await this.of(m.digest, depth + 1)), m);
    };
    for (const r of await this.referrers(subject)) {
      await add({ digest: r.digest, kind: 'referrer', tags: [], ...(r.artifactType ? { artifactType: r.artifactType } : {}) });
    }
    const base = referrersTag(subject);
    for (const suffix of COSIGN_SUFFIXES) await this.addTagged(`${base}${suffix}`, 'cosign', add);
    await this.addTagged(base, 'referrers-index', add);
    return out;
  }

  /**
   * The referrers API's listing (asked until a registry shows it has none: then never again) together
   * with the fallback index, read only when the scan saw its `sha256-<hex>` tag: no request per manifest
   * on a registry without the API.
   */
  private async referrers(subject: string): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    if (this.api !== false && hasReferrersApi(this.target)) {
      const listed = await this.target.referrersFromApi(subject);
      this.api = listed !== undefined;
      out.push(...(listed ?? []));
    }
    if (this.attachedTags.has(referrersTag(subject))) out.push(...(await tagSchemaReferrers(this.target, subject)));
    return out;
  }

  private async addTagged(tag: string, kind: AttachedManifest['kind'], add: (m: AttachedManifest) => Promise<void>): Promise<void> {
    if (!this.attachedTags.has(tag)) return;
    const d = await tryResolve(this.target, tag);
    if (d !== undefined) await add({ digest: d.digest, kind, tags: [tag] });
  }
}
