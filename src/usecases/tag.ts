/**
 * tag: give an existing manifest more tags in the same repository (SPEC §3; flux tag artifact). The
 * manifest bytes are fetched once and PUT unchanged under each tag (distribution-spec "Pushing
 * Manifests"), so the digest stays and no blob moves; indexes work the same way.
 */
import { emitter } from '../core/events.js';
import { OcipackError, isInputError, usageError } from '../core/errors.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import { parseTargetRef, referenceIn, repositoryOf } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import { tryResolve } from '../content/read.js';

/** Tag grammar of the distribution spec. */
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export interface TagOptions extends RunOptions, RegistryOptions, TargetCaps {
  /** The manifest to tag: `oci://host/repo:tag|@digest`, or `<dir>[:tag|@digest]` with `ociLayout`. */
  reference: string;
  /** New tags (flags may be comma-separated; split them before). */
  tags: string[];
  /** Resolve and report what each tag names now (`moves`), write nothing. */
  dryRun?: boolean;
}

export interface TagResult {
  repository: string;
  digest: string;
  mediaType: string;
  /** Tags written (with dryRun: that would be), in the order given. */
  tags: string[];
  /** With dryRun: per tag, the digest it names now (absent: a new tag). */
  moves?: Array<{ tag: string; from?: string }>;
}

/** The repository part of `reference` (for messages shown before the result), parsed as tag() parses it. */
export function repositoryIn(reference: string, ociLayout = false): string {
  return repositoryOf(parseTargetRef(reference, ociLayout));
}

/** Thrown when some tags were written and then one failed; `applied` lists the written ones. */
export class PartialTagError extends OcipackError {
  readonly applied: string[];
  readonly failed: string;
  constructor(applied: string[], failed: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    const done = applied.length === 0 ? 'no tag was applied' : `applied: ${applied.join(', ')}`;
    super(codeOf(cause), `tagging ${failed} failed (${done}): ${why}`, causeContext(cause));
    this.name = 'PartialTagError';
    this.applied = applied;
    this.failed = failed;
  }
}

/** Validate the reference and tags (usage errors, exit 2) and drop duplicates, before any I/O. */
export function parseTags(tags: readonly string[]): string[] {
  if (tags.length === 0) throw usageError('at least one `tag` is required', { option: 'tag' });
  for (const t of tags) {
    if (!TAG_RE.test(t)) throw usageError(`invalid tag "${t}": must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`);
  }
  return [...new Set(tags)];
}

/** Fetch the manifest once, then PUT the same bytes with the same media type under each new tag. */
export async function tag(opts: TagOptions): Promise<TagResult> {
  const emit = emitter(opts.onEvent);
  const t = parseTargetRef(opts.reference, opts.ociLayout);
  const tags = parseTags(opts.tags);
  const conn = connect(opts, opts);
  try {
    const target = await conn.open(t, { push: true });
    emit({ type: 'step', message: `tagging artifact ${t.display}` });
    const { descriptor, bytes } = await target.fetchManifest(referenceIn(t));
    if (opts.dryRun) {
      const moves = await Promise.all(tags.map(async (name) => {
        const now = await tryResolve(target, name);
        return now ? { tag: name, from: now.digest } : { tag: name };
      }));
      return { repository: repositoryOf(t), digest: descriptor.digest, mediaType: descriptor.mediaType, tags, moves };
    }
    const applied: string[] = [];
    for (const name of tags) {
      try {
        await target.pushManifest(descriptor, bytes, name);
      } catch (err) {
        throw new PartialTagError(applied, name, conn.failure(err));
      }
      applied.push(name);
      emit({ type: 'manifest:pushed', digest: descriptor.digest, tag: name });
    }
    return { repository: repositoryOf(t), digest: descriptor.digest, mediaType: descriptor.mediaType, tags: applied };
  } catch (err) {
    throw err instanceof PartialTagError ? err : conn.failure(err);
  } finally {
    await conn.close();
  }
}

/** The cause's code when it means "the operation failed" (exit 1); anything else becomes REGISTRY. */
function codeOf(cause: unknown): OcipackError['code'] {
  return cause instanceof OcipackError && !isInputError(cause) && cause.code !== 'VERIFY' ? cause.code : 'REGISTRY';
}

function causeContext(cause: unknown): { context?: OcipackError['context']; cause?: unknown } {
  return cause instanceof OcipackError ? { context: cause.context, cause } : { cause };
}
