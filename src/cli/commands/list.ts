/** `ocipack list`: flux list artifacts — tags with digest, source and revision, newest semver first. */
import type { Command } from 'commander';
import { action } from '../run.js';
import { parseCount, parseSize, formatOf } from '../common.js';
import { renderTable } from '../table.js';
import { formatBytes } from '../format.js';

interface ListFlags {
  filterSemver?: string;
  filterRegex?: string;
  output?: string;
  allTags?: boolean;
}

/** Register `list`. */
export function defineList(program: Command): Command {
  const cmd = program
    .command('list')
    .summary('list the tags of a repository with digest, source and revision (flux list artifacts)')
    .argument('<repository>', 'oci://host/repository (or <dir> with --oci-layout)')
    .option('--filter-semver <range>', 'only tags inside this semver range, e.g. ">=1.0.0 <2.0.0" (prereleases only when the range names one)')
    .option('--filter-regex <regex>', 'only tags matching this regular expression (with --filter-semver: both must match)')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml (default: a table)')
    .option('--all-tags', 'also list cosign (.sig/.att/.sbom) and referrers-schema (sha256-<hex>) tags');
  return cmd
    .option('--oci-layout', 'list an OCI image-layout directory: ref names (podman/Helm full references too), digests, sizes, chart name/version')
    .option('--max-manifest-size <size>', 'largest manifest to read (default 4MiB)', parseSize('--max-manifest-size'))
    .option('--max-tags <n>', 'most tags to list (default 100000)', parseCount('--max-tags'))
    .addHelpText('after', `
Example:
  ocipack list oci://ghcr.io/org/app-manifests
  ocipack list oci://ghcr.io/org/app-manifests --filter-semver ">=1.0.0" --filter-regex "^v" -o json
  ocipack list ./podman-save-dir --oci-layout     # then: ocipack pull ./podman-save-dir@tag=localhost/app:latest --oci-layout`)
    .action(action<ListFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { list } = await import('../../usecases/list.js');
      const opts: import('../../usecases/list.js').ListOptions = { ...common, reference: args[0]! };
      if (flags.filterSemver !== undefined) opts.filterSemver = flags.filterSemver;
      if (flags.filterRegex !== undefined) opts.filterRegex = flags.filterRegex;
      if (flags.allTags) opts.allTags = true;
      const rows = await list(opts);
      if (format === 'text' && common.ociLayout) {
        ui.print(renderTable(['ref name', 'digest', 'size', 'chart', 'revision'], rows.map((r) => [
          r.tag === '' ? '(untagged)' : r.tag, r.digest, r.size === undefined ? '' : formatBytes(r.size),
          r.chart ? `${r.chart.name} ${r.chart.version}` : '', r.revision,
        ])));
      } else if (format === 'text') {
        ui.print(renderTable(['artifact', 'digest', 'source', 'revision'], rows.map((r) => [r.artifact, r.digest, r.source, r.revision])));
      } else {
        ui.data(rows, format);
      }
      ui.info(`${rows.length} artifact(s)`);
    }));
}
