/** Options every use-case accepts: where to find credentials, how to reach registries, how to report. */
import type { OnEvent } from './events.js';

export type Env = Record<string, string | undefined>;

export interface CommonOptions {
  /** `user:pass`, or a bare token (used as a bearer token, as flux does). */
  creds?: string;
  /** Plain HTTP, or HTTPS without certificate checks, for every registry of this run. */
  insecureRegistry?: boolean;
  /** Extra CA certificates (PEM file) trusted for this run. */
  caFile?: string;
  /** Whole-operation deadline in milliseconds. */
  timeoutMs?: number;
  /** Treat the reference as an OCI image-layout directory `<dir>[:tag|@digest]`. */
  ociLayout?: boolean;
  /** Environment for credential and proxy lookup; defaults to process.env at the CLI edge. */
  env?: Env;
  /** Home directory for docker/podman config lookup. */
  homeDir?: string;
  /** Progress, warnings and (redacted) debug lines. */
  onEvent?: OnEvent;
  /** Cancels the operation. */
  signal?: AbortSignal;
  /** Raise the caps of SPEC §5. */
  maxManifestBytes?: number;
  maxLayerBytes?: number;
  maxEntries?: number;
  maxPathBytes?: number;
  /** Deepest directory nesting of a layer entry (default 64). */
  maxDepth?: number;
  /** A response that sends nothing for this long is abandoned (default 30 s). */
  idleTimeoutMs?: number;
}
