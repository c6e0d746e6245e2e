/**
 * What a killed pull leaves behind (SPEC §5): staging directories named `<prefix>.ocipack-staging-<pid>-<hex>`
 * beside the target or `.ocipack-staging-<pid>-<hex>` inside it, and backup directories of a run killed
 * while it moved files. The next pull into the same target removes the first and names the second.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS } from '../../core/defaults.js';
import { processAlive } from '../../core/tempdir.js';

export const STAGING = '.ocipack-staging-';
export const BACKUP = '.ocipack-backup-';

/** True for a name ocipack gives its staging or backup directories inside a target. */
export function isOwnLeftoverName(name: string): boolean {
  return name.startsWith(STAGING) || name.startsWith(BACKUP);
}

/**
 * Removes staging directories whose process is gone (and, for names without a pid, from older
 * versions, those untouched for an hour): `<base>.ocipack-staging-*` in `dir`. A backup directory
 * left by a run killed while it moved files is never removed: it holds the user's originals, so the
 * next pull names it instead.
 */
export async function sweepStale(dir: string, base: string, home: string, onWarning?: (m: string) => void): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const rest = name.slice(base.length);
    const full = path.join(dir, name);
    if (rest.startsWith(STAGING) && (await stale(full, rest.slice(STAGING.length)))) {
      await fsp.rm(full, { recursive: true, force: true }).catch(() => undefined);
    } else if (rest.startsWith(BACKUP) && (await stale(full, rest.slice(BACKUP.length)))) {
      onWarning?.(`a pull into "${home}" was killed while moving files into place; the files it replaced are in "${full}"`);
    }
  }
}

async function stale(full: string, tag: string): Promise<boolean> {
  const m = /^(\d+)-[0-9a-f]+$/.exec(tag);
  if (m) return !processAlive(Number(m[1]));
  if (!/^[0-9a-f]{12}$/.test(tag)) return false;
  const st = await fsp.lstat(full).catch(() => undefined);
  return st !== undefined && Date.now() - st.mtimeMs > DEFAULTS.staleStagingMs;
}
