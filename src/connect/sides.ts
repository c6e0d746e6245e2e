/**
 * The two sides of a command that moves an artifact (copy, promote): each side's own credentials, bound
 * to its registry, and whether a blob can be mounted from the source repository instead of transferred
 * (distribution-spec "Mounting a blob from another repository": same registry, another repository).
 */
import { usageError } from '../core/errors.js';
import type { HostCreds } from './session.js';
import { parseTaggedTarget, parseTargetRef, type TargetRef } from './open.js';

/** `fromCreds`/`toCreds`: credentials for one side's registry only. */
export interface SideCredentials {
  fromCreds?: string;
  toCreds?: string;
}

/** What a two-sided command is given: both references, where each side lives, its credentials and transfer width. */
export interface SidesInput extends SideCredentials {
  source: string;
  destination: string;
  fromOciLayout?: boolean;
  toOciLayout?: boolean;
  concurrency?: number;
}

/**
 * Both references parsed and the side options checked, before any I/O (bad input: a usage error, exit 2).
 * A registry destination written without a tag has none (not `latest`): the caller decides. `tags`: every
 * destination tag written (`:1.4.2,1.4,latest`, oras's convention; `dst.tag` is the first).
 */
export function parseSides(opts: SidesInput, verb: string): { src: TargetRef; dst: TargetRef; tags: string[] } {
  if (!opts.source) throw usageError(`${verb} needs a source reference`);
  if (!opts.destination) throw usageError(`${verb} needs a destination reference`);
  if (opts.concurrency !== undefined && (!Number.isInteger(opts.concurrency) || opts.concurrency < 1)) {
    throw usageError('`concurrency` must be a positive integer', { option: 'concurrency' });
  }
  const src = parseTargetRef(opts.source, opts.fromOciLayout ?? false);
  const { target: dst, tags } = parseTaggedTarget(opts.destination, opts.toOciLayout ?? false);
  if (dst.kind === 'remote' && tags.length === 0) delete dst.tag;
  checkSideCreds(opts, src, dst);
  return { src, dst, tags };
}

/** A side credential given for a layout directory is a usage error (exit 2), before any I/O. */
export function checkSideCreds(opts: SideCredentials, src: TargetRef, dst: TargetRef): void {
  if (opts.fromCreds !== undefined && src.kind !== 'remote') throw usageError('`fromCreds` needs a registry source, not a layout directory', { option: 'fromCreds' });
  if (opts.toCreds !== undefined && dst.kind !== 'remote') throw usageError('`toCreds` needs a registry destination, not a layout directory', { option: 'toCreds' });
}

/** `fromCreds`/`toCreds`, each bound to its own registry (they win over `credsFor` and `creds` there). */
export function sideCreds(opts: SideCredentials, src: TargetRef, dst: TargetRef): HostCreds[] {
  const own: HostCreds[] = [];
  if (opts.fromCreds !== undefined && src.kind === 'remote') own.push({ registry: src.ref.registry, creds: opts.fromCreds, flag: 'fromCreds' });
  if (opts.toCreds !== undefined && dst.kind === 'remote') own.push({ registry: dst.ref.registry, creds: opts.toCreds, flag: 'toCreds' });
  return own;
}

/** The source repository blobs can be mounted from at the destination, when both are repositories of one registry. */
export function mountSource(src: TargetRef, dst: TargetRef): string | undefined {
  if (src.kind !== 'remote' || dst.kind !== 'remote') return undefined;
  if (src.ref.host !== dst.ref.host || src.ref.repository === dst.ref.repository) return undefined;
  return src.ref.repository;
}

/** True when both sides are the same repository of one registry, or the same layout directory: nothing to move. */
export function sameStore(src: TargetRef, dst: TargetRef): boolean {
  if (src.kind === 'remote' && dst.kind === 'remote') return src.ref.host === dst.ref.host && src.ref.repository === dst.ref.repository;
  return src.kind === 'layout' && dst.kind === 'layout' && src.dir === dst.dir;
}
