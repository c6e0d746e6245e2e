/** Progress events that use-cases emit; the CLI renders them, the library hands them to `onEvent`. */

/** What a transfer does to a blob: `copy` is a copy between two stores (registry or layout). */
export type BlobAction = 'pack' | 'upload' | 'download' | 'extract' | 'copy';

export type ProgressEvent =
  | { type: 'step'; message: string }
  | { type: 'info'; message: string }
  /** `path`: the local file it is about (as given, or absolute), `line` in it: a CI annotation can point there. */
  | { type: 'warning'; message: string; path?: string; line?: number }
  /** `total`: bytes to move (for `pack`, the file content the walk found; `files` the number of files). */
  | { type: 'blob:start'; action: BlobAction; digest?: string; total?: number; files?: number }
  /** `bytes` so far for the blob `digest` (for `pack`, content read and `files` in the tree; for `extract`, content written, `files` so far). */
  | { type: 'blob:progress'; action: BlobAction; digest?: string; bytes: number; total?: number; files?: number }
  /** More blobs an operation will move (several events add up): the CLI shows blobs done of `blobs`. */
  | { type: 'blob:plan'; action: BlobAction; blobs: number; bytes: number }
  | { type: 'blob:skip'; digest: string; reason: string; size?: number }
  | { type: 'blob:done'; action: BlobAction; digest?: string; size: number }
  /** A phase with no bytes to count (moving extracted files into place): spinner text only, never a line. */
  | { type: 'activity'; message: string }
  | { type: 'manifest:pushed'; digest: string; tag?: string }
  | { type: 'debug'; message: string };

export type OnEvent = (event: ProgressEvent) => void;

/** Calls `onEvent` when given; a throwing listener never breaks an operation. */
export function emitter(onEvent: OnEvent | undefined): OnEvent {
  return (e) => {
    if (!onEvent) return;
    try {
      onEvent(e);
    } catch {
      /* listeners must not break the operation */
    }
  };
}

/** Events held back until `release()`, then passed on in order, and every later one at once. */
export function heldEvents(emit: OnEvent): { emit: OnEvent; release: () => void } {
  let queue: ProgressEvent[] | undefined = [];
  return {
    emit: (e) => {
      if (queue) queue.push(e);
      else emit(e);
    },
    release: () => {
      const held = queue ?? [];
      queue = undefined;
      for (const e of held) emit(e);
    },
  };
}
