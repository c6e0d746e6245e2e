/**
 * Integrity of an artifact: every manifest reachable from the resolved digest is fetched by digest
 * (Target.fetchManifest verifies the bytes), and every blob it references is downloaded and hashed
 * as it streams (Target.fetchBlob fails with VERIFY on a size or digest mismatch); nothing is
 * written to disk. Mismatches and missing content are collected, not thrown, so one run reports all.
 */
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import { emitter, type OnEvent } from '../core/events.js';
import { isIndex, type Descriptor, type Manifest } from '../oci/descriptor.js';
import { parseManifest } from '../oci/manifest.js';
import type { Target } from '../content/target.js';
import { FOREIGN_LAYER_TYPES } from '../oci/mediatypes.js';
import { mapLimit } from '../content/pool.js';

export interface IntegrityReport {
  ok: boolean;
  manifests: number;
  blobs: number;
  bytes: number;
  /** One line per failure: what, which digest, why. */
  problems: string[];
  /** Non-distributable (foreign) layers with `urls` that the target does not hold: left out, with a warning. */
  skipped: string[];
}

const MAX_DEPTH = 4;

function isContentFailure(err: unknown): err is OcipackError {
  return err instanceof OcipackError && (err.code === 'NOT_FOUND' || err.code === 'VERIFY');
}

async function drain(target: Target, desc: Descriptor, onBytes: (n: number) => void): Promise<void> {
  for await (const chunk of await target.fetchBlob(desc)) onBytes((chunk as Buffer).length);
}

/** Walk the graph under `digest` (an already resolved manifest digest) and hash everything. */
export async function checkIntegrity(target: Target, root: Descriptor, opts: { onEvent?: OnEvent; concurrency?: number } = {}): Promise<IntegrityReport> {
  const emit = emitter(opts.onEvent);
  const report: IntegrityReport = { ok: true, manifests: 0, blobs: 0, bytes: 0, problems: [], skipped: [] };
  const blobs = new Map<string, { desc: Descriptor; what: string }>();
  const seen = new Set<string>();

  const visit = async (desc: Descriptor, what: string, depth: number): Promise<void> => {
    if (seen.has(desc.digest)) return;
    seen.add(desc.digest);
    if (depth > MAX_DEPTH) {
      report.problems.push(`${what} ${desc.digest}: index nesting deeper than ${MAX_DEPTH}`);
      return;
    }
    let m: Manifest;
    try {
      const fetched = await target.fetchManifest(desc.digest);
      if (desc.size !== undefined && depth > 0 && fetched.bytes.length !== desc.size) {
        report.problems.push(`${what} ${desc.digest}: ${fetched.bytes.length} bytes, the index says ${desc.size}`);
        return;
      }
      // bytes that are no manifest are bad stored data (BAD_MANIFEST, exit 1), not a failed check: thrown
      m = parseManifest(fetched.bytes, depth > 0 ? { where: desc.digest, mediaType: desc.mediaType } : desc.digest);
      report.manifests++;
    } catch (err) {
      if (isContentFailure(err)) {
        report.problems.push(`${what} ${desc.digest}: ${err.code === 'NOT_FOUND' ? 'missing' : err.message}`);
        return;
      }
      throw err;
    }
    if (isIndex(m)) {
      for (const [i, child] of m.manifests.entries()) await visit(child, `manifest ${i} of ${desc.digest.slice(0, 19)}`, depth + 1);
      return;
    }
    blobs.set(m.config.digest, { desc: m.config, what: 'config' });
    m.layers.forEach((l, i) => {
      if (!blobs.has(l.digest)) blobs.set(l.digest, { desc: l, what: `layer ${i}` });
    });
  };

  await visit(root, 'manifest', 0);
  await mapLimit([...blobs.values()], opts.concurrency ?? DEFAULTS.concurrency, async ({ desc, what }) => {
    // Only a non-distributable layer type with `urls` may be absent; any other missing blob is a failure.
    const foreign = FOREIGN_LAYER_TYPES.has(desc.mediaType) && (desc.urls?.length ?? 0) > 0;
    emit({ type: 'blob:start', action: 'download', digest: desc.digest, total: desc.size });
    let done = 0;
    try {
      await drain(target, desc, (n) => {
        done += n;
        emit({ type: 'blob:progress', action: 'download', digest: desc.digest, bytes: done, total: desc.size });
      });
      report.blobs++;
      report.bytes += done;
      emit({ type: 'blob:done', action: 'download', digest: desc.digest, size: done });
    } catch (err) {
      if (!isContentFailure(err)) throw err;
      if (foreign && err.code === 'NOT_FOUND') {
        report.skipped.push(desc.digest);
        emit({ type: 'blob:skip', digest: desc.digest, reason: 'not held here', size: desc.size });
        emit({ type: 'warning', message: `${what} ${desc.digest} is a non-distributable layer (${desc.mediaType}) not held here; not checked (its urls are not contacted)` });
        return;
      }
      report.problems.push(`${what} ${desc.digest}: ${err.code === 'NOT_FOUND' ? 'missing' : err.message}`);
      emit({ type: 'blob:skip', digest: desc.digest, reason: 'failed its check', size: desc.size });
    }
  });
  report.ok = report.problems.length === 0;
  return report;
}
