/** Progress events that use-cases emit; the CLI renders them, the library hands them to `onEvent`. */
export type ProgressEvent =
  | { type: 'step'; message: string }
  | { type: 'info'; message: string }
  | { type: 'warning'; message: string }
  | { type: 'blob:start'; action: 'pack' | 'upload' | 'download' | 'extract'; digest?: string; total?: number }
  | { type: 'blob:progress'; action: 'pack' | 'upload' | 'download' | 'extract'; bytes: number; total?: number }
  | { type: 'blob:skip'; digest: string; reason: string }
  | { type: 'blob:done'; action: 'pack' | 'upload' | 'download' | 'extract'; digest?: string; size: number }
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
