/**
 * Moves a fully verified staging tree into an existing target (SPEC §5): merge (flux's behaviour) or
 * `clean` (the target becomes exactly the staged tree). Everything is planned first, without touching
 * the target, so a directory/file conflict is refused before anything moved; then renames only, each
 * recorded in a journal, undone in reverse on the first failure. The moves are synchronous: a signal
 * handler cannot run between two of them, so SIGINT/SIGTERM land before or after, never in between.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errCodeText, fsError, hasErrCode } from '../../core/errno.js';
import { OcipackError } from '../../core/errors.js';
import { quote } from './path.js';

export interface PlaceOptions {
  /** Make the target exactly the staged tree: what the artifact does not have is removed. */
  clean?: boolean;
  /** Let an entry replace a directory with a file, or a file with a directory. */
  overwriteDirs?: boolean;
}

/** What placing did, for messages and tests. */
export interface PlaceReport {
  /** Entries moved in where nothing was. */
  created: number;
  /** Entries that replaced what was there. */
  replaced: number;
  /** Entries removed by `clean`. */
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
  plan(staging, dest, '', opts, ops, conflicts);
  if (conflicts.length > 0) {
    const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : '';
    throw new OcipackError('UNSAFE', `refusing to ${conflicts[0]!}${more}`, {
      context: { option: 'overwriteDirs', next: 'overwrite-dirs' },
    });
  }
  const journal: Done[] = [];
  try {
    apply(ops, staging, dest, backup, journal);
  } catch (err) {
    rollback(journal, staging, dest);
    if (err instanceof OcipackError) throw err;
    throw new OcipackError('IO', `cannot move the extracted files into "${dest}": ${errCodeText(err)}; the output was left as it was`, { cause: err });
  }
  const report: PlaceReport = { created: 0, replaced: 0, removed: 0 };
  for (const op of ops) report[op.kind === 'create' ? 'created' : op.kind === 'replace' ? 'replaced' : 'removed'] += 1;
  return report;
}

/** Walks the staged tree against the target: merges directories, records one op per entry to move. */
function plan(sDir: string, dDir: string, rel: string, opts: PlaceOptions, ops: Op[], conflicts: string[]): void {
  // Sorted, so the order of the moves (and of a refusal's first name) does not depend on the filesystem.
  const staged = fs.readdirSync(sDir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = new Set<string>();
  for (const ent of staged) {
    names.add(ent.name);
    const r = rel ? `${rel}/${ent.name}` : ent.name;
    const there = lstatOrUndefined(path.join(dDir, ent.name));
    if (there === undefined) {
      ops.push({ kind: 'create', rel: r });
    } else if (there.isDirectory() && ent.isDirectory()) {
      plan(path.join(sDir, ent.name), path.join(dDir, ent.name), r, opts, ops, conflicts);
    } else {
      // A symlink in the target is never followed and never user data worth refusing over: it is replaced.
      const clash = !there.isSymbolicLink() && there.isDirectory() !== ent.isDirectory();
      if (clash && !opts.clean && !opts.overwriteDirs) {
        conflicts.push(there.isDirectory() ? `replace directory ${quote(r)} with a file` : `replace file ${quote(r)} with a directory`);
      }
      ops.push({ kind: 'replace', rel: r });
    }
  }
  if (!opts.clean) return;
  for (const name of fs.readdirSync(dDir).sort()) {
    if (!names.has(name)) ops.push({ kind: 'remove', rel: rel ? `${rel}/${name}` : name });
  }
}

function apply(ops: Op[], staging: string, dest: string, backup: string, journal: Done[]): void {
  let made = false;
  let n = 0;
  for (const op of ops) {
    const d = join(dest, op.rel);
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
      fs.renameSync(join(staging, op.rel), d);
      journal[journal.length - 1]!.moved = true;
    }
  }
}

/** Undoes the journal newest first: staged entries go back to staging, set-aside ones to their place. */
function rollback(journal: Done[], staging: string, dest: string): void {
  for (const done of journal.reverse()) {
    try {
      if (done.moved) fs.renameSync(join(dest, done.rel), join(staging, done.rel));
      if (done.aside !== undefined) fs.renameSync(done.aside, join(dest, done.rel));
    } catch {
      /* keep undoing the rest; what cannot move back stays in the backup directory, which is kept */
    }
  }
}

function join(root: string, rel: string): string {
  return path.join(root, ...rel.split('/'));
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if (hasErrCode(err, 'ENOENT')) return undefined;
    throw fsError(`cannot read "${p}"`, err);
  }
}
