/** Shared CLI plumbing: global flags → CommonOptions, durations, repeatable flags, formats. */
import type { Command } from 'commander';
import { homedir } from 'node:os';
import { DEFAULTS } from '../core/defaults.js';
import { usageError } from '../core/errors.js';
import type { CommonOptions } from '../core/options.js';
import type { Format, Ui } from './ui.js';

/** Parse Go-style durations (`90s`, `5m`, `1h30m`, `500ms`, and days: `30d`) into milliseconds. */
export function parseDuration(value: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  let consumed = 0;
  for (const m of value.matchAll(re)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * units[m[2]!]!;
    consumed += m[0].length;
  }
  if (value === '' || consumed !== value.length || total <= 0) {
    throw usageError(`invalid duration "${value}": use a number with a unit, e.g. 90s, 5m, 1h, 30d`);
  }
  return total;
}

/** Commander collector for repeatable, comma-separated flags (`-t a,b -t c`). */
export function collectList(value: string, previous: string[] = []): string[] {
  return previous.concat(value.split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

/** The `-f` values as the use-cases take them: one string for one source (flux's flag), else the list. */
export function treePath(values: string[] | undefined): string | string[] {
  if (values === undefined || values.length === 0) return '';
  return values.length === 1 ? values[0]! : values;
}

/** True when one `-f` value reads stdin (`-` or `-=<target>`). */
export function readsStdin(values: string[] | undefined): boolean {
  return (values ?? []).some((v) => v === '-' || v.startsWith('-='));
}

/** The `-f` help shared by push, build and diff. */
export const PATH_HELP = 'directory or file to pack; - reads one file from stdin; repeat for several sources in one layer, each as <src>[=<path in the artifact>]';

/** Commander collector for repeatable flags kept whole (`-a k=v,with,commas`). */
export function collect(value: string, previous: string[] = []): string[] {
  return previous.concat([value]);
}

/** A non-negative integer flag value, or a usage error naming the flag. */
export function parseCount(flag: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw usageError(`${flag} must be a non-negative integer, got "${value}"`);
    return Number(value);
  };
}

/** A size flag (`1GiB`, `512MiB`, `4096`). */
export function parseSize(flag: string): (value: string) => number {
  return (value: string) => {
    const m = /^(\d+)\s*(b|kib|kb|k|mib|mb|m|gib|gb|g)?$/i.exec(value.trim());
    if (!m) throw usageError(`${flag} must be a size like 512MiB or 2GiB, got "${value}"`);
    const mult: Record<string, number> = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };
    return Number(m[1]) * mult[(m[2] ?? 'b').toLowerCase()]!;
  };
}

/** Output format from `--format` or a command's `-o` alias; `text` when neither is given. */
export function formatOf(opts: { format?: string; output?: string }, allowOutputAlias: boolean): Format {
  const v = opts.format ?? (allowOutputAlias ? opts.output : undefined);
  if (v === undefined) return 'text';
  if (v === 'json' || v === 'yaml') return v;
  throw usageError(`invalid output format "${v}": use json or yaml`);
}

export interface GlobalFlags {
  creds?: string;
  credsFor?: string[];
  provider?: string;
  insecureRegistry?: boolean;
  caFile?: string;
  timeout?: string;
  verbose?: boolean;
  debug?: boolean;
  quiet?: boolean;
  color?: boolean;
  format?: string;
  ociLayout?: boolean;
  maxManifestSize?: number;
  maxLayerSize?: number;
  maxEntries?: number;
  maxPathLength?: number;
  maxDepth?: number;
  maxTags?: number;
  /** `--no-ci-outputs`: false; otherwise true (commander's default for a `--no-` flag). */
  ciOutputs?: boolean;
  /** `--dotenv <file>`: OCIPACK_DIGEST/REF/URL lines for GitLab's dotenv report. */
  dotenv?: string;
}

/** `--provider` as flux spells it: generic, aws, azure or gcp (any case); else a usage error. */
export function parseProviderFlag(value: string): NonNullable<CommonOptions['provider']> {
  const v = value.trim().toLowerCase();
  if (v === 'generic' || v === 'aws' || v === 'azure' || v === 'gcp') return v;
  throw usageError(`invalid --provider "${value}": use generic, aws, azure or gcp`);
}

/** `--creds-for host=user:pass` (repeatable) → registry host → credentials; a value without `=` is a usage error. */
export function parseCredsFor(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0 || i === v.length - 1) throw usageError(`--creds-for expects host=user:pass (or host=token), got "${v.slice(0, Math.max(i, 0)) || '…'}=…"`);
    const host = v.slice(0, i).trim();
    if (out[host] !== undefined && out[host] !== v.slice(i + 1)) throw usageError(`--creds-for names ${host} twice with different credentials`);
    out[host] = v.slice(i + 1);
  }
  return out;
}

/** CommonOptions for a use-case from the merged global + command flags. */
export function commonOptions(flags: GlobalFlags, ui: Ui, signal: AbortSignal): CommonOptions {
  const o: CommonOptions = {
    env: process.env,
    homeDir: homedir(),
    cwd: process.cwd(),
    onEvent: ui.onEvent,
    signal,
    timeoutMs: flags.timeout ? parseDuration(flags.timeout) : DEFAULTS.timeoutMs,
  };
  if (flags.creds !== undefined) o.creds = flags.creds;
  if (flags.provider !== undefined) o.provider = parseProviderFlag(flags.provider);
  if (flags.credsFor !== undefined && flags.credsFor.length > 0) o.credsFor = parseCredsFor(flags.credsFor);
  if (flags.insecureRegistry) o.insecureRegistry = true;
  if (flags.caFile !== undefined) o.caFile = flags.caFile;
  // Node read this file into its default store when it started: never parse it a second time.
  if (process.env.NODE_EXTRA_CA_CERTS) o.loadedExtraCaCerts = process.env.NODE_EXTRA_CA_CERTS;
  if (flags.ociLayout) o.ociLayout = true;
  if (flags.maxManifestSize !== undefined) o.maxManifestBytes = flags.maxManifestSize;
  if (flags.maxLayerSize !== undefined) o.maxLayerBytes = flags.maxLayerSize;
  if (flags.maxEntries !== undefined) o.maxEntries = flags.maxEntries;
  if (flags.maxPathLength !== undefined) o.maxPathBytes = flags.maxPathLength;
  if (flags.maxDepth !== undefined) o.maxDepth = flags.maxDepth;
  if (flags.maxTags !== undefined) o.maxTags = flags.maxTags;
  return o;
}

/** Flags of every command that reads an artifact: caps of SPEC §5 and `--oci-layout`. */
export function addReadFlags(cmd: Command): Command {
  return cmd
    .option('--oci-layout', 'treat the reference as an OCI image-layout directory <dir>[:tag|@digest]')
    .option('--max-manifest-size <size>', 'largest manifest or index to read (default 4MiB)', parseSize('--max-manifest-size'))
    .option('--max-layer-size <size>', 'largest decompressed layer to extract (default 1GiB)', parseSize('--max-layer-size'))
    .option('--max-entries <n>', 'most entries a layer may hold (default 100000)', parseCount('--max-entries'))
    .option('--max-path-length <n>', 'longest path in a layer, in bytes (default 4096)', parseCount('--max-path-length'))
    .option('--max-depth <n>', 'deepest directory nesting in a layer (default 64)', parseCount('--max-depth'));
}
