/** Suites that need no registry: packing against tar|gzip and tar|pigz, gzip engines. */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { createParallelGzip } from '../src/artifact/tar/gzip.js';
import { DEFAULTS } from '../src/core/defaults.js';
import { ocipack, type Ctx } from './context.js';
import { bestOf, compare, sh } from './measure.js';
import { timeRow, type Row } from './report.js';

/** `ocipack build` vs `tar -cf - | gzip -6` vs `tar -cf - | pigz -6` (both cores), same tree. */
export async function packing(ctx: Ctx): Promise<Row[]> {
  const tree = ctx.trees.mixed200;
  const out = (name: string) => join(ctx.work, `pack-${name}.tgz`);
  const tarTo = (filter: string, file: string) => sh(`tar -cf - -C '${tree}' . | ${filter} > '${file}'`);
  const r = await compare(ctx.reps, {
    ocipack: { before: () => rm(out('ocipack'), { force: true }), cmd: () => ocipack(ctx, ['build', '--path', tree, '-o', out('ocipack')]) },
    gzip: { cmd: () => tarTo('gzip -6', out('gzip')) },
    pigz: { cmd: () => tarTo('pigz -6 -p 2', out('pigz')) },
  });
  return [
    timeRow(`packing ${ctx.label.mixed200}`, 'ocipack build', r.ocipack!, { name: 'tar | gzip -6', best: r.gzip! }, 1.0, '≤ 1.0× (aim 0.6×)'),
    timeRow(`packing ${ctx.label.mixed200}`, 'ocipack build', r.ocipack!, { name: 'tar | pigz -6 -p 2', best: r.pigz! }),
  ];
}

/**
 * The gzip engine alone, in this process, on the same tar: Node's one-stream zlib vs the chunked
 * parallel deflate pack uses (SPEC §4 determinism is kept by both).
 */
export async function gzipEngines(ctx: Ctx): Promise<Row[]> {
  const tar = join(ctx.work, 'layer.tar');
  await pipeline(createReadStream(join(ctx.work, 'pack-ocipack.tgz')), createGunzip(), createWriteStream(tar));
  const sink = join(ctx.work, 'engine.gz');
  const single = await bestOf(ctx.reps, () => pipeline(createReadStream(tar), createGzip({ level: DEFAULTS.gzipLevel }), createWriteStream(sink)));
  const parallel = await bestOf(ctx.reps, () => pipeline(createReadStream(tar), createParallelGzip({ level: DEFAULTS.gzipLevel }), createWriteStream(sink)));
  await rm(tar, { force: true });
  await rm(sink, { force: true });
  return [timeRow('gzip engine (in-process)', 'parallel chunked deflate', parallel, { name: 'zlib one stream', best: single })];
}
