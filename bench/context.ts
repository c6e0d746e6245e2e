/** What every benchmark suite needs: paths, the environment for ocipack and peers, a registry. */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningRegistry } from '../test/helpers/registry.js';
import type { Cmd } from './measure.js';

export interface Ctx {
  reps: number;
  /** Repository root (where bin/ocipack.js lives). */
  root: string;
  /** Scratch space for outputs: `.bench/work`. */
  work: string;
  /** Generated trees. */
  trees: { mixed200: string; small20k: string; mixed1g?: string };
  /** Clean environment: PATH, an empty HOME, NO_COLOR. */
  env: Record<string, string>;
  registry: RunningRegistry;
  /** A name that was never used in this run (fresh repositories, fresh directories). */
  fresh(prefix: string): string;
}

/** The repository root, found from this compiled file (dist/bench/context.js). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `node bin/ocipack.js …` as a Cmd. */
export function ocipack(ctx: Ctx, args: string[]): Cmd {
  return { cmd: process.execPath, args: [join(ctx.root, 'bin', 'ocipack.js'), ...args], env: ctx.env };
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
