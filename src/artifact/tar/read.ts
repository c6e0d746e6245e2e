/**
 * Streaming reader for untrusted tar(.gz|.zst) layers (SPEC §5) on our own parser (parse.ts): the
 * compression is told by the magic bytes and decoded here, decompressed bytes are counted against
 * the layer cap as they arrive, every entry name is checked after PAX/GNU overrides, and entry bodies
 * go to a synchronous sink chunk by chunk, so nothing is buffered and the first failure stops everything.
 */
import type { Readable } from 'node:stream';
import { DEFAULTS } from '../../core/defaults.js';
import { OcipackError } from '../../core/errors.js';
import { normalizeEntryPath, quote } from './path.js';
import { decodeLayer, GZIP_MAGIC, type LayerFormat } from './zstd.js';
import { TarParser, type TarEntry, type TarItemKind } from './parse.js';

export type { TarItemKind } from './parse.js';

export interface TarCaps {
  maxLayerBytes?: number;
  maxEntries?: number;
  maxPathBytes?: number;
  maxDepth?: number;
}

export interface ReadTarOptions extends TarCaps {
  signal?: AbortSignal;
  /** Cumulative decompressed bytes read. */
  onProgress?: (bytes: number) => void;
  /** Report hard links, devices and FIFOs as items instead of refusing them (for diff). */
  allowSpecial?: boolean;
  /** Told once what the magic bytes said the layer is: gzip, zstd or plain tar. */
  onFormat?: (format: LayerFormat) => void;
  /**
   * Decompressed bytes of every layer one command reads (shared by them all): the layer cap applies to
   * their sum too (SPEC §5), so many layers under the cap each cannot fill temporary space together.
   */
  together?: { bytes: number };
}

export interface TarItem {
  /** Checked, normalised name; '' for the archive root (`./`). */
  path: string;
  kind: TarItemKind;
  mode: number;
  size: number;
  linkpath?: string;
}

/**
 * Receives an entry's body; both calls are synchronous and may throw to stop the read. A chunk is a
 * view into the decompressed input, never reused by the reader: a sink may keep it (it pins its chunk).
 */
export interface TarSink {
  write(chunk: Buffer): void;
  end(): void;
}

const REFUSED: Partial<Record<TarItemKind, string>> = { hardlink: 'hard link', device: 'device', fifo: 'FIFO' };

/** Reads every entry of a tar, tar+gzip or tar+zstd stream; `visit` returns a sink for the body or nothing to discard it. */
export async function readTar(
  source: Readable,
  visit: (item: TarItem) => TarSink | undefined,
  opts: ReadTarOptions = {},
  onSkip?: (name: string, reason: string) => void,
): Promise<void> {
  const run = new TarRun(visit, opts, onSkip);
  const onAbort = (): void => {
    source.destroy(cancelled());
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (opts.signal?.aborted) throw cancelled();
    await run.feed(source);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!source.destroyed) source.destroy();
  }
}

class TarRun {
  private readonly parser: TarParser;
  private sink: TarSink | undefined;
  private head = Buffer.alloc(0);
  private entries = 0;
  private bytes = 0;
  private declared = 0;
  private readonly caps: Required<TarCaps>;

  constructor(
    private readonly visit: (item: TarItem) => TarSink | undefined,
    private readonly opts: ReadTarOptions,
    private readonly onSkip?: (name: string, reason: string) => void,
  ) {
    this.caps = {
      maxLayerBytes: opts.maxLayerBytes ?? DEFAULTS.caps.layerBytes,
      maxEntries: opts.maxEntries ?? DEFAULTS.caps.entries,
      maxPathBytes: opts.maxPathBytes ?? DEFAULTS.caps.pathBytes,
      maxDepth: opts.maxDepth ?? DEFAULTS.caps.depth,
    };
    this.parser = new TarParser({
      entry: (entry) => this.onEntry(entry),
      body: (chunk) => this.sink?.write(chunk),
      entryEnd: () => this.endEntry(),
    }, { extendedHeaderBytes: DEFAULTS.caps.tarExtendedHeaderBytes, extendedHeadersBytes: DEFAULTS.caps.tarExtendedHeadersBytes });
  }

