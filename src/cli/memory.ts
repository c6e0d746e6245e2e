/**
 * Keeps the garbage of big transfers from piling up in the CLI process. Every streamed chunk (file
 * reads, deflate output, socket reads, gunzip output) is a Buffer whose memory V8 only returns after
 * a collection, and V8 lets such external memory grow by tens of MiB before it collects; glibc then
 * keeps much of it resident. Measured (bench/): push of 200 MiB peaked at 150–165 MiB RSS, with this
 * cap 125–130 MiB, at no measurable cost in time. CLI only: a library must not force collections in
 * its host, so nothing below src/cli/ does this.
 */

type Gc = (options?: { type?: 'major' | 'minor' }) => void;

/** New Buffers (above what survived the last collection) tolerated before a collection is forced. */
const LIMIT_BYTES = 16 * 1024 * 1024;
const EVERY_MS = 20;
const START_AFTER_MS = 100;

/**
 * The engine's collector, exposing it if the process was not started with --expose-gc. Setting a V8 flag
 * at run time makes V8 reject the code cache of every module compiled after it (Node's own built-in
 * cache and the compile cache): asked for only when a collection is due, so a small push or pull never is.
 */
function collector(): Gc | undefined {
  const existing = (globalThis as { gc?: Gc }).gc;
  if (typeof existing === 'function') return existing;
  try {
    const { setFlagsFromString } = process.getBuiltinModule('node:v8');
    const { runInNewContext } = process.getBuiltinModule('node:vm');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as Gc) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The collection policy: collect when the Buffers allocated since the last collection (what is held
 * now, above what survived it) pass `limitBytes`. Measuring against what survived, not against zero,
 * matters: a pull keeps 15–23 MiB of Buffers live (socket, gunzip and tar windows), so "collect above
 * 16 MiB" forced ~88 collections that freed nothing (~0.4 s); this makes it 6–7 (bench/, issue 16 §2).
 */
export class GarbageCap {
  /** Buffers held right after the last collection (or the least seen since): the live floor. */
  private floor = Number.POSITIVE_INFINITY;
  collections = 0;

  private gc: Gc | undefined;

  /** `collector` is asked once, when the first collection is due; undefined there (no collector) turns the cap off. */
  constructor(
    private readonly limitBytes: number,
    private readonly read: () => number,
    private collector: (() => Gc | undefined) | undefined,
  ) {}

  /** One check: a young-generation collection (about a millisecond), a full one when that was not enough. */
  tick(): void {
    const held = this.read();
    if (held < this.floor) this.floor = held;
    if (held - this.floor <= this.limitBytes) return;
    if (this.collector) {
      this.gc = this.collector();
      this.collector = undefined;
    }
    if (!this.gc) return;
    this.gc({ type: 'minor' });
    this.collections += 1;
    let after = this.read();
    if (after - this.floor > this.limitBytes) {
      this.gc();
      after = this.read();
    }
    this.floor = after;
  }
}

/**
 * From `startAfterMs` on (so `--version` and `--help` never pay for it), runs the GarbageCap policy
 * every `everyMs`. Never keeps the process alive. Returns a function that stops it. `read` and
 * `gc` are the process's own unless a test passes others.
 */
export function capBufferGarbage(
  limitBytes = LIMIT_BYTES, everyMs = EVERY_MS, startAfterMs = START_AFTER_MS,
  read: () => number = () => process.memoryUsage().arrayBuffers, gc: () => Gc | undefined = collector,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const start = setTimeout(() => {
    const cap = new GarbageCap(limitBytes, read, gc);
    timer = setInterval(() => cap.tick(), everyMs);
    timer.unref();
  }, startAfterMs);
  start.unref();
  return () => {
    clearTimeout(start);
    if (timer) clearInterval(timer);
  };
}
