/** A TTY progress spinner (ora) showing bytes done/total and rate; never used when stderr is a pipe. */
import type { Ora } from 'ora';
import type { ProgressEvent } from '../core/events.js';
import { formatBytes } from './format.js';

type BlobEvent = Extract<ProgressEvent, { type: 'blob:start' | 'blob:progress' }>;
type Action = BlobEvent['action'];
type TtyStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

const VERBS: Record<Action, string> = { pack: 'packing', upload: 'uploading', download: 'downloading', extract: 'extracting' };

/** Spinner text for one transfer: `uploading 12.4 MiB / 30.0 MiB (8.1 MiB/s)`. */
export function describeProgress(action: Action, bytes: number | undefined, total: number | undefined, elapsedMs: number): string {
  const verb = VERBS[action];
  if (bytes === undefined) return total ? `${verb} ${formatBytes(total)}…` : `${verb}…`;
  const of = total ? ` / ${formatBytes(total)}` : '';
  const rate = elapsedMs >= 200 ? ` (${formatBytes((bytes * 1000) / elapsedMs)}/s)` : '';
  return `${verb} ${formatBytes(bytes)}${of}${rate}`;
}

/** Renders blob progress events on an interactive terminal with one ora spinner. */
export class Progress {
  private readonly spinner: Ora;
  private started = 0;
  private action: Action = 'pack';
  /** Size of the transfer the line follows: with several blobs in flight it follows the biggest. */
  private total = 0;
  private lastText = 0;

  private constructor(spinner: Ora) {
    this.spinner = spinner;
  }

  /** Load ora and build a spinner on `stream` (a TTY); `columns` 0 (a pty without a size) is treated as 80. */
  static async create(stream: TtyStream, color: boolean): Promise<Progress> {
    // ora divides by `columns` to count lines to erase; a pty that reports 0 columns would make that Infinity.
    if (!(typeof stream.columns === 'number' && stream.columns > 0)) stream.columns = 80;
    const { default: ora } = await import('ora');
    return new Progress(ora({
      stream: stream as NodeJS.WritableStream & { isTTY: boolean },
      color: color ? 'cyan' : false,
      spinner: color ? 'dots' : 'line',
      isEnabled: true,
      discardStdin: false,
      hideCursor: true,
    }));
  }

  /** Start or advance the spinner for a blob event (text updates at most every 100 ms). */
  update(e: BlobEvent): void {
    const now = Date.now();
    if (e.type === 'blob:start' && e.action === this.action && this.spinner.isSpinning && (e.total ?? 0) < this.total) return;
    if (e.type === 'blob:start' || e.action !== this.action) {
      this.started = now;
      this.action = e.action;
      this.total = e.total ?? 0;
      this.show(describeProgress(e.action, undefined, e.total, 0), now);
    } else if (!this.spinner.isSpinning || now - this.lastText >= 100) {
      this.show(describeProgress(e.action, e.bytes, e.total, now - this.started), now);
    }
  }

  private show(text: string, now: number): void {
    this.lastText = now;
    // ora draws a new text only on its next frame (80-130 ms): draw it now, or a short transfer is never seen.
    if (this.spinner.isSpinning) this.spinner.text = text;
    else this.spinner.start(text);
    this.spinner.render();
  }

  /** Remove the spinner line so a normal line can be printed. */
  clear(): void {
    if (this.spinner.isSpinning) this.spinner.stop();
  }

  /** Stop for good (restores the cursor). */
  stop(): void {
    this.spinner.stop();
  }
}
