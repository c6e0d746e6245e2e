/**
 * delete: remove a tag, or a manifest by digest (with every tag naming it), from a registry
 * (distribution-spec DELETE on /v2/<name>/manifests/<reference>) or an OCI layout (crane delete,
 * oras manifest delete). A digest delete needs `force`; `dryRun` says what would go and changes nothing.
 */
import { emitter } from '../core/events.js';
import { OcipackError, RegistryError, usageError } from '../core/errors.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import { parseTargetRef, repositoryOf, type TargetRef } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import { DEFAULTS } from '../core/defaults.js';
import { isDeleter } from '../content/target.js';
import { tagsNaming } from '../content/tagscan.js';
import { deletesRefused } from '../content/deleting.js';

export interface DeleteOptions extends RunOptions, RegistryOptions, TargetCaps {
  /** `oci://host/repo:tag` or `oci://host/repo@sha256:…` (or `<dir>:tag|@digest` with `ociLayout`). */
  reference: string;
  /**
   * Required to delete by digest, which removes the manifest and every tag that names it; for a tag, lets the
   * delete fall back to that when the registry cannot delete a tag by itself (distribution 2.x, many others).
   */
  force?: boolean;
  /** Resolve and report, delete nothing. */
  dryRun?: boolean;
}

export interface DeleteResult {
  repository: string;
  /** The tag deleted, when the reference named one. */
  tag?: string;
  /** The manifest the tag named, or the one deleted by digest. */
  digest: string;
  /** Tags removed: the one named, or every tag that named the digest (as far as the tag list shows). */
  tags: string[];
  /** True when the manifest itself was (or, with dryRun, would be) deleted, not only a tag. */
  manifestDeleted: boolean;
  dryRun: boolean;
  /**
   * A dry run of a tag delete on a registry, which may delete tags only with their manifest (distribution
   * 2.x): what goes then instead — with `force` the real run deletes this manifest and all these tags,
   * without it the real run fails and deletes nothing.
   */
  ifTagDeleteRefused?: { digest: string; tags: string[]; deleted: boolean };
}

/** Validate, resolve, then delete (or only report with dryRun). */
export async function deleteArtifact(opts: DeleteOptions): Promise<DeleteResult> {
  const emit = emitter(opts.onEvent);
  const t = parseTargetRef(opts.reference, opts.ociLayout);
  const byDigest = t.digest !== undefined;
  if (!byDigest && t.tag === undefined) throw usageError(`"${opts.reference}" names no tag or digest: say which to delete, e.g. ${t.display}:v1`);
  if (byDigest && !opts.force) {
    throw usageError(`deleting ${t.display} by digest removes the manifest and every tag that names it; add \`force\` to do that (to remove one tag only, delete ${repositoryOf(t)}:<tag>)`, { option: 'force', next: 'delete-force' });
  }
  const conn = connect(opts, opts);
  try {
    const opened = await conn.open(t, { push: true });
    const reference = byDigest ? t.digest! : t.tag!;
    const desc = await opened.resolve(reference);
    const all = await tagsNaming(opened, desc.digest, { concurrency: DEFAULTS.concurrency, signal: conn.signal });
    const result: DeleteResult = { repository: repositoryOf(t), digest: desc.digest, tags: byDigest ? all : [t.tag!], manifestDeleted: byDigest, dryRun: opts.dryRun ?? false };
    if (!byDigest) result.tag = t.tag!;
    if (!isDeleter(opened)) throw new OcipackError('REGISTRY', `${opened.name} cannot delete`);
    if (opts.dryRun) {
      if (!byDigest && !opened.deletesTagsAlone) result.ifTagDeleteRefused = { digest: desc.digest, tags: all, deleted: opts.force ?? false };
      return result;
    }
    const target = opened;
    emit({ type: 'step', message: `deleting ${byDigest ? `manifest ${desc.digest}` : `tag ${t.tag}`} from ${repositoryOf(t)}` });
    try {
      await target.delete(reference);
      return result;
    } catch (err) {
      if (byDigest || !tagDeleteRefused(err)) throw refused(err, t);
      if (!opts.force) {
        const others = all.filter((x) => x !== t.tag);
        const also = others.length > 0 ? `its other tags too (${others.join(', ')})` : 'no other tag';
        throw new OcipackError('REGISTRY', `${repositoryOf(t)} cannot delete a tag by itself (it answered ${describe(err)}); \`force\` deletes the manifest ${desc.digest} instead, which removes ${also}`, {
          cause: err, context: { option: 'force', next: 'delete-force' },
        });
      }
    }
    emit({ type: 'step', message: `the registry cannot delete a tag by itself: deleting manifest ${desc.digest} (\`force\`)` });
    try {
      await target.delete(desc.digest);
    } catch (err) {
      throw refused(err, t);
    }
    return { ...result, tags: all, manifestDeleted: true };
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}

/** Distribution 2.x answers a DELETE by tag with 400 DIGEST_INVALID (405 means no deletes at all: refused()). */
function tagDeleteRefused(err: unknown): boolean {
  return err instanceof RegistryError && err.status === 400;
}

function describe(err: unknown): string {
  if (!(err instanceof RegistryError)) return String(err);
  return `${err.status}${err.registryCodes.length > 0 ? ` ${err.registryCodes.join(', ')}` : ''}`;
}

/** A registry's refusal of every delete (405, UNSUPPORTED), said plainly (content/deleting.ts). */
function refused(err: unknown, t: TargetRef): unknown {
  return deletesRefused(err, t.kind === 'remote' ? t.ref.registry : undefined, `DELETE ${t.display}`);
}
