/** Everything the CLI prints: flux-style lines on stderr, machine output on stdout, progress, colours. */
import { styleText } from 'node:util';
import type { OnEvent, ProgressEvent } from '../core/events.js';
import type { Progress } from './progress.js';
import { DONE, TransferBoard, type TransferEvent } from './transfers.js';
import { toYaml } from './yaml.js';
import { formatBytes } from './format.js';
import { escapeSerialised, safeText } from './safetext.js';
import { withFlagNames } from './flags.js';
import type { AnnotationKind, Annotator, Where } from './annotations.js';

export { formatBytes } from './format.js';

export type Format = 'text' | 'json' | 'yaml';

export interface UiOptions {
  /** Nothing on stderr on success: no steps, results, warnings or progress (errors still print). */
  quiet?: boolean;
  /** `◎` detail lines (blobs skipped, sizes, digests). */
  verbose?: boolean;
  /** `[debug]` lines: the redacted HTTP trace. */
  debug?: boolean;
  /** ANSI colours (decided by `wantsColor`). */
  color?: boolean;
  /** An animated spinner for transfers; only for an interactive terminal on stderr. */
  progress?: boolean;
  /** The sub-command being run, named in error lines (`push failed: …`). */
  command?: string;
  /** On GitHub Actions: warnings and errors are also printed as workflow commands (annotations.ts). */
  annotator?: Annotator;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

type Paint = (s: string) => string;
interface Palette { blue: Paint; green: Paint; yellow: Paint; red: Paint; dim: Paint }
const NONE: Palette = { blue: (s) => s, green: (s) => s, yellow: (s) => s, red: (s) => s, dim: (s) => s };


/** The CLI's printer; commands call step/success/warn and `data`, use-cases feed `onEvent`. */
export class Ui {
  readonly opts: UiOptions;
  private paint: Palette = NONE;
  private readonly out: NodeJS.WritableStream;
  private readonly err: NodeJS.WritableStream & { isTTY?: boolean };
  private progress: Progress | undefined;
  /** What the transfers stand at: drawn by the spinner on a terminal, summed up in plain lines for a copy elsewhere. */
  private readonly board = new TransferBoard();
  /** What the command printed as its result (`data`), for the CI outputs written after it (ci-outputs.ts). */
  result: unknown;

  constructor(opts: UiOptions = {}) {
    this.opts = opts;
    this.out = opts.stdout ?? process.stdout;
    this.err = opts.stderr ?? process.stderr;
  }

  /** Colours from Node's own styleText (the 16 basic ones, already decided by `wantsColor`); ora only when wanted. */
  async init(): Promise<void> {
    if (this.opts.color) {
      const paint = (format: 'blue' | 'green' | 'yellow' | 'red' | 'dim'): Paint => (s) => styleText(format, s, { validateStream: false });
      this.paint = { blue: paint('blue'), green: paint('green'), yellow: paint('yellow'), red: paint('red'), dim: paint('dim') };
    }
    if ((this.opts.progress ?? this.err.isTTY === true) && !this.opts.quiet) {
      const { Progress } = await import('./progress.js');
      this.progress = await Progress.create(this.err, this.opts.color ?? false, this.board);
    }
  }

  /** One human line on stderr: the message (registry text included) through safeText, then the symbol. */
  private line(s: string, symbol?: string): void {
    this.progress?.clear();
    this.err.write(symbol === undefined ? `${s}\n` : `${symbol} ${safeText(s)}\n`);
    this.progress?.resume(Date.now());
  }

