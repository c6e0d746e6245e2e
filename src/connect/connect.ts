/**
 * The one door into connect/: every use-case calls connect(run, registry) once and opens each of its
 * references through the Connection it gets (a registry repository or a layout store). The run's
 * deadline is armed here, once; the registry session (dispatcher, credentials, token cache) is made
 * on the first registry reference, so a layout-only run reads no credentials and opens no socket.
 */
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import type { Reference } from '../oci/reference.js';
import { OciLayoutStore } from '../content/layout.js';
import type { Target } from '../content/target.js';
import { armDeadline } from './deadline.js';
import type { TargetRef } from './open.js';
import { RegistrySession, type SessionExtra } from './session.js';

export type { HostCreds } from './session.js';

/** What a command adds to its RegistryOptions: copy's `--from-creds`/`--to-creds`, login's own resolver. */
export type ConnectExtra = SessionExtra;

export interface OpenOptions {
  /** Ask a registry for `pull,push` up front (one token serves the whole write). */
  push?: boolean;
  /** Make a missing layout directory. */
  create?: boolean;
}

/** One run's way to its stores; `close()` it when the run is done. */
export interface Connection {
  /** The run's one abort signal: the caller's `signal` and the deadline (`timeoutMs`), armed once. */
  readonly signal: AbortSignal;
  /** The store behind a parsed reference: a repository of its registry, or a layout directory. */
  open(ref: TargetRef, opts?: OpenOptions): Promise<Target>;
  /**
   * `GET /v2/` of `server` with its credentials, following the token flow: resolves when the registry
   * accepts them, else throws UNAUTHORIZED/DENIED. What `login` checks before it stores anything.
   */
  checkAccess(server: Pick<Reference, 'registry' | 'host'>): Promise<void>;
  /** The error to throw for `err`: the deadline's (or an interrupt's) when that stopped the run, else `err`. */
  failure(err: unknown): unknown;
  /** Closes the registry connections and disarms the deadline. */
  close(): Promise<void>;
  /** After a failed write: removes the layouts this run began and left without a manifest (OciLayoutStore.discardIfUnfinished). */
  discardUnfinished(): Promise<void>;
}

/** Connect a run: its signal and deadline now, its registry session on the first registry reference. */
export function connect(run: RunOptions, registry: RegistryOptions & TargetCaps, extra: ConnectExtra = {}): Connection {
  const deadline = armDeadline(run);
  let session: RegistrySession | undefined;
  const created: OciLayoutStore[] = [];
  const sessionOf = (): RegistrySession => (session ??= new RegistrySession(run, registry, extra, deadline));
  return {
    signal: deadline.signal,
    async open(ref, opts = {}) {
      if (ref.kind === 'remote') return sessionOf().repository(ref.ref, opts.push ?? false);
      const lo: Parameters<typeof OciLayoutStore.open>[1] = { create: opts.create ?? false };
      if (registry.maxManifestBytes !== undefined) lo.maxManifestBytes = registry.maxManifestBytes;
      const store = await OciLayoutStore.open(ref.dir, lo);
      if (lo.create) created.push(store);
      return store;
    },
    checkAccess: (server) => sessionOf().checkAccess(server),
    failure: (err) => deadline.failure(err),
    async close() {
      deadline.dispose();
      await session?.close();
    },
    async discardUnfinished() {
      for (const store of created) await store.discardIfUnfinished().catch(() => undefined);
    },
  };
}

