/** What every benchmark suite needs: paths, the environment for ocipack and peers, a registry. */
import { mkdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningRegistry } from '../test/helpers/registry.js';
import type { Cmd } from './measure.js';

export interface Ctx {
  reps: number;
  /** Repository root (where bin/ocipack.cjs, the `ocipack` command, lives). */
  root: string;
  /** Scratch space for outputs: `.bench/work`. */
  work: string;
  /** `--quick`: small trees and blobs, one repetition (a smoke run, not a measurement). */
  quick: boolean;
  /** Generated trees (smaller ones under --quick; `mixed2g` only with --2g). */
  trees: { mixed200: string; small20k: string; mixed2g?: string };
  /** What each tree is called in the table ("200 MiB", or the quick size). */
  label: { mixed200: string; small20k: string; mixed2g: string };
  /** Size of each of the 5 blobs of the copy suite, bytes. */
  copyBlobBytes: number;
  /** Clean environment: PATH, an empty HOME, NO_COLOR. */
  env: Record<string, string>;
  registry: RunningRegistry;
  /** A name that was never used in this run (fresh repositories, fresh directories). */
  fresh(prefix: string): string;
}

/** The repository root, found from this compiled file (dist/bench/context.js). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `node bin/ocipack.cjs …` (the `ocipack` command) as a Cmd. */
export function ocipack(ctx: Ctx, args: string[]): Cmd {
  return { cmd: process.execPath, args: [join(ctx.root, 'bin', 'ocipack.cjs'), ...args], env: ctx.env };
}

/** `skopeo …` with TLS verification off (the registry is plain HTTP on loopback). */
export function skopeo(ctx: Ctx, args: string[]): Cmd {
  return { cmd: 'skopeo', args, env: ctx.env };
}

/** A directory that does not exist yet (its parent does). */
export async function freshDir(ctx: Ctx, prefix: string): Promise<string> {
  const dir = join(ctx.work, ctx.fresh(prefix));
  await rm(dir, { recursive: true, force: true });
  await mkdir(ctx.work, { recursive: true });
  return dir;
}

/** A clean environment: no credentials, no proxies, no colour. */
export async function cleanEnv(work: string): Promise<Record<string, string>> {
  const home = join(work, 'home');
  await mkdir(home, { recursive: true });
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NO_COLOR: '1' };
}

/** Removes a directory made by freshDir once its repetition is measured (untimed). */
export async function gone(dir: string): Promise<void> {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
}

/**
 * Forgets where skopeo saw blobs before (its blob-info cache), so no repetition can mount or skip
 * a blob thanks to an earlier one: `~/.local/share/containers/cache` of the bench's HOME, and for
 * root the system-wide `/var/lib/containers/cache/blob-info-cache-v1.*` skopeo uses instead.
 */
export async function clearSkopeoCache(ctx: Ctx): Promise<void> {
  await rm(join(ctx.env.HOME ?? homedir(), '.local', 'share', 'containers', 'cache'), { recursive: true, force: true });
  if (process.getuid?.() === 0) {
    for (const ext of ['boltdb', 'sqlite']) await rm(`/var/lib/containers/cache/blob-info-cache-v1.${ext}`, { force: true });
  }
}
