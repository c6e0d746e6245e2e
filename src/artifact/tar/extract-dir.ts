/**
 * The staging directory of a pull (SPEC §5): `<target>.ocipack-staging-<pid>-<random>` beside the
 * target, so the final move is a rename on one filesystem; or `<target>/.ocipack-staging-<pid>-<random>`
 * inside an existing target when beside is not possible — the target is a mount point (a volume, an
 * emptyDir: renames from beside fail with EXDEV) or its parent may not be written (EROFS, EACCES,
 * EPERM). Decided by trying, so bind mounts of one filesystem are caught too. A layer is written there
 * while it downloads; only commit() moves it into place, after the caller verified size and digest,
 * and discard() removes it whatever happened. Directories a killed run left behind (its pid is gone),
 * beside or inside, are removed by the next pull into the same target.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp, type Stats } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsError, hasErrCode } from '../../core/errno.js';
import { OcipackError } from '../../core/errors.js';
import { BACKUP, STAGING, sweepStale } from './leftovers.js';
import { countFiles, placeInto, type PlaceOptions, type PlaceReport } from './place.js';

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
  /** True when the staging directory is inside the target (a mount point, or a parent not writable). */
  readonly inside: boolean;
  /**
   * Moves the staged tree into the target: a rename when it is new, else a journaled merge (place.ts).
   * `files`: how many files the caller wrote into `dir`, when it counted them (else they are counted).
   */
  commit(files?: number): Promise<PlaceReport>;
  /** Removes the staging directory (and the set-aside originals after a commit); safe to call twice. */
  discard(): Promise<void>;
}

/** Creates the staging directory beside `target` (or inside it), after removing what killed runs left there. */
export async function openStage(target: string, opts: StageOptions = {}): Promise<Stage> {
  const dest = path.resolve(target);
  const existing = await existingDir(dest);
  const home = existing ? await fsp.realpath(dest) : dest;
  const parent = path.dirname(home);
  if (!existing) {
    await fsp.mkdir(parent, { recursive: true }).catch((err: unknown) => {
      throw fsError(`cannot create "${parent}"`, err, parent);
    });
  }
  await sweepStale(parent, path.basename(home), home, opts.onWarning);
  if (existing) await sweepStale(home, '', home, opts.onWarning);
  const tag = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const inside = await makeStagingDir(home, existing, tag);
  const dir = inside ? path.join(home, `${STAGING}${tag}`) : `${home}${STAGING}${tag}`;
  const backup = inside ? path.join(home, `${BACKUP}${tag}`) : `${home}${BACKUP}${tag}`;
  let committed = false;
  return {
    dir,
    target: home,
    inside,
    async commit(files?: number): Promise<PlaceReport> {
      if (opts.signal?.aborted) throw new OcipackError('CANCELLED', 'extraction cancelled');
      if (!inside && !(await existingDir(home))) {
        const added = files ?? countFiles(dir);
        await fsp.rename(dir, home).catch((err: unknown) => {
          throw fsError(`cannot move the extracted files to "${home}"`, err, home);
        });
        committed = true;
        return { added, replaced: 0, kept: 0, removed: 0 };
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
    // The set-aside originals synchronously: the promise version takes a thread-pool round trip (lstat,
    // then unlink) per entry, and a merge into an existing target leaves one per replaced file.
    async discard(): Promise<void> {
      await fsp.rm(dir, { recursive: true, force: true });
      if (committed) fs.rmSync(backup, { recursive: true, force: true });
    },
  };
}

/**
 * Makes the staging directory and says whether it is inside the target. Beside first; for an
 * existing target, an empty staging directory renamed into the target and back proves the final
 * renames will work (EXDEV when the target is another mount); when beside cannot be, inside.
 */
async function makeStagingDir(home: string, existing: boolean, tag: string): Promise<boolean> {
  const beside = `${home}${STAGING}${tag}`;
  const inside = path.join(home, `${STAGING}${tag}`);
  try {
    await fsp.mkdir(beside, { mode: 0o755 });
  } catch (err) {
    const parent = path.dirname(home);
    if (!existing || !hasErrCode(err, 'EROFS', 'EACCES', 'EPERM')) throw fsError(`cannot write in "${parent}" (to create "${home}")`, err, parent);
    await mkdirInside(inside, home);
    return true;
  }
  if (!existing) return false;
  try {
    await fsp.rename(beside, inside);
  } catch (err) {
    await fsp.rmdir(beside).catch(() => undefined);
    if (!hasErrCode(err, 'EXDEV')) throw fsError(`cannot write in "${home}"`, err, home);
    await mkdirInside(inside, home);
    return true;
  }
  return fsp.rename(inside, beside).then(() => false, () => true);
}

async function mkdirInside(inside: string, home: string): Promise<void> {
  await fsp.mkdir(inside, { mode: 0o755 }).catch((err: unknown) => {
    throw fsError(`cannot write in "${home}"`, err, home);
  });
}

/** After a failed placement the backup should be empty again; if anything could not go back, say where it is. */
function keepIfNotEmpty(backup: string, home: string, onWarning?: (m: string) => void): void {
  try {
    fs.rmdirSync(backup);
  } catch (err) {
    if (!hasErrCode(err, 'ENOENT')) onWarning?.(`some files of "${home}" could not be put back; they are kept in "${backup}"`);
  }
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
