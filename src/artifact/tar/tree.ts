/** The tree flags push, build and diff share, turned into pack options in one place so all three see the same tree. */
import type { OnEvent } from '../../core/events.js';
import { usageError } from '../../core/errors.js';
import type { PackOptions } from './pack.js';

export interface TreeOptions {
  /** Directory or file to pack; `-` reads one file from `stdin`. */
  path: string;
  ignorePaths?: string[];
  addIgnorePaths?: string[];
  resolveSymlinks?: boolean;
  stdin?: NodeJS.ReadableStream;
  stdinName?: string;
  signal?: AbortSignal;
}

/** Pack options for `opts`: warnings and pack progress go to `emit`; `-` needs a stdin stream. */
export function packOptionsFor(opts: TreeOptions, emit: OnEvent): PackOptions {
  const p: PackOptions = {
    path: opts.path,
    onWarning: (message) => emit({ type: 'warning', message }),
    onProgress: (bytes) => emit({ type: 'blob:progress', action: 'pack', bytes }),
  };
  if (opts.ignorePaths) p.ignorePaths = opts.ignorePaths;
  if (opts.addIgnorePaths) p.addIgnorePaths = opts.addIgnorePaths;
  if (opts.resolveSymlinks) p.resolveSymlinks = true;
  if (opts.signal) p.signal = opts.signal;
  if (opts.path === '-') {
    if (!opts.stdin) throw usageError('--path - needs data on standard input');
    p.stdin = opts.stdin as unknown as NonNullable<PackOptions['stdin']>;
    p.stdinName = opts.stdinName ?? 'stdin';
  }
  return p;
}
