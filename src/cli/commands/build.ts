/** `ocipack build`: flux build artifact — the layer push would upload, written to a local file. */
import { Option, type Command } from 'commander';
import { action } from '../run.js';
import { collect, collectList, formatOf, PATH_HELP, readsStdin, treePath } from '../common.js';

interface BuildFlags {
  path?: string[];
  /** `-f`: push's and diff's short flag for --path, accepted here too (flux build uses -p). */
  f?: string[];
  stdinName?: string;
  allowEmpty?: boolean;
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
    .option('-p, --path <dir|file|->', PATH_HELP, collect)
    .addOption(new Option('-f <dir|file|->', 'same as --path').hideHelp().argParser(collect))
    .option('--stdin-name <name>', 'file name for what --path - reads from stdin (default stdin.yaml)')
    .option('--allow-empty', 'build even when no file is left after the ignore rules')
    .option('-o, --output <file.tgz>', 'file to write (replaced atomically)', 'artifact.tgz')
    .option('--ignore-paths <patterns>', 'replace the default ignore list (comma-separated, gitignore syntax)', collectList)
    .option('--add-ignore-paths <patterns>', 'extend the default ignore list (comma-separated)', collectList)
    .option('--resolve-symlinks', 'archive what symlinks point to (targets must stay inside --path)')
    .addHelpText('after', `
Example:
  ocipack build --path ./deploy -o artifact.tgz
  ocipack build -p ./deploy/manifest.yaml            # → ./artifact.tgz
  ocipack build --path ./deploy -o artifact.tgz --format json   # digest and diff_id on stdout
  ocipack build -p ./base -p ./extra=apps/extra -o artifact.tgz  # several sources, one layer`)
    .action(action<BuildFlags>(async ({ ui, flags, common }) => {
      const format = formatOf(flags, false);
      const { build } = await import('../../usecases/build.js');
      const given = [...(flags.path ?? []), ...(flags.f ?? [])];
      const path = treePath(given);
      const opts: import('../../usecases/build.js').BuildOptions = { ...common, path, output: flags.output ?? 'artifact.tgz' };
      if (flags.ignorePaths) opts.ignorePaths = flags.ignorePaths;
      if (flags.addIgnorePaths) opts.addIgnorePaths = flags.addIgnorePaths;
      if (flags.resolveSymlinks) opts.resolveSymlinks = true;
      if (readsStdin(given)) opts.stdin = process.stdin;
      if (flags.stdinName !== undefined) opts.stdinName = flags.stdinName;
      if (flags.allowEmpty) opts.allowEmpty = true;
      const r = await build(opts);
      ui.success(`artifact successfully built at ${opts.output}`);
      ui.info(`digest ${r.digest}, ${r.entries} entries, diff_id ${r.diffId}`);
      ui.data({ output: r.output, digest: r.digest, size: r.size, diffId: r.diffId, entries: r.entries }, format);
    }));
}
