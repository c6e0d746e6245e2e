/** `ocipack pull`: flux pull artifact, with verification and safe extraction. */
import { Option, type Command } from 'commander';
import { action } from '../run.js';
import { addReadFlags, formatOf, parseCount } from '../common.js';

interface PullFlags {
  output?: string;
  mediaType?: string;
  layer?: number;
  platform?: string;
  semver?: string;
  clean?: boolean;
  overwriteDirs?: boolean;
  layerOperation?: 'extract' | 'copy';
  allLayers?: boolean;
}

/** Register `pull`. */
export function definePull(program: Command): Command {
  const cmd = program
    .command('pull')
    .summary('download an artifact, verify it and extract it into a directory (flux pull artifact)')
    .argument('<reference>', 'oci://host/repository[:tag|@digest] (or <dir>[:tag] with --oci-layout)')
    .option('-o, --output <dir>', 'directory to extract into (created when missing)')
    .option('--media-type <type>', 'take the layer(s) with this media type (a tar: the first is extracted; raw files: each is written)')
    .option('--layer <n>', 'take the layer at this position (0-based)', parseCount('--layer'))
    .addOption(new Option('--layer-operation <op>', "flux's layerSelector.operation: extract a tar layer (gzip, zstd or plain), or copy the layer as one file named by its title").choices(['extract', 'copy']))
    .option('--all-layers', 'container images: apply every layer in order, with OCI whiteouts, into one tree (as crane export)')
    .option('--platform <os/arch[/variant]>', 'platform to pick from an index (default linux/amd64)')
    .option('--semver <range>', 'the reference is a repository: pull its highest tag inside this semver range')
    .option('--max-tags <n>', 'with --semver: most tags to list (default 100000)', parseCount('--max-tags'))
    .option('--clean', 'make the output exactly the artifact: remove what it does not hold (default: merge into the output)')
    .option('--overwrite-dirs', 'let the artifact replace a directory of the output with a file, or a file with a directory');
  return addReadFlags(cmd)
    .addHelpText('after', `
Example:
  ocipack pull oci://ghcr.io/org/app-manifests:v1.0.0 --output ./deploy
  ocipack pull ./layout:v1 --oci-layout -o ./out
  ocipack pull oci://ghcr.io/org/app-manifests --semver ">=1.0.0 <2.0.0" -o ./deploy
  ocipack pull oci://ghcr.io/org/config:v1 --media-type text/yaml --layer-operation copy -o ./cfg   # a raw layer as a file
  ocipack pull ./podman-dir@tag=localhost/app:latest --oci-layout --all-layers -o ./rootfs`)
    .action(action<PullFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, false);
      const { pull } = await import('../../usecases/pull.js');
      const opts: import('../../usecases/pull.js').PullOptions = { ...common, reference: args[0]!, output: flags.output ?? '' };
      if (flags.mediaType !== undefined) opts.mediaType = flags.mediaType;
      if (flags.layer !== undefined) opts.layer = flags.layer;
      if (flags.platform !== undefined) opts.platform = flags.platform;
      if (flags.semver !== undefined) opts.semver = flags.semver;
      if (flags.clean) opts.clean = true;
      if (flags.overwriteDirs) opts.overwriteDirs = true;
      if (flags.layerOperation !== undefined) opts.layerOperation = flags.layerOperation;
      if (flags.allLayers) opts.allLayers = true;
      const r = await pull(opts);
      if (r.source) ui.success(`source ${r.source}`);
      if (r.revision) ui.success(`revision ${r.revision}`);
      ui.success(`digest ${r.digest}`);
      if (r.chart) ui.success(`chart ${r.chart.name} ${r.chart.version}${r.chart.appVersion ? ` (app ${r.chart.appVersion})` : ''}`);
      ui.success(`${r.operation === 'copy' ? `${r.files?.length ?? 0} file(s) written to ${flags.output}` : `artifact content extracted to ${flags.output}`}${placedText(r)}`);
      const layer = { index: r.layer.index, mediaType: r.layer.mediaType, digest: r.layer.digest, size: r.layer.size };
      const more = r.layers.length > 1 ? { layers: r.layers.map((l) => ({ index: l.index, mediaType: l.mediaType, digest: l.digest, size: l.size })) } : {};
      ui.data({
        url: r.url, repository: r.repository, tag: r.tag, digest: r.digest, source: r.source, revision: r.revision, output: r.output,
        layer, ...more, operation: r.operation, ...(r.files ? { files: r.files } : {}), ...(r.chart ? { chart: r.chart } : {}),
        filesAdded: r.filesAdded, filesReplaced: r.filesReplaced, filesKept: r.filesKept, filesRemoved: r.filesRemoved,
      }, format);
    }));
}

/** What a pull into an existing output did to it: nothing for a new output, else the counts that are not zero. */
function placedText(r: import('../../usecases/pull.js').PullResult): string {
  if (r.filesReplaced + r.filesKept + r.filesRemoved === 0) return '';
  const parts = [`${r.filesAdded} added`, `${r.filesReplaced} replaced`];
  if (r.filesKept > 0) parts.push(`${r.filesKept} kept from before`);
  if (r.filesRemoved > 0) parts.push(`${r.filesRemoved} removed`);
  return ` (files: ${parts.join(', ')})`;
}
