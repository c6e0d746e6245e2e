/** Suites against a real distribution registry on loopback: transfer, pull, small files, memory, requests. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry, type RunningRegistry } from '../test/helpers/registry.js';
import { freshDir, ocipack, skopeo, type Ctx } from './context.js';
import { compare, round, run, sh, type Best } from './measure.js';
import { limitRow, timeRow, type Row } from './report.js';

const RSS_LIMIT_MIB = 150;

/** Pushes `tree` to `ref` with ocipack (untimed setup). */
async function seed(ctx: Ctx, ref: string, tree: string): Promise<void> {
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
  };
  try {
    const r = await compare(ctx.reps, {
      ocipack: { before: fresh, cmd: () => ocipack(ctx, ['copy', `${layout}:v1`, `oci://${reg!.host}/bench/copy:v1`, '--from-oci-layout']) },
      skopeo: { before: fresh, cmd: () => skopeo(ctx, ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${reg!.host}/bench/copy:v1`]) },
    });
    return [timeRow('push transfer 200 MiB', 'ocipack copy --from-oci-layout', r.ocipack!, { name: 'skopeo copy oci: docker://', best: r.skopeo! }, 1.25)];
  } finally {
    await reg?.stop();
  }
}

/** `ocipack pull` (download + verify + safe extraction) vs `skopeo copy docker://… oci:…` then `tar -xzf`. */
async function pullPair(ctx: Ctx, ref: string): Promise<Record<string, Best>> {
  let out = '';
  let layout = '';
  return compare(ctx.reps, {
    ocipack: {
      before: async () => void (out = await freshDir(ctx, 'pull-ocipack')),
      cmd: () => ocipack(ctx, ['pull', `oci://${ref}`, '-o', out]),
    },
    skopeo: {
      before: async () => {
        out = await freshDir(ctx, 'pull-skopeo');
        layout = await freshDir(ctx, 'pull-layout');
      },
      cmd: () => sh(`skopeo copy --quiet --src-tls-verify=false 'docker://${ref}' 'oci:${layout}:v1' && mkdir '${out}' && `
        + `tar -xzf "${layout}/blobs/sha256/$(ls -S '${layout}/blobs/sha256' | head -n 1)" -C '${out}'`, ctx.env),
    },
  });
}

/** Pull of the 200 MiB tree, plus push end to end (pack + upload) with its peak memory. */
export async function pushPull200(ctx: Ctx): Promise<Row[]> {
  const ref = `${ctx.registry.host}/bench/mixed200:v1`;
  await seed(ctx, `oci://${ref}`, ctx.trees.mixed200);
  const pulled = await pullPair(ctx, ref);
  const pushed = await compare(ctx.reps, {
    push: { cmd: () => ocipack(ctx, ['push', `oci://${ctx.registry.host}/bench/${ctx.fresh('push')}:v1`, '--path', ctx.trees.mixed200]) },
  });
  await cleanOutputs(ctx);
  return [
    timeRow('pull 200 MiB', 'ocipack pull', pulled.ocipack!, { name: 'skopeo copy + tar -xzf', best: pulled.skopeo! }, 1.0),
    timeRow('push 200 MiB', 'ocipack push (pack + upload)', pushed.push!),
    limitRow('peak RSS 200 MiB', 'ocipack push', pushed.push!.rssMiB, 'MiB', RSS_LIMIT_MIB),
    limitRow('peak RSS 200 MiB', 'ocipack pull', pulled.ocipack!.rssMiB, 'MiB', RSS_LIMIT_MIB),
  ];
}

/** The 20 000-file tree: push, and pull against skopeo + tar. */
export async function smallFiles(ctx: Ctx): Promise<Row[]> {
  const pushed = await compare(ctx.reps, {
    push: { cmd: () => ocipack(ctx, ['push', `oci://${ctx.registry.host}/bench/${ctx.fresh('small')}:v1`, '--path', ctx.trees.small20k]) },
  });
  const ref = `${ctx.registry.host}/bench/small20k:v1`;
  await seed(ctx, `oci://${ref}`, ctx.trees.small20k);
  const pulled = await pullPair(ctx, ref);
  await cleanOutputs(ctx);
  return [
    timeRow('20 000 small files', 'ocipack push', pushed.push!),
    timeRow('20 000 small files', 'ocipack pull', pulled.ocipack!, { name: 'skopeo copy + tar -xzf', best: pulled.skopeo! }),
  ];
}

/** Push and pull of the ~1 GiB tree once each, for time and peak memory. */
export async function big(ctx: Ctx): Promise<Row[]> {
  const tree = ctx.trees.mixed1g;
  if (tree === undefined) return [];
  const ref = `${ctx.registry.host}/bench/mixed1g:v1`;
  const push = await run(ocipack(ctx, ['push', `oci://${ref}`, '--path', tree]));
  const out = await freshDir(ctx, 'pull-1g');
  const pull = await run(ocipack(ctx, ['pull', `oci://${ref}`, '-o', out]));
  await cleanOutputs(ctx);
  const one = (seconds: number, rss: number): Best => ({ seconds: round(seconds), all: [round(seconds)], rssMiB: Math.round(rss) });
  return [
    timeRow('1 GiB tree', 'ocipack push (pack + upload)', one(push.seconds, push.rssMiB)),
    timeRow('1 GiB tree', 'ocipack pull', one(pull.seconds, pull.rssMiB)),
    limitRow('peak RSS 1 GiB', 'ocipack push', Math.round(push.rssMiB), 'MiB', RSS_LIMIT_MIB),
    limitRow('peak RSS 1 GiB', 'ocipack pull', Math.round(pull.rssMiB), 'MiB', RSS_LIMIT_MIB),
  ];
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
      timeRow('re-push unchanged 200 MiB', 'ocipack push --reproducible (2nd)', { seconds: round(second.seconds), all: [round(second.seconds)], rssMiB: 0 }),
      limitRow('re-push unchanged 200 MiB', 'HTTP requests', log.length, 'requests', 5, '≤ a handful (5)'),
      limitRow('re-push unchanged 200 MiB', 'blob uploads', uploads, 'blob uploads', 0, 'none'),
    ],
    requests: log.map((r) => `${r.method} ${r.path.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…')} ${r.status}`),
  };
}

async function cleanOutputs(ctx: Ctx): Promise<void> {
  const { readdir } = await import('node:fs/promises');
  for (const name of await readdir(ctx.work)) {
    if (/^pull-/.test(name)) await rm(join(ctx.work, name), { recursive: true, force: true });
  }
}
