/**
 * prune: retention by policy for a repository (registry or layout). Plans first (content/pruneplan.ts:
 * which tags stay and why, which manifests go with every tag and referrer that goes with each), hands the
 * plan to `onPlan`, and deletes only with `yes`: for each manifest what exists only for it first, the
 * manifest last, so a run stopped midway is finished by the next run of the same policy.
 */
import { DEFAULTS } from '../core/defaults.js';
import { emitter } from '../core/events.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import { parseRetention, type RetentionOptions } from '../oci/retention.js';
import { parseRepositoryTarget, repositoryOf, type TargetRef } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import { isDeleter, type Deleter } from '../content/target.js';
import { deleteIfPresent, deletesRefused, deletesRefusedUpFront, refusesDeletes } from '../content/deleting.js';
import { planPrune, type PrunePlan } from '../content/pruneplan.js';

export type { KeptTag, PlannedDeletion, AttachedManifest, PrunePlan } from '../content/pruneplan.js';

export interface PruneOptions extends RunOptions, RegistryOptions, TargetCaps, RetentionOptions {
  /** A repository without tag or digest: `oci://host/repo`, or a layout directory with `ociLayout`. */
  reference: string;
  /** Delete what the plan says; without it prune is a dry run. */
  yes?: boolean;
  /** Parallel tag lookups; default DEFAULTS.concurrency. */
  concurrency?: number;
  /** Called with the plan before anything is deleted (a dry run too). */
  onPlan?: (plan: PruneResult) => void;
  /** The clock `keepNewerThanMs` counts back from (ms since the epoch); default now. */
  now?: number;
}

export interface PruneResult extends PrunePlan {
  repository: string;
  dryRun: boolean;
  /** Manifests deleted by this run (subjects and what went with them); 0 in a dry run. */
  manifestsDeleted: number;
}

/** Plan the policy over the repository's tags, report the plan, and with `yes` carry it out. */
export async function prune(opts: PruneOptions): Promise<PruneResult> {
  const emit = emitter(opts.onEvent);
  const t = parseRepositoryTarget(opts.reference, opts.ociLayout);
  const policy = parseRetention(opts);
  const concurrency = opts.concurrency ?? DEFAULTS.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw usageError('`concurrency` must be a positive integer', { option: 'concurrency' });
  if (opts.yes && t.kind === 'remote' && refusesDeletes(t.ref.registry)) throw deletesRefusedUpFront(t.ref.registry, `prune ${t.display}`);
  const conn = connect(opts, opts);
  try {
    const target = await conn.open(t, { push: opts.yes ?? false });
    emit({ type: 'step', message: `planning the prune of ${t.display}` });
    const plan = await planPrune(target, policy, { concurrency, now: opts.now ?? Date.now(), signal: conn.signal });
    const result: PruneResult = { repository: repositoryOf(t), dryRun: !opts.yes, ...plan, manifestsDeleted: 0 };
    opts.onPlan?.(result);
    if (!opts.yes) return result;
    if (!isDeleter(target)) throw new OcipackError('REGISTRY', `${target.name} cannot delete`);
    await carryOut(target, result, t, emit);
    return result;
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}

/** Delete each planned manifest after what exists only for it; a manifest already gone (an earlier run's) counts as done. */
async function carryOut(target: Deleter, result: PruneResult, t: TargetRef, emit: ReturnType<typeof emitter>): Promise<void> {
  const host = t.kind === 'remote' ? t.ref.registry : undefined;
  const remove = async (digest: string): Promise<void> => {
    try {
      if (await deleteIfPresent(target, digest)) result.manifestsDeleted++;
    } catch (err) {
      throw deletesRefused(err, host, `DELETE ${t.display}@${digest}`);
    }
  };
  for (const d of result.deleted) {
    emit({ type: 'step', message: `deleting ${d.digest} (${d.tags.map((x) => x.tag).join(', ')})${d.attached.length > 0 ? ` and ${d.attached.length} manifest(s) attached to it` : ''}` });
    for (const a of d.attached) await remove(a.digest);
    await remove(d.digest);
  }
}
