/** The flags of the commands that move an artifact from a source to a destination (copy, promote): declared and handed over in one place. */
import type { Command } from 'commander';
import { parseCount, parseSize } from './common.js';

/** The two-sided flags as commander parses them (the library's option names). */
export interface SideFlags {
  fromOciLayout?: boolean;
  toOciLayout?: boolean;
  fromCreds?: string;
  toCreds?: string;
  concurrency?: number;
}

/** Declare where each side lives, its own credentials, and the transfer's width and manifest cap. */
export function addSideFlags(cmd: Command): Command {
  return cmd
    .option('--from-oci-layout', 'the source is an OCI image-layout directory <dir>[:tag|@digest]')
    .option('--to-oci-layout', 'the destination is an OCI image-layout directory <dir>[:tag] (created when missing)')
    .option('--from-creds <user:pass|token>', 'credentials for the source registry only (--creds applies to both)')
    .option('--to-creds <user:pass|token>', 'credentials for the destination registry only')
    .option('--concurrency <n>', 'parallel blob transfers (default 4)', parseCount('--concurrency'))
    .option('--max-manifest-size <size>', 'largest manifest or index to read (default 4MiB)', parseSize('--max-manifest-size'));
}

/** The two-sided flags that were given, for the use-case's options. */
export function sideFields(flags: SideFlags): SideFlags {
  const out: SideFlags = {};
  if (flags.fromOciLayout) out.fromOciLayout = true;
  if (flags.toOciLayout) out.toOciLayout = true;
  if (flags.fromCreds !== undefined) out.fromCreds = flags.fromCreds;
  if (flags.toCreds !== undefined) out.toCreds = flags.toCreds;
  if (flags.concurrency !== undefined) out.concurrency = flags.concurrency;
  return out;
}
