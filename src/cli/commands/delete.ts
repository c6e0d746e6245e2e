/** `ocipack delete`: remove a tag, or a manifest by digest (--force), from a registry or a layout (crane delete). */
import type { Command } from 'commander';
import { action } from '../run.js';
import { formatOf } from '../common.js';

interface DeleteFlags {
  force?: boolean;
  dryRun?: boolean;
  ociLayout?: boolean;
  output?: string;
}

/** Register `delete`. */
export function defineDelete(program: Command): Command {
  return program
    .command('delete')
    .summary('delete a tag, or a manifest by digest with --force (crane delete, oras manifest delete)')
    .argument('<reference>', 'oci://host/repository:tag or oci://host/repository@sha256:… (or <dir>:tag|@digest with --oci-layout)')
    .option('--force', 'allow deleting the manifest (by digest, or for a tag when the registry cannot delete a tag alone): removes every tag that names it')
    .option('--dry-run', 'resolve and print what would be deleted; change nothing')
    .option('--oci-layout', 'delete from an OCI image-layout directory <dir>:tag|@digest')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml (flux\'s alias of --format)')
    .addHelpText('after', `
Many registries (the CNCF distribution registry 2.x among them) cannot delete a tag alone: then
delete <repo>:<tag> --force deletes its manifest, and so every tag naming it.
A registry deletes only when it allows it: GHCR and Docker Hub answer 405 UNSUPPORTED (delete in their
web UI instead); the CNCF distribution registry needs storage.delete.enabled.

Example:
  ocipack delete oci://registry.example.com/org/app:pr-123
  ocipack delete oci://registry.example.com/org/app@sha256:<hex> --force --dry-run
  ocipack delete ./layout:v1 --oci-layout`)
    .action(action<DeleteFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { deleteArtifact } = await import('../../usecases/delete.js');
      const opts: import('../../usecases/delete.js').DeleteOptions = { ...common, reference: args[0]! };
      if (flags.force) opts.force = true;
      if (flags.dryRun) opts.dryRun = true;
      const r = await deleteArtifact(opts);
      const what = !r.manifestDeleted ? `tag ${r.repository}:${r.tag} (${r.digest})` : manifestWithTags(r.repository, r.digest, r.tags);
      if (!r.dryRun) ui.success(`deleted ${what}`);
      else {
        ui.success(`dry run: would delete ${what}; nothing changed`);
        const alt = r.ifTagDeleteRefused;
        if (alt?.deleted) ui.warn(`if the registry cannot delete a tag alone (the CNCF distribution registry 2.x cannot), --force deletes ${manifestWithTags(r.repository, alt.digest, alt.tags)} instead`);
        else if (alt) ui.warn(`if the registry cannot delete a tag alone (the CNCF distribution registry 2.x cannot), the run fails and deletes nothing; --force would delete ${manifestWithTags(r.repository, alt.digest, alt.tags)}`);
      }
      ui.data(r, format);
    }));
}

function manifestWithTags(repository: string, digest: string, tags: string[]): string {
  return `manifest ${repository}@${digest}${tags.length > 0 ? ` and its tags ${tags.join(', ')}` : ' (no tag names it)'}`;
}
