/**
 * Deleting from a store, shared by `delete` and `prune`: a registry's refusal (405 UNSUPPORTED) made plain,
 * registries known to take no deletes through the API, and a manifest delete a rerun may repeat.
 */
import { OcipackError, RegistryError } from '../core/errors.js';
import { isNotFound } from './read.js';
import type { Deleter } from './target.js';

/**
 * Registries whose distribution API never deletes (it answers 405 UNSUPPORTED), by the host as the user
 * writes it: each has its own way (GHCR: the GitHub packages API or web UI; Docker Hub: hub.docker.com).
 */
const NO_API_DELETES = new Set(['ghcr.io', 'docker.io']);

/** True when `host` is known to refuse deletes through the registry API (GHCR, Docker Hub). */
export function refusesDeletes(host: string): boolean {
  return NO_API_DELETES.has(host);
}

/** The error for a registry known to refuse deletes, before anything is sent; `what` is the operation (`prune ghcr.io/org/app`). */
export function deletesRefusedUpFront(host: string, what: string): OcipackError {
  return new OcipackError('REGISTRY', `${host} does not allow deletes through the registry API, so ocipack cannot ${what}: delete there the registry's own way`, { context: { host, next: 'deletes-refused' } });
}

/** A registry that does not allow deletes (405, UNSUPPORTED) gets an error that says so and where to go instead. */
export function deletesRefused(err: unknown, host: string | undefined, request: string): unknown {
  if (!(err instanceof RegistryError) || host === undefined) return err;
  const unsupported = err.status === 405 || err.registryCodes.includes('UNSUPPORTED');
  if (!unsupported) return err;
  const codes = err.registryCodes.length > 0 ? ` (${err.registryCodes.join(', ')})` : '';
  return new RegistryError(err.code, err.status, `${host} does not allow deletes through the registry API: it answered ${err.status}${codes} for ${request}`, err.registryCodes, { host, next: 'deletes-refused' });
}

/** Delete a manifest by digest; false when it is already gone (an interrupted run's rerun), other failures throw. */
export async function deleteIfPresent(target: Deleter, digest: string): Promise<boolean> {
  try {
    await target.delete(digest);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
