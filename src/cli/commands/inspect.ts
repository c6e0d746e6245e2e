/** `ocipack inspect`: a manifest in human-readable form, as JSON/YAML, or its raw bytes. */
import type { Command } from 'commander';
import { action } from '../run.js';
import { parseSize, formatOf } from '../common.js';
import { formatBytes } from '../ui.js';
import { safeText } from '../safetext.js';
import { usageError } from '../../core/errors.js';
import { formatPlatform } from '../../oci/platform.js';
import type { DescriptorSummary, InspectResult } from '../../usecases/inspect.js';

interface InspectFlags {
  raw?: boolean;
  output?: string;
}

/** Register `inspect`. */
export function defineInspect(program: Command): Command {
  const cmd = program
    .command('inspect')
    .summary('show an artifact\'s manifest: digest, media types, config, layers, annotations (crane manifest, oras manifest fetch)')
    .argument('<reference>', 'oci://host/repository[:tag|@digest] (or <dir>[:tag|@digest] with --oci-layout)')
    .option('--raw', 'print the manifest bytes exactly as served, nothing else')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml');
  return cmd
    .option('--oci-layout', 'treat the reference as an OCI image-layout directory <dir>[:tag|@digest]')
    .option('--max-manifest-size <size>', 'largest manifest to read (default 4MiB)', parseSize('--max-manifest-size'))
    .addHelpText('after', `
Example:
  ocipack inspect oci://ghcr.io/org/app-manifests:v1.0.0
  ocipack inspect oci://ghcr.io/org/app-manifests:v1.0.0 --raw | sha256sum
  ocipack inspect ./layout:v1 --oci-layout -o json`)
    .action(action<InspectFlags>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      if (flags.raw && format !== 'text') throw usageError('--raw prints the manifest bytes; it cannot be combined with json or yaml output');
      const { inspect } = await import('../../usecases/inspect.js');
      const r = await inspect({ ...common, reference: args[0]! });
      if (flags.raw) {
        await new Promise<void>((resolve, reject) => process.stdout.write(r.raw, (err) => (err ? reject(err) : resolve())));
        return;
      }
      const { raw: _raw, ...data } = r;
      if (format !== 'text') ui.data(data, format);
      else ui.print(renderInspect(r));
    }));
}

/** The human-readable summary: aligned `Key: value` lines, then layers/manifests and annotations. */
export function renderInspect(r: InspectResult): string {
  const lines = [
    field('Reference', r.reference),
    field('Digest', r.digest),
    field('Media type', r.mediaType),
    field('Size', sizeOf(r.size)),
  ];
  if (r.artifactType) lines.push(field('Artifact type', r.artifactType));
  if (r.config) lines.push(field('Config', `${safeText(r.config.mediaType)} ${safeText(r.config.digest)} (${sizeOf(r.config.size)})`));
  if (r.chart) {
    lines.push(field('Chart', `${r.chart.name} ${r.chart.version}${r.chart.appVersion ? ` (app ${r.chart.appVersion})` : ''}`));
    if (r.chart.provenance) lines.push(field('Provenance', `${r.chart.provenance.digest} (${sizeOf(r.chart.provenance.size)})`));
  }
  if (r.layers) {
    lines.push(`Layers (${r.layers.length}):`);
    r.layers.forEach((l, i) => lines.push(`  ${i}  ${describe(l)}`));
  }
  if (r.manifests) {
    lines.push(`Manifests (${r.manifests.length}):`);
    r.manifests.forEach((m, i) => lines.push(`  ${i}  ${m.platform ? `${safeText(formatPlatform(m.platform))}  ` : ''}${describe(m)}`));
  }
  if (r.subject) lines.push(field('Subject', describe(r.subject)));
  const keys = Object.keys(r.annotations).sort();
  if (keys.length > 0) {
    lines.push('Annotations:');
    for (const k of keys) lines.push(`  ${safeText(k)}: ${safeText(r.annotations[k] ?? '')}`);
  }
  return `${lines.join('\n')}\n`;
}

function describe(d: DescriptorSummary): string {
  const title = d.annotations?.['org.opencontainers.image.title'];
  return `${safeText(d.mediaType)}  ${safeText(d.digest)}  ${sizeOf(d.size)}${title ? `  ${safeText(title)}` : ''}`;
}

function field(name: string, value: string): string {
  return `${`${name}:`.padEnd(15)}${safeText(value)}`;
}

function sizeOf(n: number): string {
  return n < 1024 ? `${n} B` : `${n} B (${formatBytes(n)})`;
}
