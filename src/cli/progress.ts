/** A TTY progress spinner (ora) showing bytes done/total and rate; never used when stderr is a pipe. */
import type { ProgressEvent } from '../events.js';
import { formatBytes } from './ui.js';

type Ora = import('ora').Ora;

/** Renders blob progress events on an interactive terminal. */
export class Progress {
  private spinner: Ora | undefined;
  private started = 0;
  private loading: Promise<void> | undefined;

  constructor(private readonly stream: NodeJS.WritableStream, private readonly color: boolean) {}

  private async ensure(): Promise<void> {
    if (this.spinner) return;
    const { default: ora } = await import('ora');
    this.spinner = ora({ stream: this.stream as NodeJS.WritableStream & { isTTY: boolean }, color: this.color ? 'cyan' : false, isEnabled: true, discardStdin: false });
  }

  /** Start or advance the spinner for a blob event. */
  update(e: Extract<ProgressEvent, { type: 'blob:start' | 'blob:progress' }>): void {
    if (e.type === 'blob:start') this.started = Date.now();
    const text = this.describe(e);
    if (!this.spinner) {
      this.loading ??= this.ensure().then(() => { this.spinner?.start(text); });
      return;
    }
    if (!this.spinner.isSpinning) this.spinner.start(text);
    else this.spinner.text = text;
  }

  private describe(e: Extract<ProgressEvent, { type: 'blob:start' | 'blob:progress' }>): string {
    const verb = { pack: 'packing', upload: 'uploading', download: 'downloading', extract: 'extracting' }[e.action];
    if (e.type === 'blob:start') return `${verb}…`;
    const secs = Math.max((Date.now() - this.started) / 1000, 0.001);
    const total = e.total ? ` / ${formatBytes(e.total)}` : '';
    return `${verb} ${formatBytes(e.bytes)}${total} (${formatBytes(e.bytes / secs)}/s)`;
  }

  /** Remove the spinner line so a normal line can be printed. */
  clear(): void {
    if (this.spinner?.isSpinning) this.spinner.stop();
  }

  stop(): void {
    this.spinner?.stop();
  }
}
