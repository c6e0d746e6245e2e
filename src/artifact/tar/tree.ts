/** The tree flags push, build and diff share, turned into pack options in one place so all three see the same tree. */
import type { OnEvent } from '../../core/events.js';
import { usageError } from '../../core/errors.js';
import { DEFAULTS } from '../../core/defaults.js';
import { stat } from 'node:fs/promises';
import type { PackOptions } from './pack.js';
import { parseSources } from './sources.js';
import { guardFiles } from '../guard.js';

export interface TreeOptions {
  /** Directory or file to pack; `-` reads one file from `stdin`; several (`<src>[=<target>]`) make one layer. */
  path: string | string[];
  /** Pack even when no file is left (else a usage error naming the ignore rules). */
  allowEmpty?: boolean;
  ignorePaths?: string[];
  addIgnorePaths?: string[];
  resolveSymlinks?: boolean;
  stdin?: NodeJS.ReadableStream;
  stdinName?: string;
  signal?: AbortSignal;
  /** Push files that hold credentials (a plaintext Secret, a private key, a .env file, a kubeconfig) anyway. */
  allowSecrets?: boolean;
}

/**
 * Pack options for `opts`: warnings and pack progress go to `emit`; `-` needs a stdin stream. The files are
 * looked at first (guard.ts): `refuse` (push) throws for credentials unless `allowSecrets`; else they are warnings.
 */
export function packOptionsFor(opts: TreeOptions, emit: OnEvent, guard: 'refuse' | 'warn' = 'warn'): PackOptions {
  const p: PackOptions = {
    path: opts.path,
    inspect: () => guardFiles({
      refuse: guard === 'refuse' && opts.allowSecrets !== true,
      onFinding: (f, message) => emit({ type: 'warning', message, ...(f.file === undefined ? {} : { path: f.file }), ...(f.line === undefined ? {} : { line: f.line }) }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    }),
    onWarning: (message, file) => emit(file === undefined ? { type: 'warning', message } : { type: 'warning', message, path: file }),
    onProgress: (bytes, total, files) => emit({ type: 'blob:progress', action: 'pack', bytes, total, files }),
  };
  if (opts.ignorePaths) p.ignorePaths = opts.ignorePaths;
  if (opts.addIgnorePaths) p.addIgnorePaths = opts.addIgnorePaths;
  if (opts.resolveSymlinks) p.resolveSymlinks = true;
  if (opts.signal) p.signal = opts.signal;
  if (opts.allowEmpty) p.allowEmpty = true;
  if (readsStdin(opts.path)) {
    if (!opts.stdin) throw usageError('`path` - needs data on standard input', { option: 'path' });
    p.stdin = opts.stdin as unknown as NonNullable<PackOptions['stdin']>;
    p.stdinName = opts.stdinName ?? DEFAULTS.stdinName;
  }
  return p;
}

/** True when one of the sources is stdin (`-`, or `-=<target>`). */
export function readsStdin(path: string | readonly string[]): boolean {
  return (typeof path === 'string' ? [path] : path).some((s) => s === '-' || s.startsWith('-='));
}

/** Checks each local source exists (usage error naming it) before any work; returns the first one, for git metadata. */
export async function checkSources(path: string | readonly string[]): Promise<string | undefined> {
  const specs = parseSources(path);
  for (const s of specs) {
    if (s.path === '-') continue;
    try {
      await stat(s.path);
    } catch {
      throw usageError(`\`path\` "${s.path}" does not exist`, { option: 'path' });
    }
  }
  return specs.find((s) => s.path !== '-')?.path;
}
