/** `ocipack prune`: retention by policy — a plan of what stays and what goes, carried out only with --yes. */
import type { Command } from 'commander';
import { action } from '../run.js';
import { collect, formatOf, parseCount, parseDuration } from '../common.js';
import { usageError } from '../../core/errors.js';
import { renderTable } from '../table.js';
import type { Ui } from '../ui.js';

interface PruneFlags {
  keepSemver?: number;
  semver?: string;
  keepRegex?: string;
  keepNewerThan?: string;
  deleteRegex?: string;
  protectSemver?: string[];
  yes?: boolean;
  dryRun?: boolean;
  output?: string;
}

type Result = import('../../usecases/prune.js').PruneResult;

/** Register `prune`. */
export function definePrune(program: Command): Command {
  return program
    .command('prune')
    .summary('delete old tags of a repository by policy (a dry run unless --yes)')
    .argument('<repository>', 'oci://host/repository (or <dir> with --oci-layout)')
    .option('--keep-semver <n>', 'keep the n highest version tags (within --semver when given)', parseCount('--keep-semver'))
    .option('--semver <range>', 'prune only versions inside this range; versions outside it are kept')
    .option('--keep-regex <regex>', 'keep tags matching this regular expression')
    .option('--keep-newer-than <duration>', 'keep tags whose artifact was created (org.opencontainers.image.created) less than this long ago, e.g. 30d, 12h')
    .option('--delete-regex <regex>', 'delete tags matching this regular expression, versions or not (a keep rule still wins)')
    .option('--protect-semver <range>', 'never delete the tag this range resolves to today (what a Flux OCIRepository with this ref.semver pulls); repeatable', collect)
    .option('--yes', 'delete what the plan says (without it prune only prints the plan)')
    .option('--dry-run', 'print the plan and change nothing (the default)')
    .option('--oci-layout', 'prune an OCI image-layout directory <dir>')
    .option('--max-tags <n>', 'most tags to read (default 100000)', parseCount('--max-tags'))
    .option('-o, --output <format>', 'machine output on stdout: the plan as json or yaml (flux\'s alias of --format)')
    .addHelpText('after', `
Tags that are not versions are kept unless --delete-regex names them. A manifest that a kept tag names is
never deleted (deleting a version never takes latest with it); deleting a manifest deletes every tag that
names it, its referrers (signatures, attestations, SBOMs), its sha256-<hex> fallback index and its cosign
.sig/.att/.sbom tags. A run stopped midway is finished by the next run of the same policy.
The registry must allow deletes (CNCF distribution: storage.delete.enabled); GHCR and Docker Hub do not.

Example:
  ocipack prune oci://registry.example.com/org/app --keep-semver 10 --protect-semver ">=1.0.0 <2.0.0"
  ocipack prune oci://registry.example.com/org/app --keep-newer-than 30d --delete-regex "^pr-" --yes
  ocipack prune ./layout --oci-layout --keep-semver 3 -o json`)
    .action(action<PruneFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      if (flags.yes && flags.dryRun) throw usageError('--yes and --dry-run contradict each other: choose one');
      const { prune } = await import('../../usecases/prune.js');
      const opts: import('../../usecases/prune.js').PruneOptions = { ...common, reference: args[0]! };
      if (flags.keepSemver !== undefined) opts.keepSemver = flags.keepSemver;
      if (flags.semver !== undefined) opts.semver = flags.semver;
      if (flags.keepRegex !== undefined) opts.keepRegex = flags.keepRegex;
      if (flags.keepNewerThan !== undefined) opts.keepNewerThanMs = durationOf(flags.keepNewerThan);
      if (flags.deleteRegex !== undefined) opts.deleteRegex = flags.deleteRegex;
      if (flags.protectSemver !== undefined) opts.protectSemver = flags.protectSemver;
      if (flags.yes) opts.yes = true;
      opts.onPlan = (plan) => {
        if (format !== 'text') ui.data(plan, format);
        else if (!ui.opts.quiet) ui.raw(renderPlan(plan));
      };
      const r = await prune(opts);
      summarise(ui, r);
    }));
}

/** The plan as a table: each kept tag and why, each deleted manifest with every tag and attached manifest that goes with it. */
function renderPlan(p: Result): string {
  const rows: string[][] = p.kept.map((k) => ['keep', k.tag, k.digest, k.reason]);
  for (const d of p.deleted) {
    for (const t of d.tags) rows.push(['delete', t.tag, d.digest, t.reason]);
    for (const a of d.attached) rows.push(['delete', a.tags.join(', ') || '(untagged)', a.digest, `${a.kind}${a.artifactType ? ` ${a.artifactType}` : ''} of ${d.digest.slice(0, 19)}…`]);
  }
  return rows.length === 0 ? `no tags in ${p.repository}` : renderTable(['action', 'tag', 'manifest', 'why'], rows);
}

/** `--keep-newer-than`'s value in ms; a bad one is a usage error naming the flag. */
function durationOf(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw usageError(`--keep-newer-than: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function summarise(ui: Ui, r: Result): void {
  const tags = r.deleted.reduce((n, d) => n + d.tags.length, 0);
  const attached = r.deleted.reduce((n, d) => n + d.attached.length, 0);
  const what = `${r.deleted.length} manifest(s) with ${tags} tag(s) and ${attached} attached manifest(s); ${r.kept.length} tag(s) kept`;
  if (r.dryRun) ui.success(`dry run: would delete ${what}; nothing changed${r.deleted.length > 0 ? ' (add --yes to delete)' : ''}`);
  else ui.success(`deleted ${what} (${r.manifestsDeleted} manifest(s) deleted by this run)`);
}
