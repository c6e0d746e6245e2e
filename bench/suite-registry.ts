/** Suites against a real distribution registry on loopback: push transfer of a layout, requests of a re-push. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry, type RunningRegistry } from '../test/helpers/registry.js';
import { clearSkopeoCache, ocipack, skopeo, type Ctx } from './context.js';
import { compare, round, run } from './measure.js';
import { limitRow, timeRow, type Row } from './report.js';

/** Pushes `tree` to `ref` with ocipack (untimed setup). */
export async function seed(ctx: Ctx, ref: string, tree: string): Promise<void> {
  await run(ocipack(ctx, ['push', ref, '--path', tree, '--reproducible', '--source', 'bench', '--revision', 'bench']));
}

/**
 * Push transfer of the same layout: `ocipack copy --from-oci-layout` vs `skopeo copy oci:… docker://…`.
 * Each repetition gets a fresh registry, so neither tool can skip or mount the blob (skopeo's blob-info
 * cache would otherwise mount it from the previous repetition's repository).
 */
export async function pushTransfer(ctx: Ctx): Promise<Row[]> {
  const layout = join(ctx.work, 'layout-200');
  await rm(layout, { recursive: true, force: true });
  await run(ocipack(ctx, ['push', `${layout}:v1`, '--oci-layout', '--path', ctx.trees.mixed200, '--reproducible', '--source', 'bench', '--revision', 'bench']));
  let reg: RunningRegistry | undefined;
  const fresh = async () => {
    await reg?.stop();
    reg = await startRegistry();
    await clearSkopeoCache(ctx);
  };
  try {
    const r = await compare(ctx.reps, {
      ocipack: { before: fresh, cmd: () => ocipack(ctx, ['copy', `${layout}:v1`, `oci://${reg!.host}/bench/copy:v1`, '--from-oci-layout']) },
      skopeo: { before: fresh, cmd: () => skopeo(ctx, ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${reg!.host}/bench/copy:v1`]) },
    });
    return [timeRow(`push transfer ${ctx.label.mixed200}`, 'ocipack copy --from-oci-layout', r.ocipack!, { name: 'skopeo copy oci: docker://', best: r.skopeo! }, 1.25)];
  } finally {
    await reg?.stop();
  }
}

/** A second `--reproducible` push of unchanged content: requests seen by the registry, blob uploads among them. */
export async function rePush(ctx: Ctx): Promise<{ rows: Row[]; requests: string[] }> {
  const ref = `oci://${ctx.registry.host}/bench/repush:v1`;
  await seed(ctx, ref, ctx.trees.mixed200);
  await ctx.registry.resetRequests();
  const second = await run(ocipack(ctx, ['push', ref, '--path', ctx.trees.mixed200, '--reproducible', '--source', 'bench', '--revision', 'bench']));
  const log = await ctx.registry.requests();
  const uploads = log.filter((r) => /\/blobs\/uploads\//.test(r.path) || (r.method === 'PUT' && r.path.includes('/blobs/'))).length;
  return {
    rows: [
      timeRow(`re-push unchanged ${ctx.label.mixed200}`, 'ocipack push --reproducible (2nd)', { seconds: round(second.seconds), all: [round(second.seconds)], rssMiB: 0 }),
      limitRow(`re-push unchanged ${ctx.label.mixed200}`, 'HTTP requests', log.length, 'requests', 5, '≤ a handful (5)'),
      limitRow(`re-push unchanged ${ctx.label.mixed200}`, 'blob uploads', uploads, 'blob uploads', 0, 'none'),
    ],
    requests: log.map((r) => `${r.method} ${r.path.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…')} ${r.status}`),
  };
}
