/**
 * `ocipack list` of a repository with 300 tags (300 distinct flux-shaped manifests, placed by plain
 * distribution-API calls) against flux's request pattern, emulated with one curl process.
 */
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { putBlob, putManifest } from '../test/helpers/rawoci.js';
import { ocipack, type Ctx } from './context.js';
import { compare } from './measure.js';
import { fluxListPattern } from './peers.js';
import { timeRow, type Row } from './report.js';

const TAGS = 300;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Pushes `TAGS` tags, each its own manifest (revision annotation differs), sharing one config and layer. */
async function seedTags(ctx: Ctx, repo: string): Promise<string[]> {
  const base = ctx.registry.url;
  const config = Buffer.from('{}');
  const layer = Buffer.from('not a real layer: list never reads it\n');
  const configDesc = { mediaType: 'application/vnd.cncf.flux.config.v1+json', digest: await putBlob(base, repo, config), size: config.length };
  const layerDesc = { mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', digest: await putBlob(base, repo, layer), size: layer.length };
  const tags: string[] = [];
  for (let i = 0; i < TAGS; i++) {
    const tag = `1.${Math.floor(i / 100)}.${i % 100}`;
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MANIFEST, config: configDesc, layers: [layerDesc],
      annotations: { 'org.opencontainers.image.source': 'https://example.com/bench.git', 'org.opencontainers.image.revision': `main@sha1:${String(i).padStart(40, '0')}` },
    }));
    await putManifest(base, repo, tag, manifest, MANIFEST);
    tags.push(tag);
  }
  return tags;
}

/** list of 300 tags: ocipack vs the emulated flux pattern (no goal in issue 16; it led at 0.44×). */
export async function list(ctx: Ctx): Promise<Row[]> {
  const repo = 'bench/tags300';
  const tags = await seedTags(ctx, repo);
  const config = join(ctx.work, 'flux-list.curl');
  const flux = await fluxListPattern(ctx.env, ctx.registry.url, repo, tags, config);
  try {
    const r = await compare(ctx.reps, {
      ocipack: { cmd: () => ocipack(ctx, ['list', `oci://${ctx.registry.host}/${repo}`]) },
      flux: { cmd: () => flux },
    });
    return [timeRow(`list, ${TAGS} tags`, 'ocipack list', r.ocipack!, { name: 'flux list pattern, emulated (one curl: /v2/ + tags, then /v2/ + manifest per tag)', best: r.flux! })];
  } finally {
    await rm(config, { force: true });
  }
}
