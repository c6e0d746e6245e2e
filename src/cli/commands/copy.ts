/** `ocipack copy`: an artifact with everything it references, between registries and layout directories. */
import type { Command } from 'commander';
import { action } from '../run.js';
import { formatOf } from '../common.js';
import { addSideFlags, sideFields, type SideFlags } from '../sides.js';
import { formatBytes } from '../format.js';

interface CopyFlags extends SideFlags {
  includeReferrers?: boolean;
  output?: string;
  dryRun?: boolean;
}

/** Register `copy`. */
export function defineCopy(program: Command): Command {
  return addSideFlags(program
    .command('copy')
    .summary('copy an artifact with everything it references between registries and/or layout directories (oras cp, crane copy)')
    .argument('<source>', 'oci://host/repository[:tag|@digest] (or <dir>[:tag|@digest] with --from-oci-layout)')
    .argument('<destination>', 'oci://host/repository[:tag], or :tag1,tag2,… for several tags (or <dir>[:tag] with --to-oci-layout); without a tag the source tag is kept'))
    .option('--include-referrers', 'also copy signatures, attestations and other referrers (OCI referrers and cosign .sig/.att/.sbom tags)')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml (flux\'s alias of --format)')
    .option('--dry-run', 'read the source and check the destination; print what would be copied, change nothing')
    .addHelpText('after', `
Example:
  ocipack copy oci://ghcr.io/org/app:v1 oci://registry.example.com/mirror/app --include-referrers
  # two private registries, one credential each (never sent to the other host)
  ocipack copy oci://ghcr.io/org/app:v1 oci://registry.internal/org/app --from-creds "$GH_USER:$GH_TOKEN" --to-creds "ci:$PW"
  # air gap: registry → directory → (carry it over) → registry; the digest never changes
  ocipack copy oci://ghcr.io/org/app:v1 ./transfer:v1 --to-oci-layout --include-referrers
  ocipack copy ./transfer:v1 oci://registry.internal/org/app:v1 --from-oci-layout --include-referrers`)
    .action(action<CopyFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { copy } = await import('../../usecases/copy.js');
      const opts: import('../../usecases/copy.js').CopyOptions = { ...common, source: args[0]!, destination: args[1]!, ...sideFields(flags) };
      if (flags.includeReferrers) opts.includeReferrers = true;
      if (flags.dryRun) opts.dryRun = true;
      const r = await copy(opts);
      const extra = r.referrers > 0 ? ` and ${r.referrers} referrer(s)` : '';
      if (r.dryRun) {
        const tagNote = r.tag === undefined ? '' : r.previous === undefined ? `; would create tag ${r.tag}` : r.previous === r.digest ? `; tag ${r.tag} already names it` : `; would move tag ${r.tag} from ${r.previous}`;
        ui.success(`dry run: would copy ${r.source} to ${r.destination}@${r.digest}${extra} (${r.copied} to write, ${formatBytes(r.bytes)}; ${r.skipped} already there)${tagNote}; nothing changed`);
      } else {
        ui.success(`copied ${r.source} to ${r.destination}@${r.digest}${extra} (${r.copied} written, ${r.skipped} skipped)`);
        if ((r.tags?.length ?? 0) > 1) ui.success(`tagged ${r.tags!.join(', ')}`);
      }
      ui.data({
        source: r.source, destination: r.destination, digest: r.digest, mediaType: r.mediaType, tag: r.tag ?? '', tags: r.tags ?? [],
        copied: r.copied, skipped: r.skipped, bytes: r.bytes, referrers: r.referrers,
        ...(r.dryRun ? { dryRun: true, previous: r.previous } : {}),
      }, format);
    }));
}