  /** `► doing something` */
  step(msg: string): void {
    if (!this.opts.quiet) this.line(msg, this.paint.blue('►'));
  }
  /** `✔ done` */
  success(msg: string): void {
    if (!this.opts.quiet) this.line(msg, this.paint.green('✔'));
  }
  /** `◎ detail`, only with --verbose or --debug. */
  info(msg: string): void {
    if (this.opts.verbose && !this.opts.quiet) this.line(msg, this.paint.dim('◎'));
  }
  /** `⚠ warning` (silenced by --quiet, like every other line of a successful run); `where`: the file it is about. */
  warn(msg: string, where?: Where): void {
    if (this.opts.quiet) return;
    this.line(msg, this.paint.yellow('⚠'));
    this.annotate('warning', msg, where);
  }
  /** Errors always print, even with --quiet: one `✗` line, then an optional hint line; `where: false`: no annotation. */
  error(msg: string, hint?: string, where?: Where | false): void {
    this.line(msg, this.paint.red('✗'));
    if (hint) this.err.write(`  ${this.paint.dim('hint:')} ${safeText(hint)}\n`);
    if (where !== false) this.annotate('error', hint ? `${msg} (${hint})` : msg, where);
  }
  /** A workflow command on a GitHub Actions runner (nothing elsewhere), on stderr: stdout stays machine output. */
  annotate(kind: AnnotationKind, msg: string, where?: Where): void {
    if (this.opts.annotator) this.line(this.opts.annotator.line(kind, msg, where).trimEnd());
  }
  /** `[debug] …` lines (the redacted HTTP trace), only with --debug. */
  debugLine(msg: string): void {
    if (this.opts.debug) this.line(this.paint.dim(`[debug] ${safeText(msg)}`));
  }
  /** Raw text on stderr (stack traces with --debug). */
  raw(text: string): void {
    this.progress?.clear();
    const t = safeText(text, '\n\t');
    this.err.write(t.endsWith('\n') ? t : `${t}\n`);
    this.progress?.resume(Date.now());
  }

  /** Machine output on stdout: JSON (2-space indent) or YAML; nothing for `text`. */
  data(value: unknown, format: Format): void {
    this.result = value;
    if (format === 'json') this.out.write(`${escapeSerialised(JSON.stringify(value, null, 2))}\n`);
    else if (format === 'yaml') this.out.write(toYaml(value));
  }
  /** Plain text on stdout (tables, inspect output), through safeText (line breaks and tabs kept). */
  print(text: string): void {
    const t = safeText(text, '\n\t');
    this.out.write(t.endsWith('\n') ? t : `${t}\n`);
  }

  /** The use-case listener: transfers to the spinner (TTY only), warnings and steps as lines. */
  readonly onEvent: OnEvent = (e: ProgressEvent) => {
    switch (e.type) {
      // use-cases name options as `name`; on the command line they are flags
      case 'step': return this.step(withFlagNames(e.message));
      case 'info': return this.info(withFlagNames(e.message));
      case 'warning': return this.warn(withFlagNames(e.message), e.path === undefined ? undefined : { file: e.path, ...(e.line === undefined ? {} : { line: e.line }) });
      case 'debug': return this.debugLine(withFlagNames(e.message));
      case 'blob:skip':
        this.transfer(e);
        return this.info(`skipped ${e.digest} (${e.reason})`);
      case 'activity':
      case 'blob:plan':
      case 'blob:start':
      case 'blob:progress':
        return this.transfer(e);
      case 'blob:done': {
        const now = Date.now();
        const since = this.board.startedAt(e.digest, now);
        this.transfer(e);
        // Without a spinner (a pipe, a CI log) a copy still tells how far it got, one line per blob.
        if (e.action === 'copy' && !this.progress) {
          if (!this.opts.quiet) this.line(this.board.doneLine(e, since, now), this.paint.dim('◦'));
          return;
        }
        return this.info(`${DONE[e.action]} ${formatBytes(e.size)}${e.digest ? ` (${e.digest})` : ''}`);
      }
      case 'manifest:pushed': return this.info(`manifest ${e.digest}${e.tag ? ` tagged ${e.tag}` : ''}`);
    }
  };

  private transfer(e: TransferEvent): void {
    const now = Date.now();
    this.board.apply(e, now);
    // Drawn at once: a new transfer, a new phase, a known total (pack's first event); progress is throttled.
    this.progress?.refresh(now, e.type !== 'blob:progress' || e.bytes === 0);
  }

  /** Stop any spinner before exit. */
  close(): void {
    this.progress?.stop();
  }
}
