/** `ocipack build`: flux build artifact — the layer push would upload, written to a local file. */
import { Option, type Command } from 'commander';
import { action } from '../run.js';
import { collectList, formatOf } from '../common.js';

interface BuildFlags {
  path?: string;
  /** `-f`: push's and diff's short flag for --path, accepted here too (flux build uses -p). */
  f?: string;
  output?: string;
  ignorePaths?: string[];
  addIgnorePaths?: string[];
  resolveSymlinks?: boolean;
}

/** Register `build`. */
export function defineBuild(program: Command): Command {
  return program
    .command('build')
    .summary('write the exact layer (.tgz) push would upload, without a registry (flux build artifact)')
    .option('-p, --path <dir|file|->', 'directory or file to pack; - reads one file from stdin')
    .addOption(new Option('-f <dir|file|->', 'same as --path').hideHelp())
    .option('-o, --output <file.tgz>', 'file to write (replaced atomically)', 'artifact.tgz')
    .option('--ignore-paths <patterns>', 'replace the default ignore list (comma-separated, gitignore syntax)', collectList)
    .option('--add-ignore-paths <patterns>', 'extend the default ignore list (comma-separated)', collectList)
    .option('--resolve-symlinks', 'archive what symlinks point to (targets must stay inside --path)')
    .addHelpText('after', `
Example:
  ocipack build --path ./deploy -o artifact.tgz
  ocipack build -p ./deploy/manifest.yaml            # → ./artifact.tgz
  ocipack build --path ./deploy -o artifact.tgz --format json   # digest and diff_id on stdout`)
    .action(action<BuildFlags>(async ({ ui, flags, common }) => {
      const format = formatOf(flags, false);
      const { build } = await import('../../usecases/build.js');
      const path = flags.path ?? flags.f ?? '';
      const opts: import('../../usecases/build.js').BuildOptions = { ...common, path, output: flags.output ?? 'artifact.tgz' };
      if (flags.ignorePaths) opts.ignorePaths = flags.ignorePaths;
      if (flags.addIgnorePaths) opts.addIgnorePaths = flags.addIgnorePaths;
      if (flags.resolveSymlinks) opts.resolveSymlinks = true;
      if (path === '-') opts.stdin = process.stdin;
      const r = await build(opts);
      ui.success(`artifact successfully built at ${opts.output}`);
      ui.info(`digest ${r.digest}, ${r.entries} entries, diff_id ${r.diffId}`);
      ui.data({ output: r.output, digest: r.digest, size: r.size, diffId: r.diffId, entries: r.entries }, format);
    }));
}
