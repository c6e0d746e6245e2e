/**
 * Streaming reader for untrusted tar(.gz|.zst) layers (SPEC §5) on top of node-tar 8's pull `Parser`:
 * the compression is told by the magic bytes and decoded here, decompressed bytes are counted against
 * the layer cap as they arrive, every entry name is checked after PAX/GNU overrides, extended headers
 * are checked for hidden NULs, and entry bodies go to a synchronous sink chunk by chunk, so nothing is
 * buffered and the first failure stops everything.
 */
import type { Readable } from 'node:stream';
import { Parser, type EntryData } from 'tar';
import { DEFAULTS } from '../../core/defaults.js';
import { OcipackError } from '../../core/errors.js';
import { normalizeEntryPath, quote } from './path.js';
import { decodeLayer, GZIP_MAGIC, type LayerFormat } from './zstd.js';
import { BLOCK, ExtendedScan, badArchive } from './extended.js';

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

export type TarItemKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'device' | 'fifo';

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

const KINDS: Record<string, TarItemKind> = {
  File: 'file', OldFile: 'file', ContiguousFile: 'file', Directory: 'dir', GNUDumpDir: 'dir',
  SymbolicLink: 'symlink', Link: 'hardlink', CharacterDevice: 'device', BlockDevice: 'device', FIFO: 'fifo',
};
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
  private readonly parser: Parser;
  private readonly extended = new ExtendedScan(DEFAULTS.caps.tarExtendedHeadersBytes);
  private sink: TarSink | undefined;
  private head = Buffer.alloc(0);
  private eof = false;
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
    const onwarn = (code: string, message: string): void => this.onWarn(code, message);
    this.parser = new Parser({ strict: false, onwarn, maxMetaEntrySize: DEFAULTS.caps.tarExtendedHeaderBytes });
  }

  /** Pushes the (decompressed) bytes through the parser chunk by chunk, handling its events synchronously. */
  async feed(source: Readable): Promise<void> {
    for await (const chunk of decodeLayer(source, cancelled, this.opts.signal, this.opts.onFormat)) {
      this.check();
      this.count(chunk.length);
      if (this.eof) continue; // drain trailing padding, still counted against the cap
      this.checkHead(chunk);
      this.extended.push(chunk);
      this.parser.push(chunk);
      this.drain();
    }
    this.check();
    this.parser.end();
    this.drain();
  }

  private drain(): void {
    for (let ev = this.next(); ev !== undefined; ev = this.next()) {
      if (ev.type === 'entry') this.onEntry(ev.entry);
      else if (ev.type === 'body') this.sink?.write(asBuffer(ev.data));
      else if (ev.type === 'entryEnd') this.endEntry();
      else this.eof = true;
    }
    if (!this.eof) this.extended.bound();
  }

  private next(): ReturnType<Parser['next']> {
    try {
      return this.parser.next();
    } catch (err) {
      throw err instanceof OcipackError ? err : parserError(err);
    }
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

  /** node-tar marks unknown types `ignore` (their body is skipped): reported as skipped, like before. */
  private onEntry(entry: EntryData): void {
    const body = this.parser.offset;
    this.extended.entry(body - BLOCK, body + Math.ceil(entry.size / BLOCK) * BLOCK);
    this.countEntry();
    if (entry.ignore) {
      this.onSkip?.(normalizeEntryPath(entry.path, this.caps), `unsupported entry type ${entry.type}`);
      return;
    }
    this.declare(entry.size);
    this.sink = this.visit(this.item(entry));
  }

  private endEntry(): void {
    const sink = this.sink;
    this.sink = undefined;
    sink?.end();
  }

  private item(entry: EntryData): TarItem {
    const kind = KINDS[entry.type];
    if (kind === undefined) throw badArchive(`unsupported entry type ${entry.type}`);
    const refused = REFUSED[kind];
    if (refused !== undefined && !this.opts.allowSpecial) {
      throw new OcipackError('UNSAFE', `refusing ${refused} entry ${quote(entry.path)}`);
    }
    const path = normalizeEntryPath(entry.path, this.caps);
    if (path === '' && kind !== 'dir') throw new OcipackError('UNSAFE', `refusing ${kind} entry for the archive root`);
    const item: TarItem = { path, kind, mode: (entry.mode ?? 0) & 0o7777, size: kind === 'file' ? entry.size : 0 };
    if (entry.linkpath !== undefined) item.linkpath = entry.linkpath;
    return item;
  }

  private onWarn(code: string, message: string): void {
    // An archive with no entries at all (an empty directory) is fine once an end-of-archive block was read.
    if (code === 'TAR_BAD_ARCHIVE' && /unrecognized archive/i.test(message) && this.entries === 0 && this.parser.offset >= BLOCK) return;
    throw badArchive(message);
  }
}

/** node-tar's own refusals (sizes or names it cannot be sure of, a too large extended header) in our words. */
function parserError(err: unknown): OcipackError {
  const message = (err instanceof Error ? err.message : String(err)).replace(/^TAR_[A-Z_]+: /, '');
  const size = (err as { header?: { size?: number } }).header?.size;
  if (message.includes('maxMetaEntrySize')) return badArchive(`extended header of ${size} bytes is too large`);
  return badArchive(message);
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function cancelled(): OcipackError {
  return new OcipackError('CANCELLED', 'extraction cancelled');
}
