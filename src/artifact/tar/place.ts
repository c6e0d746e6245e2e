/**
 * Moves a fully verified staging tree into an existing target (SPEC §5): merge (flux's behaviour) or
 * `clean` (the target becomes exactly the staged tree). Everything is planned first, without touching
 * the target, so a directory/file conflict is refused before anything moved; then renames only, each
 * recorded in a journal, undone in reverse on the first failure. The moves are synchronous: a signal
 * handler cannot run between two of them, so SIGINT/SIGTERM land before or after, never in between.
 * ocipack's own staging and backup directories at the top of the target (a staging directory inside
 * it, or a concurrent run's) are neither merged, nor removed by `clean`, nor counted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsError, hasErrCode } from '../../core/errno.js';
import { OcipackError } from '../../core/errors.js';
import { isOwnLeftoverName } from './leftovers.js';
import { byName, joinChecked, quote } from './path.js';

export interface PlaceOptions {
  /** Make the target exactly the staged tree: what the artifact does not have is removed. */
  clean?: boolean;
  /** Let an entry replace a directory with a file, or a file with a directory. */
  overwriteDirs?: boolean;
}

/** What placing did, in files (every entry that is not a directory), for messages and results. */
export interface PlaceReport {
  /** Files of the artifact where the target had nothing. */
  added: number;
  /** Files of the artifact that replaced a file of the target. */
  replaced: number;
  /** Files of the target left as they were (merge). */
  kept: number;
  /** Files of the target that are gone: removed by `clean`, or under a directory replaced by a file. */
  removed: number;
}

type Op = { kind: 'create' | 'replace' | 'remove'; rel: string };
type Done = Op & { aside?: string; moved?: boolean };

/**
 * Places `staging` into the existing directory `dest`, setting replaced and removed entries aside in
 * `backup` (created when needed, beside `dest` on the same filesystem) so a failure can put them back.
 * On success the caller removes `backup`; on failure the target is as it was and the error is thrown.
 */
export function placeInto(staging: string, dest: string, backup: string, opts: PlaceOptions = {}): PlaceReport {
  const ops: Op[] = [];
  const conflicts: string[] = [];
  const report: PlaceReport = { added: 0, replaced: 0, kept: 0, removed: 0 };
  plan(staging, dest, '', opts, { ops, conflicts, report });
  if (conflicts.length > 0) {
    const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : '';
    throw new OcipackError('UNSAFE', `refusing to ${conflicts[0]!}${more}`, {
      context: { option: 'overwriteDirs', next: 'overwrite-dirs' },
    });
  }
  const journal: Done[] = [];
  const at = { rel: '' };
  try {
    apply(ops, staging, dest, backup, journal, at);
  } catch (err) {
    rollback(journal, staging, dest);
    if (err instanceof OcipackError) throw err;
    // The path that failed: for EXDEV the directory that is another filesystem (a mount point inside the output).
    const where = hasErrCode(err, 'EXDEV') ? path.dirname(joinChecked(dest, at.rel)) : joinChecked(dest, at.rel);
    const base = fsError(`cannot move the extracted files into "${dest}" (at ${quote(at.rel)})`, err, where);
    throw new OcipackError('IO', `${base.message}; the output was left as it was`, { cause: err, context: base.context });
  }
  return report;
}

interface Plan {
  ops: Op[];
  conflicts: string[];
  report: PlaceReport;
}

/** Walks the staged tree against the target: merges directories, records one op per entry to move, counts files. */
function plan(sDir: string, dDir: string, rel: string, opts: PlaceOptions, p: Plan): void {
  // Sorted, so the order of the moves (and of a refusal's first name) does not depend on the filesystem.
  const staged = fs.readdirSync(sDir, { withFileTypes: true }).sort(byName);
  // The target's listing tells what each name is there (its type, as lstat would: a symlink is not followed).
  const existing = new Map(readTarget(dDir).map((d) => [d.name, d]));
  const names = new Set<string>();
  for (const ent of staged) {
    names.add(ent.name);
    const r = rel ? `${rel}/${ent.name}` : ent.name;
    const there = existing.get(ent.name);
    if (there === undefined) {
      p.ops.push({ kind: 'create', rel: r });
      p.report.added += countFiles(path.join(sDir, ent.name));
    } else if (there.isDirectory() && ent.isDirectory()) {
      plan(path.join(sDir, ent.name), path.join(dDir, ent.name), r, opts, p);
    } else {
      // A symlink in the target is never followed and never user data worth refusing over: it is replaced.
      const clash = !there.isSymbolicLink() && there.isDirectory() !== ent.isDirectory();
      if (clash && !opts.clean && !opts.overwriteDirs) {
        p.conflicts.push(there.isDirectory() ? `replace directory ${quote(r)} with a file` : `replace file ${quote(r)} with a directory`);
      }
      p.ops.push({ kind: 'replace', rel: r });
      if (!there.isDirectory() && !ent.isDirectory()) p.report.replaced += 1;
      else {
        p.report.added += countFiles(path.join(sDir, ent.name));
        p.report.removed += countFiles(path.join(dDir, ent.name));
      }
    }
  }
  for (const name of [...existing.keys()].sort()) {
    if (names.has(name) || (rel === '' && isOwnLeftoverName(name))) continue;
    const files = countFiles(path.join(dDir, name));
    if (!opts.clean) p.report.kept += files;
    else {
      p.ops.push({ kind: 'remove', rel: rel ? `${rel}/${name}` : name });
      p.report.removed += files;
    }
  }
}

function readTarget(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw fsError(`cannot read "${dir}"`, err);
  }
}

/** The files (entries that are not directories) at `p`: 1 for a file or symlink, the count below for a directory. */
export function countFiles(p: string): number {
  const st = lstatOrUndefined(p);
  if (st === undefined) return 0;
  if (!st.isDirectory()) return 1;
  let n = 0;
  for (const ent of fs.readdirSync(p, { withFileTypes: true })) n += ent.isDirectory() ? countFiles(path.join(p, ent.name)) : 1;
  return n;
}

function apply(ops: Op[], staging: string, dest: string, backup: string, journal: Done[], at: { rel: string }): void {
  let made = false;
  let n = 0;
  for (const op of ops) {
    at.rel = op.rel;
    const d = joinChecked(dest, op.rel);
    if (op.kind !== 'create') {
      if (!made) {
        fs.mkdirSync(backup, { mode: 0o700 });
        made = true;
      }
      const aside = path.join(backup, String(n++));
      fs.renameSync(d, aside);
      journal.push({ ...op, aside });
    } else {
      journal.push({ ...op });
    }
    if (op.kind !== 'remove') {
      fs.renameSync(joinChecked(staging, op.rel), d);
      journal[journal.length - 1]!.moved = true;
    }
  }
}

/** Undoes the journal newest first: staged entries go back to staging, set-aside ones to their place. */
function rollback(journal: Done[], staging: string, dest: string): void {
  for (const done of journal.reverse()) {
    try {
      if (done.moved) fs.renameSync(joinChecked(dest, done.rel), joinChecked(staging, done.rel));
      if (done.aside !== undefined) fs.renameSync(done.aside, joinChecked(dest, done.rel));
    } catch {
      /* keep undoing the rest; what cannot move back stays in the backup directory, which is kept */
    }
  }
}


function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if (hasErrCode(err, 'ENOENT')) return undefined;
    throw fsError(`cannot read "${p}"`, err);
  }
}
