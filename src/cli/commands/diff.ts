/** `ocipack diff`: flux diff artifact, file by file; exit 0 same, 1 different, 2 trouble (diff(1)). */
import type { Command } from 'commander';
import { action, reportError, type ActionContext } from '../run.js';
import { addReadFlags, collect, collectList, formatOf, treePath } from '../common.js';

interface DiffFlags {
  path?: string[];
  ignorePaths?: string[];
  addIgnorePaths?: string[];
  resolveSymlinks?: boolean;
  brief?: boolean;
  unified?: boolean;
  output?: string;
  platform?: string;
}

/** Exit codes of diff(1), which SPEC §3 gives `diff` instead of the usual ones. */
const SAME = 0;
const DIFFERENT = 1;
const TROUBLE = 2;

/** Register `diff`. */
export function defineDiff(program: Command): Command {
  const cmd = program
    .command('diff')
    .summary('compare a local directory with an artifact file by file; exit 0 same, 1 different, 2 trouble (flux diff artifact)')
    .argument('<reference>', 'oci://host/repository[:tag|@digest] (or <dir>[:tag|@digest] with --oci-layout)')
    .option('-f, --path <dir>', 'local directory (or file) to compare, after the same ignores as push; repeat as for push (<src>[=<path in the artifact>])', collect)
    .option('--ignore-paths <patterns>', 'replace the default ignore list (comma-separated, gitignore syntax)', collectList)
    .option('--add-ignore-paths <patterns>', 'extend the default ignore list (comma-separated)', collectList)
    .option('--resolve-symlinks', 'compare what symlinks point to, as push --resolve-symlinks packs it')
    .option('--brief', 'print only whether they differ')
    .option('-u, --unified', 'print a unified diff of every changed text file (artifact a/, local b/); binary files say so')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml (flux\'s alias of --format)')
    .option('--platform <os/arch[/variant]>', 'platform to pick from an index (default linux/amd64)');
  return addReadFlags(cmd)
    .addHelpText('after', `
Lines on stdout: "added <path>" (only local), "removed <path>" (only in the artifact),
"changed <path>" (content or executable bit differ). With --unified, a unified diff per text file
instead (files up to 1 MiB; "Binary files … differ" for the others, as diff(1) says).

Example:
  ocipack diff oci://ghcr.io/org/app-manifests:v1.0.0 --path ./deploy
  ocipack diff oci://ghcr.io/org/app-manifests:latest --path ./deploy --brief || ocipack push ...
  ocipack diff oci://ghcr.io/org/app-manifests:v1.0.0 --path ./deploy -u     # what changed, line by line`)
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
  const opts: import('../../usecases/diff.js').DiffOptions = { ...common, reference: args[0]!, path: treePath(flags.path) };
  if (flags.ignorePaths) opts.ignorePaths = flags.ignorePaths;
  if (flags.addIgnorePaths) opts.addIgnorePaths = flags.addIgnorePaths;
  if (flags.resolveSymlinks) opts.resolveSymlinks = true;
  if (flags.platform !== undefined) opts.platform = flags.platform;
  if (flags.unified && !flags.brief) opts.unified = true;
  const r = await diff(opts);
  if (format !== 'text') {
    ui.data({ reference: args[0], digest: r.digest, path: treePath(flags.path), differ: r.differ, changes: flags.brief ? [] : r.changes }, format);
  } else if (flags.brief) {
    if (r.differ) ui.print(`${args[0]} and ${[treePath(flags.path)].flat().join(", ")} differ`);
  } else if (r.changes.length > 0) {
    ui.print(r.changes.map((c) => (opts.unified ? unifiedLine(c) : `${c.status} ${oneLine(c.path)}`)).join('\n'));
  }
  if (!r.differ) ui.success('no changes detected');
  else if (!flags.quiet) ui.warn(`${r.changes.length} path(s) differ from ${args[0]}`);
  return r.differ ? DIFFERENT : SAME;
}

/** A path from an archive on one line (a newline in a name must not fake another diff line). */
function oneLine(path: string): string {
  return path.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One change with --unified: its patch, or diff(1)'s words for what cannot be shown. */
function unifiedLine(c: import('../../usecases/diff.js').DiffChange): string {
  if (c.patch !== undefined) return c.patch.trimEnd();
  const p = oneLine(c.path);
  if (c.noPatch === 'binary') return `Binary files ${c.status === 'added' ? '/dev/null' : `a/${p}`} and ${c.status === 'removed' ? '/dev/null' : `b/${p}`} differ`;
  if (c.noPatch === 'too large') return `${c.status} ${p} (larger than 1 MiB: not shown)`;
  return `${c.status} ${p}${c.reason === 'mode' ? ' (executable bit)' : c.reason === 'type' ? ' (file or directory)' : ''}`;
}
