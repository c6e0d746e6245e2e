/** The run's one abort signal: the caller's signal joined with the deadline of RunOptions.timeoutMs, armed once. */
import { setMaxListeners } from 'node:events';
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import type { RunOptions } from '../core/options.js';
import { Waits } from '../http/waits.js';

export interface RunSignal {
  /** Aborted by the caller's signal or when the deadline passes, whichever comes first. */
  readonly signal: AbortSignal;
  /** What the run waits for on the network: the deadline's message names the oldest. */
  readonly waits: Waits;
  /** The error to report for `err`: why the run was stopped (its deadline, an interrupt) when it was, else `err`. */
  failure(err: unknown): unknown;
  /** Disarms the deadline (the run is over). */
  dispose(): void;
}

/**
 * Arms the deadline once for the whole run (connect() does it; `build`, which opens nothing, too):
 * every request, pool and stream of the run listens to this one signal, so a timeout has one message,
 * `timed out after 2s`, whichever part of the work it stopped, plus what it was waiting for on the network then
 * (`connecting to host:443`, `waiting for the response headers of GET …`).
 */
export function armDeadline(run: Pick<RunOptions, 'signal' | 'timeoutMs'>): RunSignal {
  const ms = run.timeoutMs ?? DEFAULTS.timeoutMs;
  const deadline = new AbortController();
  const waits = new Waits();
  let timer: NodeJS.Timeout | undefined;
  // setTimeout fires at once for a delay above its limit: such a deadline is no deadline.
  if (ms > 0 && ms <= DEFAULTS.maxTimerMs) {
    timer = setTimeout(() => deadline.abort(timedOut(ms, waits.oldest())), ms);
    timer.unref();
  }
  const signal = run.signal ? AbortSignal.any([run.signal, deadline.signal]) : deadline.signal;
  // Every request in flight listens to it: `list --concurrency 20` must not print MaxListenersExceededWarning.
  setMaxListeners(0, signal);
  return { signal, waits, failure: (err) => stoppedBy(signal, err), dispose: () => clearTimeout(timer) };
}

/**
 * A stopped run surfaces as whatever the aborted I/O threw ("packing cancelled", "cancelled while
 * talking to …"); the signal's reason says why. A failure of its own (not NETWORK, not CANCELLED) stays.
 */
function stoppedBy(signal: AbortSignal, err: unknown): unknown {
  if (!signal.aborted || !(signal.reason instanceof OcipackError)) return err;
  if (err instanceof OcipackError && err.code !== 'NETWORK' && err.code !== 'CANCELLED') return err;
  return signal.reason;
}

function timedOut(ms: number, waiting: string | undefined): OcipackError {
  return new OcipackError('CANCELLED', `timed out after ${duration(ms)}${waiting === undefined ? '' : ` ${waiting}`}`, { context: { option: 'timeoutMs', next: 'timeout' } });
}

/** `2s`, `5m`, `1h`, `1.5s`, `250ms`: the largest unit that says it exactly, as --timeout is written. */
function duration(ms: number): string {
  const units: Array<[string, number]> = [['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  for (const [unit, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}
