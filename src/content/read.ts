/** Small reads every use-case needs: optional manifests and tags, and whole small blobs. */
import { OcipackError } from '../core/errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { FetchedManifest, Target } from './target.js';

/** True for the NOT_FOUND error a store throws for a missing manifest, tag or blob. */
export function isNotFound(err: unknown): boolean {
  return err instanceof OcipackError && err.code === 'NOT_FOUND';
}

/** The manifest a tag or digest names, or undefined when there is none; other failures throw. */
export async function fetchManifestIfExists(target: Target, reference: string): Promise<FetchedManifest | undefined> {
  try {
    return await target.fetchManifest(reference);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The descriptor a tag names, or undefined when there is no such tag. */
export async function tryResolve(target: Target, reference: string): Promise<Descriptor | undefined> {
  try {
    return await target.resolve(reference);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * A whole small blob (configs, signature payloads), verified by the store; one larger than `max`
 * is refused before it is fetched, `limit` saying whose limit it broke.
 */
export async function readBlob(target: Target, desc: Descriptor, max: number, limit = 'allowed'): Promise<Buffer> {
  if (!Number.isSafeInteger(desc.size) || desc.size < 0 || desc.size > max) {
    throw new OcipackError('CAP', `blob ${desc.digest} is ${desc.size} bytes, more than the ${max} bytes ${limit}`);
  }
  const chunks: Buffer[] = [];
  for await (const c of await target.fetchBlob(desc)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
