/** `ocipack version`: flux version --client; the version of ocipack and of the Node.js running it. */
import type { Command } from 'commander';
import { VERSION } from '../../core/defaults.js';
import { formatOf } from '../common.js';
import { action } from '../run.js';

/** Register `version`. */
export function defineVersion(program: Command): Command {
  return program
    .command('version')
    .summary('print the version of ocipack and of Node.js (flux version --client)')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml (flux\'s alias of --format)')
    .addHelpText('after', `
Example:
  ocipack version
  ocipack version -o json | jq -r .version`)
    .action(action<{ output?: string }>(async ({ ui, flags }) => {
      const format = formatOf(flags, true);
      const info = { version: VERSION, node: process.version, platform: `${process.platform}/${process.arch}` };
      if (format === 'text') ui.print(`ocipack: v${VERSION}\nnode: ${process.version}`);
      else ui.data(info, format);
    }));
}
