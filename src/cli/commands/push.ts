/** `ocipack push`: flux push artifact. */
import type { Command } from 'commander';
import { action } from '../run.js';
import { collect, collectList, formatOf } from '../common.js';

interface PushFlags {
  path?: string;
  source?: string;
  revision?: string;
  annotations?: string[];
  ignorePaths?: string[];
  addIgnorePaths?: string[];
  reproducible?: boolean;
  resolveSymlinks?: boolean;
  output?: string;
}

/** Register `push`. */
export function definePush(program: Command): Command {
  return program
    .command('push')
    .summary('pack a directory or file and push it as an OCI artifact (flux push artifact)')
    .argument('<reference>', 'oci://host/repository:tag (or <dir>[:tag] with --oci-layout)')
    .option('-f, --path <dir|file|->', 'directory or file to pack; - reads one file from stdin')
    .option('--source <url>', 'source URL annotation (default: from CI variables or git remote)')
    .option('--revision <rev>', 'revision annotation, e.g. main@sha1:<commit> (default: from CI or git)')
    .option('-a, --annotations <key=value>', 'extra manifest annotation (repeatable)', collect)
    .option('--ignore-paths <patterns>', 'replace the default ignore list (comma-separated, gitignore syntax)', collectList)
    .option('--add-ignore-paths <patterns>', 'extend the default ignore list (comma-separated)', collectList)
    .option('--reproducible', 'fixed creation time so the same content gives the same digest')
    .option('--resolve-symlinks', 'archive what symlinks point to (targets must stay inside --path)')
    .option('--oci-layout', 'push into an OCI image-layout directory <dir>[:tag] instead of a registry')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml')
    .addHelpText('after', `
Example:
  ocipack push oci://ghcr.io/org/app-manifests:v1.0.0 --path ./deploy \\
    --source "$(git config --get remote.origin.url)" --revision "main@sha1:$(git rev-parse HEAD)"
  ocipack push ./layout:v1 --oci-layout --path ./deploy --reproducible -o json`)
    .action(action<PushFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { push } = await import('../../usecases/push.js');
      const opts: import('../../usecases/push.js').PushOptions = { ...common, reference: args[0]!, path: flags.path ?? '' };
      if (flags.source !== undefined) opts.source = flags.source;
      if (flags.revision !== undefined) opts.revision = flags.revision;
      if (flags.annotations) opts.annotations = flags.annotations;
      if (flags.ignorePaths) opts.ignorePaths = flags.ignorePaths;
      if (flags.addIgnorePaths) opts.addIgnorePaths = flags.addIgnorePaths;
      if (flags.reproducible) opts.reproducible = true;
      if (flags.resolveSymlinks) opts.resolveSymlinks = true;
      if (flags.path === '-') opts.stdin = process.stdin;
      const r = await push(opts);
      ui.success(`artifact successfully pushed to ${r.repository}@${r.digest}`);
      ui.data({ url: r.url, repository: r.repository, tag: r.tag, digest: r.digest }, format);
    }));
}
