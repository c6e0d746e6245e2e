/**
 * What a run is waiting for on the network right now ("connecting to host:port", "waiting for the
 * response headers of GET …"), so the deadline's message can say what it stopped.
 */
import type { Dispatcher } from 'undici';

/** One wait in flight: move it to its next phase, or end it. */
export interface Wait {
  phase(what: string): void;
  done(): void;
}

/** The waits of one run, oldest first. */
export class Waits {
  private readonly open = new Set<{ what: string }>();

  /** Starts a wait described by `what`. */
  begin(what: string): Wait {
    const entry = { what };
    this.open.add(entry);
    return { phase: (next) => { entry.what = next; }, done: () => { this.open.delete(entry); } };
  }

  /** The oldest wait still open, or undefined when nothing is awaited on the network. */
  oldest(): string | undefined {
    for (const entry of this.open) return entry.what;
    return undefined;
  }
}

type Handler = Dispatcher.DispatchHandler;

/**
 * `dispatcher`, with every request's phases told to `wait`: connected and sent (undici calls
 * onRequestStart once a connection carries the request), headers received, body ended or failed.
 */
export function observed(dispatcher: Dispatcher, wait: Wait, headersOf: string, bodyOf: string): Dispatcher {
  const hooks: Record<string, () => void> = {
    onRequestStart: () => wait.phase(headersOf),
    onResponseStart: () => wait.phase(bodyOf),
    onResponseEnd: () => wait.done(),
    onResponseError: () => wait.done(),
  };
  const watch = (handler: Handler): Handler => new Proxy(handler, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      const hook = typeof name === 'string' ? hooks[name] : undefined;
      if (typeof value !== 'function') return value;
      if (!hook) return value.bind(target);
      return (...args: unknown[]) => {
        hook();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return dispatcher.compose((dispatch) => (opts, handler) => dispatch(opts, watch(handler)));
}