  /** Pushes the (decompressed) bytes through the parser chunk by chunk; its calls are synchronous. */
  async feed(source: Readable): Promise<void> {
    for await (const chunk of decodeLayer(source, cancelled, this.opts.signal, this.opts.onFormat)) {
      this.check();
      this.count(chunk.length);
      if (this.parser.done) continue; // drain trailing padding, still counted against the cap
      this.checkHead(chunk);
      this.parser.write(chunk);
    }
    this.check();
    this.parser.end();
  }

  private count(n: number): void {
    this.bytes += n;
    if (this.bytes > this.caps.maxLayerBytes) throw this.layerCap();
    const together = this.opts.together;
    if (together && (together.bytes += n) > this.caps.maxLayerBytes) throw this.layerCap('layers exceed', ' together');
    this.opts.onProgress?.(this.bytes);
  }

  /**
   * Entry bodies must be present in full, so once the sizes the headers announce add up past the cap
   * the layer cannot fit: fail before writing such a body instead of after (the real bytes are still
   * what `count` checks, whatever the headers say).
   */
  private declare(size: number): void {
    this.declared += size;
    if (this.declared > this.caps.maxLayerBytes) throw this.layerCap();
  }

  private layerCap(what = 'layer exceeds', how = ''): OcipackError {
    return new OcipackError('CAP', `${what} ${this.caps.maxLayerBytes} bytes${how} when decompressed`, {
      context: { option: 'maxLayerBytes', next: 'raise-cap' },
    });
  }

  private check(): void {
    if (this.opts.signal?.aborted) throw cancelled();
  }

  /** A tar that starts with the gzip magic is a second layer of compression: refuse it by name. */
  private checkHead(chunk: Buffer): void {
    if (this.head.length >= GZIP_MAGIC.length) return;
    this.head = Buffer.concat([this.head, chunk.subarray(0, GZIP_MAGIC.length - this.head.length)]);
    if (this.head.length === GZIP_MAGIC.length && this.head.equals(Buffer.from(GZIP_MAGIC))) {
      throw new OcipackError('BAD_INPUT', 'layer is compressed twice');
    }
  }

  private countEntry(): void {
    this.entries += 1;
    if (this.entries > this.caps.maxEntries) {
      throw new OcipackError('CAP', `layer exceeds ${this.caps.maxEntries} entries`, { context: { option: 'maxEntries', next: 'raise-cap' } });
    }
  }

  /** A type this reader does not extract has its body skipped, and is reported as skipped. */
  private onEntry(entry: TarEntry): void {
    this.countEntry();
    if (entry.kind === undefined) {
      this.onSkip?.(normalizeEntryPath(entry.path, this.caps), `unsupported entry type ${JSON.stringify(entry.type)}`);
      return;
    }
    this.declare(entry.size);
    this.sink = this.visit(this.item(entry, entry.kind));
  }

  private endEntry(): void {
    const sink = this.sink;
    this.sink = undefined;
    sink?.end();
  }

  private item(entry: TarEntry, kind: TarItemKind): TarItem {
    const refused = REFUSED[kind];
    if (refused !== undefined && !this.opts.allowSpecial) {
      throw new OcipackError('UNSAFE', `refusing ${refused} entry ${quote(entry.path)}`);
    }
    const path = normalizeEntryPath(entry.path, this.caps);
    if (path === '' && kind !== 'dir') throw new OcipackError('UNSAFE', `refusing ${kind} entry for the archive root`);
    const item: TarItem = { path, kind, mode: entry.mode, size: kind === 'file' ? entry.size : 0 };
    if (entry.linkpath !== undefined) item.linkpath = entry.linkpath;
    return item;
  }
}

function cancelled(): OcipackError {
  return new OcipackError('CANCELLED', 'extraction cancelled');
}
