/** `ocipack promote`: verify an artifact, then copy it with all its referrers and tag it at the destination, the tag last. */
import type { Command } from 'commander';
import { action } from '../run.js';
import { formatOf } from '../common.js';
import { addSideFlags, sideFields, type SideFlags } from '../sides.js';
import { formatBytes } from '../format.js';
import type { Ui } from '../ui.js';
import { addTrustFlags, reportVerdict, signaturesAsked, trustFields, type TrustFlags } from '../trust.js';
import type { PromoteResult } from '../../usecases/promote.js';

interface PromoteFlags extends TrustFlags, SideFlags {
  output?: string;
  dryRun?: boolean;
}

/** What happened to the destination tag(s), in words. */
function tagNote(r: PromoteResult): string {
  const t = r.tagged;
  const others = t.tags.length > 1 ? ` (with ${t.tags.slice(1).join(', ')})` : '';
  if (t.previous === r.digest && !t.written) return `tag ${t.tag}${others} already names ${r.digest}`;
  const verb = r.dryRun ? 'would ' : '';
  if (t.previous === undefined) return `${verb}${r.dryRun ? 'create' : 'created'} tag ${t.tag}${others}`;
  if (t.previous === r.digest) return `${verb}${r.dryRun ? 'write' : 'wrote'} tag ${t.tag}${others}`;
  return `${verb}${r.dryRun ? 'move' : 'moved'} tag ${t.tag} from ${t.previous}${others}`;
}

/** The human report on stderr: the gate's verdict, then what was (or would be) copied and tagged. */
function report(ui: Ui, r: PromoteResult, asked: boolean): void {
  reportVerdict(ui, { ...r.verified, digest: r.digest }, asked);
  const c = r.copied;
  const refs = c.referrers > 0 ? `, ${c.referrers} referrer(s)` : '';
  if (r.dryRun) {
    ui.success(`dry run: would promote ${r.source}@${r.digest} to ${r.destination} (${c.blobs} to write, ${formatBytes(c.bytes)}; ${c.skipped} already there${refs}); ${tagNote(r)}; nothing changed`);
  } else {
    ui.success(`promoted ${r.source}@${r.digest} to ${r.destination} (${c.blobs} written, ${c.skipped} skipped${refs}); ${tagNote(r)}`);
  }
}

/** Register `promote`. */
export function definePromote(program: Command): Command {
  return addSideFlags(addTrustFlags(program
    .command('promote')
    .summary('verify an artifact, then copy it with its signatures and attestations to another tag, repository, registry or layout (staging → production)')
    .argument('<source>', 'oci://host/repository:tag|@digest (or <dir>[:tag|@digest] with --from-oci-layout)')
    .argument('<destination>', 'oci://host/repository[:tag], or :tag1,tag2,… for several tags (or <dir>[:tag] with --to-oci-layout); without a tag the source tag is kept')))
    .option('-o, --output <format>', 'the audit record on stdout: json or yaml (flux\'s alias of --format)')
    .option('--dry-run', 'verify, read the source and check the destination; print what would be copied and tagged, change nothing')
    .addHelpText('after', `
The source tag is resolved once; that digest is verified (without --key or a keyless identity: the
integrity of every blob), then copied with ALL its referrers (signatures, attestations, SBOMs), and the
destination tag is written last. Nothing is written at the destination when verification fails.
Exit codes: 0 promoted, 3 not verified (nothing written), 1 failed (a lookup that could not answer too), 2 usage.

Example:
  ocipack promote oci://ghcr.io/org/app:staging oci://ghcr.io/org/app:production --key cosign.pub
  ocipack promote oci://ghcr.io/org/app:staging oci://registry.internal/prod/app:production \\
    --certificate-identity https://github.com/org/app/.github/workflows/release.yaml@refs/heads/main \\
    --certificate-oidc-issuer https://token.actions.githubusercontent.com --trusted-root trusted_root.json -o json
  ocipack promote oci://ghcr.io/org/app:v1.2.0 ./airgap:v1.2.0 --to-oci-layout --key cosign.pub --dry-run`)
    .action(action<PromoteFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { promote, PromotionRefusedError } = await import('../../usecases/promote.js');
      const opts: import('../../usecases/promote.js').PromoteOptions = { ...common, source: args[0]!, destination: args[1]!, ...trustFields(flags), ...sideFields(flags) };
      if (flags.dryRun) opts.dryRun = true;
      try {
        const r = await promote(opts);
        report(ui, r, signaturesAsked(flags));
        ui.data(r, format);
        return 0;
      } catch (err) {
        if (!(err instanceof PromotionRefusedError)) throw err;
        reportVerdict(ui, { ...err.result.verified, digest: err.result.digest }, signaturesAsked(flags));
        ui.error(err.message);
        ui.data(err.result, format);
        return 3;
      }
    }));
}
