/**
 * The staging directory of a pull (SPEC §5): `<target>.ocipack-staging-<pid>-<random>` beside the
 * target, so the final move is a rename on one filesystem. A layer is written there while it
 * downloads; only commit() moves it into place, after the caller verified size and digest, and
 * discard() removes it whatever happened. Directories a killed run left behind (its pid is gone) are
 * removed by the next pull into the same target.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp, type Stats } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS } from '../../core/defaults.js';
import { fsError, hasErrCode } from '../../core/errno.js';
import { OcipackError } from '../../core/errors.js';
import { placeInto, type PlaceOptions, type PlaceReport } from './place.js';
import { processAlive } from '../../core/tempdir.js';

export interface StageOptions extends PlaceOptions {
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/** A staging directory and the one way out of it into the target. */
export interface Stage {
  /** The directory to write the verified result into (empty, ours alone). */
  readonly dir: string;
  /** The target the staged tree goes to (its real path when it already exists). */
  readonly target: string;
  /** Moves the staged tree into the target: a rename when it is new, else a journaled merge (place.ts). */
  commit(): Promise<PlaceReport>;
  /** Removes the staging directory (and the set-aside originals after a commit); safe to call twice. */
  discard(): Promise<void>;
}

const STAGING = '.ocipack-staging-';
const BACKUP = '.ocipack-backup-';

/** Creates the staging directory beside `target`, after removing what killed runs left there. */
export async function openStage(target: string, opts: StageOptions = {}): Promise<Stage> {
  const dest = path.resolve(target);
  const existing = await existingDir(dest);
  const home = existing ? await fsp.realpath(dest) : dest;
  await fsp.mkdir(path.dirname(home), { recursive: true }).catch((err: unknown) => {
    throw fsError(`cannot create "${path.dirname(home)}"`, err);
  });
  await sweepStale(home, opts.onWarning);
  const tag = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const dir = `${home}${STAGING}${tag}`;
  await fsp.mkdir(dir, { mode: 0o755 }).catch((err: unknown) => {
    throw fsError(`cannot create a staging directory beside "${home}"`, err);
  });
  const backup = `${home}${BACKUP}${tag}`;
  let committed = false;
  return {
    dir,
    target: home,
    async commit(): Promise<PlaceReport> {
      if (opts.signal?.aborted) throw new OcipackError('CANCELLED', 'extraction cancelled');
      if (!(await existingDir(home))) {
        await fsp.rename(dir, home).catch((err: unknown) => {
          throw fsError(`cannot move the extracted files to "${home}"`, err);
        });
        committed = true;
        return { created: 1, replaced: 0, removed: 0 };
      }
      try {
        const report = placeInto(dir, home, backup, opts);
        committed = true;
        return report;
      } catch (err) {
        keepIfNotEmpty(backup, home, opts.onWarning);
        throw err;
      }
    },
    async discard(): Promise<void> {
      await fsp.rm(dir, { recursive: true, force: true });
      if (committed) await fsp.rm(backup, { recursive: true, force: true });
    },
  };
}

/** After a failed placement the backup should be empty again; if anything could not go back, say where it is. */
function keepIfNotEmpty(backup: string, home: string, onWarning?: (m: string) => void): void {
  try {
    fs.rmdirSync(backup);
  } catch (err) {
    if (!hasErrCode(err, 'ENOENT')) onWarning?.(`some files of "${home}" could not be put back; they are kept in "${backup}"`);
  }
}

/**
 * Removes `<home>.ocipack-staging-*` directories whose process is gone (and, for names without a pid,
 * from older versions, those untouched for an hour). A backup directory left by a run killed while it
 * moved files is never removed: it holds the user's originals, so the next pull names it instead.
 */
async function sweepStale(home: string, onWarning?: (m: string) => void): Promise<void> {
  const parent = path.dirname(home);
  const base = path.basename(home);
  let names: string[];
  try {
    names = await fsp.readdir(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const rest = name.slice(base.length);
    const full = path.join(parent, name);
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

/** True when `dest` is an existing directory (or a symlink to one); an existing non-directory is an error. */
async function existingDir(dest: string): Promise<boolean> {
  let st: Stats;
  try {
    st = await fsp.stat(dest);
  } catch (err) {
    if (hasErrCode(err, 'ENOENT')) return false;
    throw fsError(`cannot read "${dest}"`, err);
  }
  if (!st.isDirectory()) throw new OcipackError('USAGE', `output "${dest}" exists and is not a directory`);
  return true;
}
