/** `ocipack push`: flux push artifact. */
import type { Command } from 'commander';
import { action } from '../run.js';
import { keylessFields, type KeylessFlags } from '../keyless.js';
import { collect, collectList, formatOf, PATH_HELP, readsStdin, treePath } from '../common.js';
import { FLUX_DEFAULT_IGNORE } from '../../core/defaults.js';
import { usageError } from '../../core/errors.js';
import { flagFor } from '../errors.js';
import { withLayoutSlip } from '../hints.js';
import type { CommonOptions } from '../../core/options.js';
import { formatBytes, type Format, type Ui } from '../ui.js';
import type { SignatureFormatName, SignOutcome } from '../../usecases/sign.js';

interface PushFlags extends KeylessFlags {
  path?: string[];
  stdinName?: string;
  allowEmpty?: boolean;
  source?: string;
  revision?: string;
  annotations?: string[];
  ignorePaths?: string[];
  addIgnorePaths?: string[];
  reproducible?: boolean;
  resolveSymlinks?: boolean;
  output?: string;
  chart?: string;
  signKey?: string;
  signatureFormat?: string;
  dryRun?: boolean;
  signKeyless?: boolean;
  provenance?: boolean;
  allowSecrets?: boolean;
}

/** Register `push`. */
export function definePush(program: Command): Command {
  return program
    .command('push')
    .summary('pack a directory or file and push it as an OCI artifact (flux push artifact)')
    .argument('<reference>', 'oci://host/repository:tag, or :tag1,tag2,… for several tags (or <dir>[:tag] with --oci-layout)')
    .option('-f, --path <dir|file|->', PATH_HELP, collect)
    .option('--stdin-name <name>', 'file name for what --path - reads from stdin (default stdin.yaml)')
    .option('--allow-empty', 'push even when no file is left after the ignore rules')
    .option('--source <url>', 'source URL annotation (default: from CI variables or git remote)')
    .option('--revision <rev>', 'revision annotation, e.g. main@sha1:<commit> (default: from CI or git)')
    .option('-a, --annotations <key=value>', 'extra manifest annotation (repeatable)', collect)
    .option('--ignore-paths <patterns>', `replace the default ignore list (comma-separated, gitignore syntax; default: ${FLUX_DEFAULT_IGNORE.join(', ')})`, collectList)
    .option('--add-ignore-paths <patterns>', 'extend the default ignore list (comma-separated)', collectList)
    .option('--reproducible', 'fixed creation time so the same content gives the same digest')
    .option('--resolve-symlinks', 'archive what symlinks point to (targets must stay inside --path)')
    .option('--oci-layout', 'push into an OCI image-layout directory <dir>[:tag] instead of a registry')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml')
    .option('--chart <dir|tgz>', 'push a Helm chart as helm push does, to <reference>/<chart name>:<version>')
    .option('--dry-run', 'pack and compare with the registry; print what would be uploaded and tagged, change nothing')
    .option('--allow-secrets', 'push files that hold credentials anyway: a plaintext Kubernetes Secret, a PEM private key, a .env file, a kubeconfig with credentials (refused by default)')
    .option('--sign-key <cosign.key>', 'sign the pushed digest with this cosign key (password from COSIGN_PASSWORD or a prompt)')
    .option('--signature-format <bundle|legacy>', 'with --sign-key: bundle (cosign 3 referrer, default) or legacy (sha256-<hex>.sig)')
    .option('--sign-keyless', 'sign the pushed digest keylessly: Fulcio certificate for the CI\'s OIDC identity, Rekor entry (see sign --keyless)')
    .option('--provenance', 'with --sign-key or --sign-keyless: also attach a signed SLSA Provenance v1 attestation built from the CI (GitHub Actions, GitLab CI, or "built locally")')
    .option('--identity-token <jwt|@file>', 'with --sign-keyless: the OIDC token (else SIGSTORE_ID_TOKEN, else GitHub Actions); never printed')
    .option('--fulcio-url <url>', 'with --sign-keyless: Fulcio (default https://fulcio.sigstore.dev)')
    .option('--rekor-url <url>', 'with --sign-keyless: Rekor v1 (default https://rekor.sigstore.dev)')
    .option('--timestamp-server-url <url>', 'with --sign-keyless: RFC 3161 timestamp authority')
    .option('--signing-config <file>', 'with --sign-keyless: cosign 3 signing config, instead of the three URLs')
    .addHelpText('after', `
Example:
  ocipack push oci://ghcr.io/org/app-manifests:v1.0.0 --path ./deploy \\
    --source "$(git config --get remote.origin.url)" --revision "main@sha1:$(git rev-parse HEAD)"
  ocipack push ./layout:v1 --oci-layout --path ./deploy --reproducible -o json
  ocipack push oci://ghcr.io/org/app:1.4.2,1.4,latest --path ./deploy   # one manifest, three tags
  ocipack push oci://ghcr.io/org/app:v1 -f ./base -f ./overlays/prod=apps/prod -f extra.yaml --reproducible
  kustomize build ./prod | ocipack push oci://ghcr.io/org/app:v1 -f - --stdin-name prod.yaml
  ocipack push oci://ghcr.io/org/charts --chart ./charts/podinfo   # → ghcr.io/org/charts/podinfo:<version>`)
    .action(action<PushFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      if (flags.chart !== undefined) return pushChartAction(ui, flags, common, args[0]!, format);
      const { push } = await import('../../usecases/push.js');
      const opts: import('../../usecases/push.js').PushOptions = { ...common, reference: args[0]!, path: treePath(flags.path) };
      if (flags.source !== undefined) opts.source = flags.source;
      if (flags.revision !== undefined) opts.revision = flags.revision;
      if (flags.annotations) opts.annotations = flags.annotations;
      if (flags.ignorePaths) opts.ignorePaths = flags.ignorePaths;
      if (flags.addIgnorePaths) opts.addIgnorePaths = flags.addIgnorePaths;
      if (flags.reproducible) opts.reproducible = true;
      if (flags.resolveSymlinks) opts.resolveSymlinks = true;
      if (readsStdin(flags.path)) opts.stdin = process.stdin;
      if (flags.stdinName !== undefined) opts.stdinName = flags.stdinName;
      if (flags.allowEmpty) opts.allowEmpty = true;
      if (flags.dryRun) opts.dryRun = true;
      if (flags.allowSecrets) opts.allowSecrets = true;
      if (flags.signKey !== undefined) {
        opts.signKey = flags.signKey;
        const prompt = readsStdin(flags.path) ? undefined : (await import('../password.js')).passwordPrompt({ confirm: false });
        if (prompt) opts.signPassword = prompt;
        if (flags.signatureFormat !== undefined) opts.signatureFormat = flags.signatureFormat as SignatureFormatName;
      } else if (flags.signatureFormat !== undefined) throw usageError('--signature-format needs --sign-key');
      if (flags.signKeyless) opts.signKeyless = true;
      if (flags.provenance) opts.provenance = true;
      Object.assign(opts, keylessFields(flags, (f) => {
        if (!flags.signKeyless) throw usageError(`${flagFor(f)} needs --sign-keyless`);
      }));
      const r = await push(opts).catch(async (err: unknown) => {
        throw common.ociLayout ? err : await withLayoutSlip(err, args[0]!, process.cwd());
      });
      if (r.plan) return printPlan(ui, r, format);
      ui.success(`artifact successfully pushed to ${r.repository}@${r.digest}`);
      if (r.signature) signedLine(ui, r.repository, r.signature);
      if (r.provenance) ui.success(`provenance (${r.provenance.predicateType}) stored as referrer ${r.repository}@${r.provenance.referrerDigest}`);
      const provenance = r.provenance ? { provenance: { referrer: r.provenance.referrerDigest, predicateType: r.provenance.predicateType, attachedVia: r.provenance.attachedVia } } : {};
      if (r.tags.length > 1) ui.success(`tagged ${r.tags.join(', ')}`);
      ui.data({ ...fluxDocument(r), unchanged: r.unchanged, ...(r.signature ? { signature: r.signature } : {}), ...provenance }, format);
    }));
}

