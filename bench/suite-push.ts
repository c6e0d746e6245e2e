/**
 * Push against `tar | pigz -p2` + curl upload (a fresh repository per repetition), build against
 * `tar | pigz -p2`, and how fast a push that cannot succeed gives up, against packing alone.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, startRegistry, type RunningRegistry } from '../test/helpers/registry.js';
import { ocipack, type Ctx } from './context.js';
import { compare, type Best } from './measure.js';
import { curlPush, tarPigz } from './peers.js';
import { limitRow, timeRow, type Row } from './report.js';
import { RSS_GOAL_MIB } from './suite-pull.js';

/** ocipack push of `tree` vs the pigz + curl upload, each repetition into a repository never used before. */
export async function pushVs(ctx: Ctx, tree: string, reps = ctx.reps): Promise<Record<string, Best>> {
  const scratch = join(ctx.work, 'push-peer');
  const clean = async () => {
    for (const ext of ['tgz', 'json', 'manifest']) await rm(`${scratch}.${ext}`, { force: true });
  };
  try {
    return await compare(reps, {
      ocipack: { cmd: () => ocipack(ctx, ['push', `oci://${ctx.registry.host}/bench/${ctx.fresh('push')}:v1`, '--path', tree]) },
      peer: { cmd: () => curlPush(ctx.env, ctx.registry.url, `bench/${ctx.fresh('curlpush')}`, tree, scratch), after: clean },
    });
  } finally {
    await clean();
  }
}

/** Push of the 200 MiB tree: ≤ 1.1× `tar | pigz -p2` + curl POST/PUT; its peak RSS. */
export async function push200(ctx: Ctx): Promise<Row[]> {
  const r = await pushVs(ctx, ctx.trees.mixed200);
  return [
    timeRow(`push ${ctx.label.mixed200}`, 'ocipack push (pack + upload)', r.ocipack!, { name: 'tar | pigz -p2 > file, curl POST + PUT (layer, config, manifest)', best: r.peer! }, 1.1),
    limitRow(`peak RSS ${ctx.label.mixed200}`, 'ocipack push', r.ocipack!.rssMiB, 'MiB', RSS_GOAL_MIB),
  ];
}

/** Push of the 20 000-file tree against the same peer (no goal of its own; the build row carries it). */
export async function pushSmall(ctx: Ctx): Promise<Row[]> {
  const r = await pushVs(ctx, ctx.trees.small20k);
  return [timeRow(`push ${ctx.label.small20k}`, 'ocipack push (pack + upload)', r.ocipack!, { name: 'tar | pigz -p2 > file, curl POST + PUT', best: r.peer! })];
}

/** `ocipack build` of the 20 000-file tree: ≤ 1.3× `tar -c | pigz -p2`. */
export async function buildSmall(ctx: Ctx): Promise<Row[]> {
  const out = (name: string) => join(ctx.work, `build-${name}.tgz`);
  const r = await compare(ctx.reps, {
    ocipack: { before: () => rm(out('ocipack'), { force: true }), cmd: () => ocipack(ctx, ['build', '--path', ctx.trees.small20k, '-o', out('ocipack')]) },
    pigz: { cmd: () => tarPigz(ctx.env, ctx.trees.small20k, out('pigz')) },
  });
  await rm(out('ocipack'), { force: true });
  await rm(out('pigz'), { force: true });
  return [timeRow(`build ${ctx.label.small20k}`, 'ocipack build', r.ocipack!, { name: 'tar -c | pigz -p2 > file', best: r.pigz! }, 1.3)];
}

/**
 * A push that cannot succeed: to a closed port, and to a registry that answers 401 (htpasswd, no
 * credentials given). Time to exit for the 200 MiB tree, against packing that tree alone (`ocipack
 * build`): the failure should come well before packing would end.
 */
export async function failFast(ctx: Ctx): Promise<Row[]> {
  const closed = `127.0.0.1:${await freePort()}`;
  let locked: RunningRegistry | undefined;
  const out = join(ctx.work, 'failfast-build.tgz');
  try {
    locked = await startRegistry({ auth: 'htpasswd', users: { bench: 'not-given' } });
    const failing = (host: string) => ({ ...ocipack(ctx, ['push', `oci://${host}/bench/${ctx.fresh('fail')}:v1`, '--path', ctx.trees.mixed200]), mustFail: true });
    const r = await compare(ctx.reps, {
      closed: { cmd: () => failing(closed) },
      unauthorized: { cmd: () => failing(locked!.host) },
      build: { before: () => rm(out, { force: true }), cmd: () => ocipack(ctx, ['build', '--path', ctx.trees.mixed200, '-o', out]) },
    });
    const group = `push fails fast ${ctx.label.mixed200}`;
    const goal = 'well before packing ends (≤ 0.5×)';
    return [
      timeRow(group, 'push to a closed port: time to exit', r.closed!, { name: 'ocipack build (packing alone)', best: r.build! }, 0.5, goal),
      timeRow(group, 'push to a registry answering 401: time to exit', r.unauthorized!, { name: 'ocipack build (packing alone)', best: r.build! }, 0.5, goal),
    ];
  } finally {
    await locked?.stop();
    await rm(out, { force: true });
  }
}
