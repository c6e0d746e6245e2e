/** The one place that runs work concurrently: bounded pools and settle-all. */
import { OcipackError } from '../core/errors.js';
import { cancelled } from './bodies.js';

/**
 * Waits for every promise (none is left running in the background), then throws the first failure,
 * in the order given: copyGraph waits so for a manifest's children before it writes the manifest
 * (DESIGN "blobs first, manifest last").
 */
export async function settleAll(tasks: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** `fn` over `items` with at most `limit` running at once; results keep the input order, the first error wins. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      if (signal?.aborted) throw new OcipackError('CANCELLED', 'listing cancelled', { cause: signal.reason });
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Runs at most `max` tasks at once; queued tasks do not start once `signal` is aborted. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number, private readonly signal: AbortSignal) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.active >= this.max) await new Promise<void>((wake) => this.waiting.push(wake));
    this.active++;
    try {
      if (this.signal.aborted) throw cancelled(this.signal);
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
