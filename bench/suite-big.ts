/** The opt-in 2 GiB case (`--2g`): pull and push against the pigz pipelines, and their peak RSS. */
import { type Ctx } from './context.js';
import { limitRow, timeRow, type Row } from './report.js';
import { pullVs, RSS_GOAL_MIB } from './suite-pull.js';
import { pushVs } from './suite-push.js';
import { seed } from './suite-registry.js';

/** Best of at most 3: each repetition moves 2 GiB per contender. */
const MAX_REPS = 3;

/** Pull ≤ 1.2× `curl | pigz -dc | tar -xf`, push ≤ 1.2× `tar | pigz -p2` + curl, RSS ≤ 128 MiB. */
export async function big(ctx: Ctx): Promise<Row[]> {
  const tree = ctx.trees.mixed2g;
  if (tree === undefined) return [];
  const reps = Math.min(ctx.reps, MAX_REPS);
  const repo = 'bench/mixed2g';
  await seed(ctx, `oci://${ctx.registry.host}/${repo}:v1`, tree);
  // The decompressed layer is above the default 1 GiB pull cap.
  const pulled = await pullVs(ctx, repo, ['curl-pigz'], reps, ['--max-layer-size', '3GiB']);
  const pushed = await pushVs(ctx, tree, reps);
  const label = ctx.label.mixed2g;
  return [
    timeRow(`pull ${label}`, 'ocipack pull', pulled.ocipack!, { name: 'curl blob | pigz -dc | tar -xf', best: pulled['curl-pigz']! }, 1.2),
    timeRow(`push ${label}`, 'ocipack push (pack + upload)', pushed.ocipack!, { name: 'tar | pigz -p2 > file, curl POST + PUT', best: pushed.peer! }, 1.2),
    limitRow(`peak RSS ${label}`, 'ocipack pull', pulled.ocipack!.rssMiB, 'MiB', RSS_GOAL_MIB),
    limitRow(`peak RSS ${label}`, 'ocipack push', pushed.ocipack!.rssMiB, 'MiB', RSS_GOAL_MIB),
  ];
}