/** flux's four fields in flux's order (`url` is the digest URL), then the tag URL and every tag written. */
function fluxDocument(r: import('../../usecases/push.js').PushResult): Record<string, unknown> {
  return { url: r.url, repository: r.repository, tag: r.tag, digest: r.digest, tagUrl: r.tagUrl, tags: r.tags };
}

/** One line saying where the signature of a push went. */
function signedLine(ui: Ui, repository: string, s: SignOutcome): void {
  const where = s.signatureFormat === 'legacy' ? `${repository}:${s.signatureTag ?? ''}` : `referrer ${repository}@${s.signatureDigest}`;
  const who = s.identity === undefined ? '' : ` as ${s.identity} (issuer ${s.issuer ?? '?'})`;
  ui.success(s.alreadySigned ? `${repository}@${s.digest} is already signed with this key` : `signed ${repository}@${s.digest}${who}; signature stored as ${where}`);
}

/** `push --chart`: the Helm path, kept apart from the Flux artifact path above. */
async function pushChartAction(ui: Ui, flags: PushFlags, common: CommonOptions, reference: string, format: Format): Promise<void> {
  if (flags.path !== undefined) throw usageError('--chart and --path cannot be used together');
  const fluxOnly = { '--stdin-name': flags.stdinName, '--allow-empty': flags.allowEmpty, '--source': flags.source, '--revision': flags.revision, '--annotations': flags.annotations, '--ignore-paths': flags.ignorePaths, '--add-ignore-paths': flags.addIgnorePaths, '--resolve-symlinks': flags.resolveSymlinks };
  const given = Object.entries(fluxOnly).filter(([, v]) => v !== undefined).map(([k]) => k);
  if (given.length > 0) throw usageError(`${given.join(', ')} cannot be used with --chart: a chart's metadata comes from its Chart.yaml`);
  const { pushChart } = await import('../../usecases/push-chart.js');
  if (flags.provenance) throw usageError('--provenance cannot be used with --chart yet: push the chart, then `ocipack attest` its digest');
  if (flags.signKeyless) throw usageError('--sign-keyless cannot be used with --chart yet: push the chart, then `ocipack sign --keyless` its digest');
  const opts: import('../../usecases/push-chart.js').PushChartOptions = { ...common, reference, chart: flags.chart ?? '' };
  if (flags.reproducible) opts.reproducible = true;
  if (flags.signKey !== undefined) {
    opts.signKey = flags.signKey;
    const prompt = (await import('../password.js')).passwordPrompt({ confirm: false });
    if (prompt) opts.signPassword = prompt;
    if (flags.signatureFormat !== undefined) opts.signatureFormat = flags.signatureFormat as SignatureFormatName;
  } else if (flags.signatureFormat !== undefined) throw usageError('--signature-format needs --sign-key');
  const r = await pushChart(opts);
  ui.success(`chart ${r.chart.name} ${r.chart.version} successfully pushed to ${r.repository}@${r.digest}`);
  if (r.signature) signedLine(ui, r.repository, r.signature);
  ui.data({ url: r.url, repository: r.repository, tag: r.tag, digest: r.digest, chart: r.chart, provenance: r.provenance, ...(r.signature ? { signature: r.signature } : {}) }, format);
}

/** `push --dry-run`: each blob upload or skip, and the tag's move, then the usual JSON with `dryRun` and `plan`. */
function printPlan(ui: Ui, r: import('../../usecases/push.js').PushResult, format: Format): void {
  const plan = r.plan!;
  for (const b of plan.blobs) ui.step(`dry run: would ${b.action === 'upload' ? 'upload' : 'skip (already there)'} ${b.mediaType} ${b.digest} (${formatBytes(b.size)})`);
  const tagAt = `${r.repository}:${r.tag}`;
  if (r.unchanged) ui.step(`dry run: ${tagAt} already holds this content; nothing would be uploaded`);
  else ui.step(`dry run: would ${plan.previous === undefined ? 'create' : `move (from ${plan.previous})`} ${tagAt} → ${plan.manifest}`);
  if (r.tags.length > 1) ui.step(`dry run: would also tag ${r.tags.slice(1).map((t) => `${r.repository}:${t}`).join(', ')} → ${plan.manifest}`);
  ui.success('dry run: nothing changed');
  ui.data({ ...fluxDocument(r), unchanged: r.unchanged, dryRun: true, plan }, format);
}
