/**
 * Pull + extraction against three peers, each repetition into a directory that never existed
 * (ext4 creates files slower in a directory after mass deletes): skopeo + `tar -xzf`,
 * `curl | pigz -dc | tar -xf`, and for small files `curl | tar -xzf`.
 */
import { clearSkopeoCache, freshDir, gone, ocipack, type Ctx } from './context.js';
import { compare, sh, type Best, type Contender } from './measure.js';
import { curlPull } from './peers.js';
import { limitRow, timeRow, type Row } from './report.js';
import { seed } from './suite-registry.js';

/** Issue 16's memory goal for push and pull, at 200 MiB and 2 GiB. */
export const RSS_GOAL_MIB = 128;

type PeerName = 'skopeo' | 'curl-pigz' | 'curl-tar';

/** A contender that extracts into a fresh directory and removes it after its repetition. */
function intoFresh(ctx: Ctx, prefix: string, cmd: (out: string) => ReturnType<typeof ocipack>, extra?: () => Promise<void>): Contender {
  let out = '';
  return {
    before: async () => {
      await extra?.();
      out = await freshDir(ctx, prefix);
    },
    cmd: () => cmd(out),
    after: () => gone(out),
  };
}

/** ocipack pull of `repo:v1` on the bench registry against the named peers, interleaved. */
export async function pullVs(ctx: Ctx, repo: string, peers: PeerName[], reps = ctx.reps, pullArgs: string[] = []): Promise<Record<string, Best>> {
  const ref = `${ctx.registry.host}/${repo}:v1`;
  const base = ctx.registry.url;
  const contenders: Record<string, Contender> = {
    ocipack: intoFresh(ctx, 'pull-ocipack', (out) => ocipack(ctx, ['pull', `oci://${ref}`, '-o', out, ...pullArgs])),
  };
  let layout = '';
  if (peers.includes('skopeo')) {
    contenders.skopeo = intoFresh(ctx, 'pull-skopeo', (out) => sh(`skopeo copy --quiet --src-tls-verify=false 'docker://${ref}' 'oci:${layout}:v1' && mkdir '${out}' && `
      + `tar -xzf "${layout}/blobs/sha256/$(ls -S '${layout}/blobs/sha256' | head -n 1)" -C '${out}'`, ctx.env), async () => {
      await gone(layout);
      await clearSkopeoCache(ctx);
      layout = await freshDir(ctx, 'pull-layout');
    });
  }
  if (peers.includes('curl-pigz')) contenders['curl-pigz'] = intoFresh(ctx, 'pull-curlpigz', (out) => curlPull(ctx.env, base, repo, 'v1', out, 'pigz'));
  if (peers.includes('curl-tar')) contenders['curl-tar'] = intoFresh(ctx, 'pull-curltar', (out) => curlPull(ctx.env, base, repo, 'v1', out, 'tar-z'));
  try {
    return await compare(reps, contenders);
  } finally {
    await gone(layout);
  }
}

/** Pull of the 200 MiB tree: ≤ 0.8× skopeo + tar, ≤ 1.5× curl | pigz | tar; its peak RSS. */
export async function pull200(ctx: Ctx): Promise<Row[]> {
  const repo = 'bench/mixed200';
  await seed(ctx, `oci://${ctx.registry.host}/${repo}:v1`, ctx.trees.mixed200);
  const r = await pullVs(ctx, repo, ['skopeo', 'curl-pigz']);
  const group = `pull ${ctx.label.mixed200}`;
  return [
    timeRow(group, 'ocipack pull', r.ocipack!, { name: 'skopeo copy docker:// oci: + tar -xzf', best: r.skopeo! }, 0.8),
    timeRow(group, 'ocipack pull', r.ocipack!, { name: 'curl blob | pigz -dc | tar -xf', best: r['curl-pigz']! }, 1.5),
    limitRow(`peak RSS ${ctx.label.mixed200}`, 'ocipack pull', r.ocipack!.rssMiB, 'MiB', RSS_GOAL_MIB),
  ];
}

/** Pull of the 20 000-file tree: ≤ 1.5× `curl | tar -xzf`, and skopeo + tar for reference. */
export async function pullSmall(ctx: Ctx): Promise<Row[]> {
  const repo = 'bench/small20k';
  await seed(ctx, `oci://${ctx.registry.host}/${repo}:v1`, ctx.trees.small20k);
  const r = await pullVs(ctx, repo, ['curl-tar', 'skopeo']);
  const group = `pull ${ctx.label.small20k}`;
  return [
    timeRow(group, 'ocipack pull', r.ocipack!, { name: 'curl blob | tar -xzf', best: r['curl-tar']! }, 1.5),
    timeRow(group, 'ocipack pull', r.ocipack!, { name: 'skopeo copy docker:// oci: + tar -xzf', best: r.skopeo! }),
  ];
}
