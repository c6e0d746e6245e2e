/**
 * Copy of an artifact of 5 incompressible 64 MiB blobs (pushed once, by plain distribution-API calls)
 * from the bench registry to a second registry started fresh for every repetition, and into an OCI
 * layout directory that never existed; against skopeo, whose blob-info cache is cleared each time.
 */
import { startRegistry, type RunningRegistry } from '../test/helpers/registry.js';
import { digestOf, putBlob, putManifest } from '../test/helpers/rawoci.js';
import { clearSkopeoCache, freshDir, gone, ocipack, skopeo, type Ctx } from './context.js';
import { binaryBytes } from './data.js';
import { compare } from './measure.js';
import { timeRow, type Row } from './report.js';

const BLOBS = 5;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Pushes the 5-blob artifact to `repo:v1` (untimed); one blob in memory at a time. */
async function seedBlobs(ctx: Ctx, repo: string): Promise<void> {
  const base = ctx.registry.url;
  const layers = [];
  for (let i = 0; i < BLOBS; i++) {
    const bytes = binaryBytes(1000 + i, ctx.copyBlobBytes);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: await putBlob(base, repo, bytes), size: bytes.length });
  }
  const config = Buffer.from('{}');
  await putBlob(base, repo, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MANIFEST, artifactType: 'application/vnd.ocipack.bench.v1',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(config), size: config.length }, layers,
  }));
  await putManifest(base, repo, 'v1', manifest, MANIFEST);
}

/** Registry → registry (≤ 1.1× skopeo) and registry → OCI layout (≤ 1.5× skopeo). */
export async function copies(ctx: Ctx): Promise<Row[]> {
  const repo = 'bench/copy5';
  await seedBlobs(ctx, repo);
  const src = `${ctx.registry.host}/${repo}:v1`;
  const size = `${BLOBS} blobs × ${Math.round(ctx.copyBlobBytes / 2 ** 20)} MiB`;
  let dest: RunningRegistry | undefined;
  const freshRegistry = async () => {
    await dest?.stop();
    dest = await startRegistry();
    await clearSkopeoCache(ctx);
  };
  let toRegistry;
  try {
    toRegistry = await compare(ctx.reps, {
      ocipack: { before: freshRegistry, cmd: () => ocipack(ctx, ['copy', `oci://${src}`, `oci://${dest!.host}/mirror/copy5:v1`]) },
      skopeo: { before: freshRegistry, cmd: () => skopeo(ctx, ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${src}`, `docker://${dest!.host}/mirror/copy5:v1`]) },
    });
  } finally {
    await dest?.stop();
  }
  let dir = '';
  const freshLayout = (prefix: string) => async () => {
    await clearSkopeoCache(ctx);
    dir = await freshDir(ctx, prefix);
  };
  const toLayout = await compare(ctx.reps, {
    ocipack: { before: freshLayout('copy-ocipack'), cmd: () => ocipack(ctx, ['copy', `oci://${src}`, `${dir}:v1`, '--to-oci-layout']), after: () => gone(dir) },
    skopeo: { before: freshLayout('copy-skopeo'), cmd: () => skopeo(ctx, ['copy', '--quiet', '--src-tls-verify=false', `docker://${src}`, `oci:${dir}:v1`]), after: () => gone(dir) },
  });
  return [
    timeRow(`copy registry → other registry, ${size}`, 'ocipack copy', toRegistry.ocipack!, { name: 'skopeo copy docker:// docker://', best: toRegistry.skopeo! }, 1.1),
    timeRow(`copy registry → OCI layout, ${size}`, 'ocipack copy --to-oci-layout', toLayout.ocipack!, { name: 'skopeo copy docker:// oci:', best: toLayout.skopeo! }, 1.5),
  ];
}
