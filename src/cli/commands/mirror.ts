/** `ocipack mirror`: flux-mirror's job without a cluster — the tags a YAML file lists, copied where they are missing. */
import type { Command } from 'commander';
import { action } from '../run.js';
import { formatOf, parseCount } from '../common.js';
import { formatBytes } from '../format.js';
import { renderTable } from '../table.js';
import type { MirrorRecord } from '../../usecases/mirror.js';

interface MirrorFlags {
  output?: string;
  dryRun?: boolean;
  concurrency?: number;
  repositories?: number;
}

/** Failed tags named in the closing error line; the rest are counted. */
const NAMED_FAILURES = 5;

/** Register `mirror`. */
export function defineMirror(program: Command): Command {
  return program
    .command('mirror')
    .summary('copy the tags a YAML file lists from one registry to another, only what is missing (flux-mirror without a cluster)')
    .argument('<file>', 'YAML list of {source, destination, semver?, tags?, regex?, includeReferrers?}')
    .option('-o, --output <format>', 'machine output on stdout, one record per tag: json or yaml (flux\'s alias of --format)')
    .option('--dry-run', 'read both sides and compare; list what would be copied, change nothing')
    .option('--concurrency <n>', 'parallel blob transfers within one repository (default 4)', parseCount('--concurrency'))
    .option('--repositories <n>', 'repositories mirrored at once (default 3)', parseCount('--repositories'))
    .addHelpText('after', `
The file (every key but source and destination optional; without tags, semver or regex: every tag
except cosign's sha256-….sig/.att/.sbom tags, which travel with includeReferrers; a source or
destination written as a path, ./dir or /dir, is an OCI layout directory relative to the file):
  - source: oci://ghcr.io/org/app-manifests
    destination: oci://registry.internal/mirror/app-manifests
    semver: ">=1.0.0"
    includeReferrers: true
  - source: oci://ghcr.io/org/base
    destination: oci://registry.internal/mirror/base
    tags: [latest, v2.3.1]
  - source: oci://ghcr.io/org/app-manifests
    destination: ./transfer/app-manifests

Example:
  ocipack mirror mirror.yaml --dry-run
  ocipack mirror mirror.yaml --creds-for ghcr.io="$GH_USER:$GH_TOKEN" --creds-for registry.internal="ci:$PW" --timeout 1h
  # a failed or interrupted run: run it again; what was copied is skipped`)
    .action(action<MirrorFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { mirror } = await import('../../usecases/mirror.js');
      const opts: import('../../usecases/mirror.js').MirrorOptions = { ...common, file: args[0]! };
      if (flags.dryRun) opts.dryRun = true;
      if (flags.concurrency !== undefined) opts.concurrency = flags.concurrency;
      if (flags.repositories !== undefined) opts.repositories = flags.repositories;
      const r = await mirror(opts);
      if (!ui.opts.quiet) ui.raw(summary(r.records, r.dryRun === true));
      ui.data(r.records.map(recordOut), format);
      const done = r.records.filter((x) => x.status === 'copied' || x.status === 'would-copy').length;
      if (r.failed > 0) {
        const named = r.records.filter((x) => x.status === 'failed').map((x) => (x.tag ? `${x.source}:${x.tag} → ${x.destination}` : `${x.source} → ${x.destination} (the whole entry)`));
        const more = named.length > NAMED_FAILURES ? ` and ${named.length - NAMED_FAILURES} more` : '';
        ui.error(`mirror failed for ${r.failed} of ${r.records.length}: ${named.slice(0, NAMED_FAILURES).join(', ')}${more}`, 'the warnings above say why; run it again to copy the rest (what was copied is skipped)');
        return 1;
      }
      const skipped = r.records.length - done;
      ui.success(r.dryRun ? `dry run: would copy ${done} tag(s), ${skipped} already there; nothing changed` : `mirrored ${done} tag(s), ${skipped} already there`);
    }));
}

/** One row per entry: tags copied (or to copy), skipped, failed, and bytes written. */
function summary(records: readonly MirrorRecord[], dryRun: boolean): string {
  const rows = new Map<string, { copied: number; skipped: number; failed: number; bytes: number }>();
  for (const x of records) {
    const key = `${x.source} → ${x.destination}`;
    const row = rows.get(key) ?? { copied: 0, skipped: 0, failed: 0, bytes: 0 };
    if (x.status === 'failed') row.failed += x.tag === '' ? 0 : 1;
    else if (x.status === 'skipped') row.skipped++;
    else row.copied++;
    row.bytes += x.bytes;
    rows.set(key, row);
  }
  const header = ['entry', dryRun ? 'to copy' : 'copied', 'skipped', 'failed', 'bytes'];
  const failedEntries = new Set(records.filter((x) => x.tag === '').map((x) => `${x.source} → ${x.destination}`));
  return renderTable(header, [...rows].map(([key, n]) => [
    key, String(n.copied), String(n.skipped), failedEntries.has(key) ? 'entry' : String(n.failed), formatBytes(n.bytes),
  ]));
}

/** The JSON/YAML record of one tag (fields scripts may rely on: source, destination, tag, digest, status, bytes). */
function recordOut(x: MirrorRecord): Record<string, unknown> {
  return {
    source: x.source, destination: x.destination, tag: x.tag, digest: x.digest, status: x.status, bytes: x.bytes,
    referrers: x.referrers, ...(x.error === undefined ? {} : { error: x.error }),
  };
}
