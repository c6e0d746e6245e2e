/**
 * The temporary directories of a run (a push's layer, a build's archive, stdin, --all-layers' layers):
 * `<kind>-<pid>-XXXXXX` inside this user's own `ocipack-<uid>` directory of the temp space (mode 0700,
 * checked without following links), so a run killed with SIGKILL (no cleanup possible) leaves a directory
 * the next run recognises and removes: one whose process is gone, or older than DEFAULTS.staleTempMs (a
 * pid reused since). Only that small directory is read, never the whole temp space (a CI runner's /tmp can
 * hold tens of thousands of entries: reading it cost a one-shot push ~25 ms). Where the user directory
 * cannot be used (another owner, a link, writable by others), the run's directory goes straight into the
 * temp space and nothing is swept.
 */
import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS } from './defaults.js';
import { hasErrCode, tempError } from './errno.js';

const KINDS = ['push', 'chart', 'build', 'layers', 'stdin'] as const;
const OURS = new RegExp(`^(?:${KINDS.join('|')})-(\\d+)-[A-Za-z0-9]{6}$`);
/** The user directory chosen for each temp space, once per process (undefined: not usable). */
const homes = new Map<string, Promise<string | undefined>>();

/** A fresh `<kind>-<pid>-XXXXXX` directory in this user's ocipack directory under `parent` (the OS temp directory); a failure names it as temporary space. */
export async function makeTempDir(kind: (typeof KINDS)[number], parent = tmpdir()): Promise<string> {
  let home = homes.get(parent);
  if (home === undefined) {
    home = userHome(parent);
    homes.set(parent, home);
  }
  const dir = await home;
  try {
    return await mkdtemp(join(dir ?? parent, `${dir === undefined ? 'ocipack-' : ''}${kind}-${process.pid}-`));
  } catch (err) {
    throw tempError(`cannot create a temporary directory in ${dir ?? parent}`, err, dir ?? parent);
  }
}

/** `<parent>/ocipack-<uid>`, made 0700 if missing, swept of stale run directories; undefined when it is not this user's alone. */
async function userHome(parent: string): Promise<string | undefined> {
  const uid = process.getuid?.();
  const home = join(parent, `ocipack-${uid ?? 'user'}`);
  try {
    await mkdir(home, { mode: 0o700 });
  } catch (err) {
    if (!hasErrCode(err, 'EEXIST')) return undefined;
  }
  const st = await lstat(home).catch(() => undefined);
  if (!st?.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) return undefined;
  await sweepStaleTemp(home);
  return home;
}

/** Removes the run directories in `home` whose process is gone (or older than DEFAULTS.staleTempMs). */
export async function sweepStaleTemp(home: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(home).catch(() => [] as string[]);
  for (const name of names) {
    const m = OURS.exec(name);
    if (!m) continue;
    const full = join(home, name);
    const st = await lstat(full).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    const old = Date.now() - st.mtimeMs > DEFAULTS.staleTempMs;
    if (!old && processAlive(Number(m[1]))) continue;
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
