/**
 * Option groups the use-cases take, as values: how a run is wired (RunOptions), how registries are
 * reached (RegistryOptions, declared here once and read where declared: connect/ and the dispatcher),
 * and the caps of SPEC §5 (ReadCaps). Each use-case's option type is the groups it needs plus its own
 * fields; CommonOptions names all three, which is what the CLI assembles from its global flags.
 */
import type { HelperExec } from './credential.js';
import type { OnEvent } from './events.js';

export type Env = Record<string, string | undefined>;

/** The edges of the machine, injected: environment, home and working directory, events, cancellation. */
export interface RunOptions {
  /** Environment for credential, proxy and CI lookup; the CLI passes process.env, the library none unless given. */
  env?: Env;
  /** Home directory for docker/podman/helm config lookup. */
  homeDir?: string;
  /** Working directory for relative paths and git metadata (the CLI passes process.cwd()). */
  cwd?: string;
  /** Progress, warnings and (redacted) debug lines. */
  onEvent?: OnEvent;
  /** Cancels the operation. */
  signal?: AbortSignal;
  /** Whole-operation deadline in milliseconds (default DEFAULTS.timeoutMs; 0 for none), armed once per run by connect(). */
  timeoutMs?: number;
}

/** How registries (or a layout directory instead of one) are reached. */
export interface RegistryOptions {
  /** `user:pass`, or a bare token (used as a bearer token, as flux does); for every registry not in `credsFor`. */
  creds?: string;
  /** Per-registry credentials (`--creds-for host=user:pass`): registry host → `user:pass` or token; sent to that host only. */
  credsFor?: Record<string, string>;
  /**
   * flux's `--provider`: `aws` (ECR), `azure` (ACR) or `gcp` (Artifact Registry, GCR) get credentials
   * from the cloud SDK's chain for registries without `creds`/`credsFor`; `generic` (default) is the usual chain.
   */
  provider?: 'generic' | 'aws' | 'azure' | 'gcp';
  /** Plain HTTP, or HTTPS without certificate checks, for every registry of this run. */
  insecureRegistry?: boolean;
  /** Extra CA certificates (PEM file) trusted for this run. */
  caFile?: string;
  /**
   * The NODE_EXTRA_CA_CERTS file the running Node loaded at start-up (the CLI passes its own): its
   * certificates are in Node's default store already, so that file in `env` is not read again.
   */
  loadedExtraCaCerts?: string;
  /** Treat the reference as an OCI image-layout directory `<dir>[:tag|@digest]`. */
  ociLayout?: boolean;
  /** A response that sends nothing for this long is abandoned (default 30 s). */
  idleTimeoutMs?: number;
  /** Runs credential helpers (tests inject a fake); default spawns `docker-credential-<name>`. */
  credentialHelperExec?: HelperExec;
}

/** The caps of SPEC §5, each raisable. */
export interface ReadCaps {
  maxManifestBytes?: number;
  maxLayerBytes?: number;
  maxEntries?: number;
  maxPathBytes?: number;
  /** Deepest directory nesting of a layer entry (default 64). */
  maxDepth?: number;
  /** Most tags a tag listing collects (default 100 000). */
  maxTags?: number;
}

/** The caps a Connection applies to every store it opens (manifest reads, tag listings). */
export type TargetCaps = Pick<ReadCaps, 'maxManifestBytes' | 'maxTags'>;

/** Every group at once: what the CLI assembles from its global flags; no use-case takes it as such. */
export interface CommonOptions extends RunOptions, RegistryOptions, ReadCaps {}
