/** `ocipack tag`: flux tag artifact — more tags for an existing manifest, no blob moved. */
import type { Command } from 'commander';
import { action } from '../run.js';
import { usageError } from '../../core/errors.js';
import { parseSize, collectList, formatOf } from '../common.js';

interface TagFlags {
  tag?: string[];
  output?: string;
  dryRun?: boolean;
}

/** Register `tag`. */
export function defineTag(program: Command): Command {
  const cmd = program
    .command('tag')
    .summary('give an existing artifact more tags in the same repository; the digest is unchanged (flux tag artifact)')
    .argument('<reference>', 'oci://host/repository:tag|@digest (or <dir>[:tag|@digest] with --oci-layout)')
    .option('-t, --tag <tag>', 'new tag (repeatable, comma-separated)', collectList)
    .option('--dry-run', 'print which tags would be created or moved; change nothing')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml (flux\'s alias of --format)');
  return cmd
    .option('--oci-layout', 'treat the reference as an OCI image-layout directory <dir>[:tag|@digest]')
    .option('--max-manifest-size <size>', 'largest manifest to read (default 4MiB)', parseSize('--max-manifest-size'))
    .addHelpText('after', `
Example:
  ocipack tag oci://ghcr.io/org/app-manifests:v1.0.0 --tag latest --tag stable
  ocipack tag oci://ghcr.io/org/app-manifests@sha256:<hex> -t v1,v1.0
  ocipack tag ./layout:v1 --oci-layout -t latest`)
    .allowExcessArguments(true)
    .action(action<TagFlags>(async ({ ui, flags, common, args }) => {
      if (args.length > 1) throw secondPositional(args, flags.tag);
      const format = formatOf(flags, true);
      const { tag, repositoryIn } = await import('../../usecases/tag.js');
      const repository = repositoryIn(args[0]!, common.ociLayout);
      const onEvent = common.onEvent;
      const r = await tag({
        ...common,
        reference: args[0]!,
        tags: flags.tag ?? [],
        ...(flags.dryRun ? { dryRun: true } : {}),
        onEvent: (e) => {
          if (e.type === 'manifest:pushed' && e.tag !== undefined) ui.success(`artifact tagged as ${repository}:${e.tag}`);
          else onEvent?.(e);
        },
      });
      for (const m of r.moves ?? []) {
        const how = m.from === undefined ? 'create' : m.from === r.digest ? 'keep (already there)' : `move from ${m.from}`;
        ui.step(`dry run: ${repository}:${m.tag} → ${r.digest}: would ${how}`);
      }
      if (r.moves) ui.success('dry run: nothing changed');
      ui.data({ repository: r.repository, digest: r.digest, mediaType: r.mediaType, tags: r.tags, ...(r.moves ? { dryRun: true, moves: r.moves } : {}) }, format);
    }));
}

/** `tag <ref> <newtag>` (crane's and oras's order): a usage error whose hint is the same command with -t. */
function secondPositional(args: string[], given: string[] = []): Error {
  const tags = [...given, ...args.slice(1)].join(',');
  const shown = args.map((a) => (/^[\w@:/.,=+-]+$/.test(a) ? a : JSON.stringify(a)));
  return usageError(`too many arguments for 'tag': expected one reference, got ${shown.join(' ')}`, {
    next: 'tag-positional', suggestion: `ocipack tag ${shown[0]!} -t ${tags}`,
  });
}
