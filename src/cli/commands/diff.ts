/** `ocipack diff`: flux diff artifact (or two artifacts), file by file or object by object; exit 0 same, 1 different, 2 trouble (diff(1)). */
import type { Command } from 'commander';
import { action, reportError, type ActionContext } from '../run.js';
import { addReadFlags, collect, collectList, formatOf, treePath } from '../common.js';
import { diffLines } from '../diff-lines.js';

interface DiffFlags {
  path?: string[];
  ignorePaths?: string[];
  addIgnorePaths?: string[];
  resolveSymlinks?: boolean;
  brief?: boolean;
  unified?: boolean;
  output?: string;
  platform?: string;
  kubernetes?: boolean;
  fromOciLayout?: boolean;
  toOciLayout?: boolean;
}

/** Exit codes of diff(1), which SPEC §3 gives `diff` instead of the usual ones. */
const SAME = 0;
const DIFFERENT = 1;
const TROUBLE = 2;

/** Register `diff`. */
export function defineDiff(program: Command): Command {
  const cmd = program
    .command('diff')
    .summary('compare an artifact with a local directory or another artifact, file by file; exit 0 same, 1 different, 2 trouble (flux diff artifact)')
    .argument('<reference>', 'the artifact (a/): oci://host/repository[:tag|@digest] (or <dir>[:tag|@digest] with --oci-layout or --from-oci-layout)')
    .argument('[to]', 'a second artifact (b/) to compare with instead of --path (a layout with --oci-layout or --to-oci-layout)')
    .option('-f, --path <dir>', 'local directory (or file) to compare, after the same ignores as push; repeat as for push (<src>[=<path in the artifact>])', collect)
    .option('--ignore-paths <patterns>', 'replace the default ignore list (comma-separated, gitignore syntax)', collectList)
    .option('--add-ignore-paths <patterns>', 'extend the default ignore list (comma-separated)', collectList)
    .option('--resolve-symlinks', 'compare what symlinks point to, as push --resolve-symlinks packs it')
    .option('--from-oci-layout', 'the first reference is an OCI image-layout directory <dir>[:tag|@digest]')
    .option('--to-oci-layout', 'the second reference is an OCI image-layout directory <dir>[:tag|@digest]')
    .option('--brief', 'print only whether they differ')
    .option('-u, --unified', 'print a unified diff of every changed text file (artifact a/, local or second artifact b/); binary files say so')
    .option('--kubernetes', 'group the changes of YAML files by Kubernetes object (Kind/namespace/name): added, removed, changed (which fields), moved')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml (flux\'s alias of --format)')
    .option('--platform <os/arch[/variant]>', 'platform to pick from an index (default linux/amd64)');
  return addReadFlags(cmd)
    .addHelpText('after', `
Lines on stdout: "added <path>" (only in b: local or the second artifact), "removed <path>" (only in
the artifact a), "changed <path>" (content or executable bit differ). With --unified, a unified diff per
text file instead (files up to 1 MiB; "Binary files … differ" for the others, as diff(1) says).
With --kubernetes, YAML files count by object first: "added|removed|changed|moved Kind/namespace/name"
(changed: the fields that differ; moved: from one file to another, same content), then the files that
no object accounts for (not YAML, no objects, not valid YAML).

Example:
  ocipack diff oci://ghcr.io/org/app-manifests:v1.0.0 --path ./deploy
  ocipack diff oci://ghcr.io/org/app-manifests:latest --path ./deploy --brief || ocipack push ...
  ocipack diff oci://ghcr.io/org/app-manifests:v1.0.0 --path ./deploy -u     # what changed, line by line
  ocipack diff oci://ghcr.io/org/app-manifests:production oci://ghcr.io/org/app-manifests:staging --kubernetes -u`)
    .action(action<DiffFlags>(async (ctx) => {
      try {
        return await run(ctx);
      } catch (err) {
        reportError(ctx.ui, err, ctx.common.signal, ctx.flags.debug ?? false);
        return TROUBLE;
      }
    }));
}

async function run({ ui, flags, common, args }: ActionContext<DiffFlags>): Promise<number> {
  const format = formatOf(flags, true);
  const { diff } = await import('../../usecases/diff.js');
  const to = args[1];
  const opts: import('../../usecases/diff.js').DiffOptions = { ...common, reference: args[0]! };
  if (to !== undefined) opts.to = to;
  if (flags.path !== undefined) opts.path = treePath(flags.path);
  if (flags.fromOciLayout) opts.fromOciLayout = true;
  if (flags.toOciLayout) opts.toOciLayout = true;
  if (flags.ignorePaths) opts.ignorePaths = flags.ignorePaths;
  if (flags.addIgnorePaths) opts.addIgnorePaths = flags.addIgnorePaths;
  if (flags.resolveSymlinks) opts.resolveSymlinks = true;
  if (flags.platform !== undefined) opts.platform = flags.platform;
  if (flags.unified && !flags.brief) opts.unified = true;
  if (flags.kubernetes && !flags.brief) opts.kubernetes = true;
  const r = await diff(opts);
  const other = to ?? [treePath(flags.path)].flat().join(', ');
  if (format !== 'text') {
    const sides = to === undefined ? { path: treePath(flags.path) } : { toReference: to, toDigest: r.to?.digest };
    const objects = r.objects && !flags.brief ? { objects: r.objects } : {};
    ui.data({ reference: args[0], digest: r.digest, ...sides, differ: r.differ, changes: flags.brief ? [] : r.changes, ...objects }, format);
  } else if (flags.brief) {
    if (r.differ) ui.print(`${args[0]} and ${other} differ`);
  } else if (r.changes.length > 0) {
    ui.print(diffLines(r.changes, r.objects, opts.unified ?? false).join('\n'));
  }
  if (!r.differ) ui.success('no changes detected');
  else if (!flags.quiet) ui.warn(`${r.changes.length} path(s) differ between ${args[0]} and ${other}${r.objects ? `; ${r.objects.length} object change(s)` : ''}`);
  return r.differ ? DIFFERENT : SAME;
}
