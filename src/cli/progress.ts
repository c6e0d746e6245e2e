/** The terminal spinner (ora) that draws the transfer board; never used when stderr is a pipe. */
import type { Ora } from 'ora';
import { DEFAULTS } from '../core/defaults.js';
import type { TransferBoard } from './transfers.js';
import { safeText } from './safetext.js';

type TtyStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export { describeProgress } from './transfers.js';

/** Draws a TransferBoard on an interactive terminal with one ora spinner. */
export class Progress {
  private lastText = 0;

  private constructor(private readonly spinner: Ora, private readonly board: TransferBoard) {}

  /** Load ora and build a spinner on `stream` (a TTY); `columns` 0 (a pty without a size) is treated as 80. */
  static async create(stream: TtyStream, color: boolean, board: TransferBoard): Promise<Progress> {
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
    }), board);
  }

  /**
   * Redraws after the board changed: at once when `now` matters (a transfer started or ended, a new
   * phase), else at most every DEFAULTS.progress.refreshMs. An idle board takes the spinner away.
   */
  refresh(now: number, urgent: boolean): void {
    if (this.board.idle) return this.clear();
    if (!urgent && this.spinner.isSpinning && now - this.lastText < DEFAULTS.progress.refreshMs) return;
    this.lastText = now;
    const text = safeText(this.board.text(now), '\n');
    // ora draws a new text only on its next frame (80-130 ms): draw it now, or a short transfer is never seen.
    if (this.spinner.isSpinning) this.spinner.text = text;
    else this.spinner.start(text);
    this.spinner.render();
  }

  /** Remove the spinner line so a normal line can be printed; `resume` draws it again if work goes on. */
  clear(): void {
    if (this.spinner.isSpinning) this.spinner.stop();
  }

  /** After a printed line: the spinner comes back below it while transfers go on. */
  resume(now: number): void {
    this.board.endActivity();
    if (!this.board.idle) this.refresh(now, true);
  }

  /** Stop for good (restores the cursor). */
  stop(): void {
    this.spinner.stop();
  }
}
