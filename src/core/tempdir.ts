/**
 * The temporary directories of a run (a push's layer, a build's archive, stdin, --all-layers' layers):
 * named `ocipack-<kind>-<pid>-XXXXXX`, so a run killed with SIGKILL (no cleanup possible) leaves a
 * directory the next run recognises and removes: one of this user's whose process is gone, or older than
 * DEFAULTS.staleTempMs (a name without a pid, from an older version, or a pid reused since).
 */
import { mkdtemp, lstat, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS } from './defaults.js';
import { hasErrCode, tempError } from './errno.js';

const KINDS = ['push', 'chart', 'build', 'layers', 'stdin'] as const;
const OURS = new RegExp(`^ocipack-(?:${KINDS.join('|')})-(?:(\\d+)-)?[A-Za-z0-9]{6}$`);
const swept = new Set<string>();

/** A fresh `ocipack-<kind>-<pid>-XXXXXX` directory under `parent` (the OS temp directory), after removing stale ones there once per process; a failure names it as temporary space. */
export async function makeTempDir(kind: (typeof KINDS)[number], parent = tmpdir()): Promise<string> {
  if (!swept.has(parent)) {
    swept.add(parent);
    await sweepStaleTemp(parent);
  }
  try {
    return await mkdtemp(join(parent, `ocipack-${kind}-${process.pid}-`));
  } catch (err) {
    throw tempError(`cannot create a temporary directory in ${parent}`, err, parent);
  }
}

/** Removes this user's directories in `parent` left by ocipack runs that are gone (or older than DEFAULTS.staleTempMs). */
export async function sweepStaleTemp(parent: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    const m = OURS.exec(name);
    if (!m) continue;
    const full = join(parent, name);
    const st = await lstat(full).catch(() => undefined);
    if (!st?.isDirectory() || (process.getuid !== undefined && st.uid !== process.getuid())) continue;
    const old = Date.now() - st.mtimeMs > DEFAULTS.staleTempMs;
    if (!old && (m[1] === undefined || processAlive(Number(m[1])))) continue;
    await rm(full, { recursive: true, force: true }).then(() => removed.push(full), () => undefined);
  }
  return removed;
}

/** True while a process with this pid runs (this one included; EPERM: it runs as another user). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !hasErrCode(err, 'ESRCH');
  }
}
