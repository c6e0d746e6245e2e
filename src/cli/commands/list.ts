/** `ocipack list`: flux list artifacts — tags with digest, source and revision, newest semver first. */
import type { Command } from 'commander';
import { action } from '../run.js';
import { parseSize, formatOf } from '../common.js';
import { renderTable } from '../table.js';

interface ListFlags {
  filterSemver?: string;
  filterRegex?: string;
  output?: string;
}

/** Register `list`. */
export function defineList(program: Command): Command {
  const cmd = program
    .command('list')
    .summary('list the tags of a repository with digest, source and revision (flux list artifacts)')
    .argument('<repository>', 'oci://host/repository (or <dir> with --oci-layout)')
    .option('--filter-semver <range>', 'only tags inside this semver range, e.g. ">=1.0.0 <2.0.0" (prereleases only when the range names one)')
    .option('--filter-regex <regex>', 'only tags matching this regular expression (with --filter-semver: both must match)')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml (default: a table)');
  return cmd
    .option('--oci-layout', 'treat the reference as an OCI image-layout directory <dir>[:tag|@digest]')
    .option('--max-manifest-size <size>', 'largest manifest to read (default 4MiB)', parseSize('--max-manifest-size'))
    .addHelpText('after', `
Example:
  ocipack list oci://ghcr.io/org/app-manifests
  ocipack list oci://ghcr.io/org/app-manifests --filter-semver ">=1.0.0" --filter-regex "^v" -o json`)
    .action(action<ListFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { list } = await import('../../usecases/list.js');
      const opts: import('../../usecases/list.js').ListOptions = { ...common, reference: args[0]! };
      if (flags.filterSemver !== undefined) opts.filterSemver = flags.filterSemver;
      if (flags.filterRegex !== undefined) opts.filterRegex = flags.filterRegex;
      const rows = await list(opts);
      if (format === 'text') {
        ui.print(renderTable(['artifact', 'digest', 'source', 'revision'], rows.map((r) => [r.artifact, r.digest, r.source, r.revision])));
      } else {
        ui.data(rows, format);
      }
      ui.info(`${rows.length} artifact(s)`);
    }));
}
