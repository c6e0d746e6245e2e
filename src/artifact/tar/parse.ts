/**
 * A synchronous tar parser for untrusted layers (SPEC §5), fed decompressed chunks in order. It calls
 * its handler for each entry (PAX and GNU long names applied), each piece of the entry's body (a view
 * into the chunk given, never a copy) and the entry's end. It sees the extended headers itself, so a
 * NUL inside one (where readers disagree on the name) is refused, and their size is capped.
 * Only a header split between two chunks, and an extended header's body, are copied.
 */
import { OcipackError } from '../../core/errors.js';
import { BLOCK } from './header.js';
import { badArchive, checksum, cstring, headerName, leadingOctal, number, paxRecords, type PaxFields } from './fields.js';

export type TarItemKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'device' | 'fifo';

/** One entry as the archive states it: the name is not checked yet. */
export interface TarEntry {
  path: string;
  /** undefined: a type this reader does not extract (its typeflag in `type`); its body is skipped. */
  kind: TarItemKind | undefined;
  type: string;
  mode: number;
  /** Bytes of its body (0 for directories, links, devices, FIFOs). */
  size: number;
  linkpath?: string;
}

/** Called synchronously in archive order; a throw stops the parse. */
export interface TarHandler {
  entry(entry: TarEntry): void;
  body(chunk: Buffer): void;
  entryEnd(): void;
}

export interface TarParseCaps {
  /** Bytes of one PAX header or GNU long name. */
  extendedHeaderBytes: number;
  /** Bytes of all the extended headers (with their header blocks) before one entry. */
  extendedHeadersBytes: number;
}

const KINDS: Record<string, TarItemKind> = {
  '0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'device', '4': 'device', '5': 'dir', D: 'dir', '6': 'fifo',
};
/** Kinds that never have a body: a size there would make readers disagree on where the next header is. */
const NO_BODY = new Set<TarItemKind | undefined>(['hardlink', 'symlink', 'device', 'fifo']);
type Meta = 'pax' | 'global' | 'longPath' | 'longLink';
const METAS: Record<string, Meta> = { x: 'pax', X: 'pax', g: 'global', L: 'longPath', K: 'longLink' };

const State = { Header: 0, Body: 1, Meta: 2, Done: 3 } as const;

/** Pull-free tar parsing: `write` each chunk, then `end`; `done` is true once the end block was read. */
export class TarParser {
  private state: number = State.Header;
  private readonly block = Buffer.allocUnsafe(BLOCK);
  private held = 0; // bytes of a header split between chunks, in `block`
  private blocks = 0;
  private remain = 0; // body bytes still to come
  private pad = 0; // padding after them
  private meta: Meta = 'pax';
  private metaBody = Buffer.alloc(0);
  private metaLen = 0;
  private pax: PaxFields | undefined;
  private longPath: string | undefined;
  private longLink: string | undefined;
  private extendedBytes = 0;

  constructor(private readonly handler: TarHandler, private readonly caps: TarParseCaps) {}

  /** True once the end-of-archive block was read: what follows is not parsed. */
  get done(): boolean {
    return this.state === State.Done;
  }

  /** Parses one chunk of the archive, calling the handler for what it completes. */
  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.state !== State.Done) {
      if (this.state === State.Header) pos = this.headerFrom(chunk, pos);
      else pos = this.bodyFrom(chunk, pos);
    }
  }

  /** The input is complete: fails if it stops inside an entry or holds no archive. */
  end(): void {
    if (this.state === State.Done) return;
    if (this.blocks === 0) throw badArchive('Unrecognized archive format (less than one block)');
    if (this.state !== State.Header) throw badArchive(`truncated input (${this.remain + this.pad} more bytes of an entry expected)`);
    if (this.block.subarray(0, this.held).some((x) => x !== 0)) throw badArchive(`truncated input (a header of ${this.held} bytes)`);
  }

  private headerFrom(chunk: Buffer, pos: number): number {
    if (this.held === 0 && chunk.length - pos >= BLOCK) {
      this.header(chunk, pos);
      return pos + BLOCK;
    }
    const n = Math.min(BLOCK - this.held, chunk.length - pos);
    chunk.copy(this.block, this.held, pos, pos + n);
    this.held += n;
    if (this.held === BLOCK) {
      this.held = 0;
      this.header(this.block, 0);
    }
    return pos + n;
  }

  private bodyFrom(chunk: Buffer, pos: number): number {
    if (this.remain > 0) {
      const n = Math.min(this.remain, chunk.length - pos);
      if (this.state === State.Meta) chunk.copy(this.metaBody, this.metaLen, pos, pos + n);
      else this.handler.body(n === chunk.length ? chunk : chunk.subarray(pos, pos + n));
      this.metaLen += n;
      this.remain -= n;
      pos += n;
      if (this.remain > 0) return pos;
    }
    const p = Math.min(this.pad, chunk.length - pos);
    this.pad -= p;
    if (this.pad === 0) this.bodyEnd();
    return pos + p;
  }

  private bodyEnd(): void {
    const meta = this.state === State.Meta;
    this.state = State.Header;
    if (meta) this.applyMeta(this.metaBody);
    else this.handler.entryEnd();
  }

  private header(b: Buffer, off: number): void {
    this.blocks += 1;
    const sum = checksum(b, off);
    if (sum === 'end') {
      this.state = State.Done; // the first end block ends the archive, as for bsdtar and node-tar
      return;
    }
    if (sum === 'bad') throw badArchive('checksum failure (a damaged header, or no tar header at all)');
    const size = number(b, off + 124, 12);
    if (size < 0) throw badArchive('entry size field does not parse');
    const type = b[off + 156] === 0 ? '0' : String.fromCharCode(b[off + 156]!);
    const meta = METAS[type];
    if (meta !== undefined) this.startMeta(meta, size);
    else this.startEntry(b, off, type, size);
  }

  private startMeta(meta: Meta, size: number): void {
    if (size > this.caps.extendedHeaderBytes) throw badArchive(`extended header of ${size} bytes is too large`);
    this.extendedBytes += BLOCK + padded(size);
    if (this.extendedBytes > this.caps.extendedHeadersBytes) {
      throw badArchive(`more than ${this.caps.extendedHeadersBytes} bytes of extended headers before one entry`);
    }
    // Readers disagree on which of two names wins, and on a GNU long name after a PAX header.
    if (meta === 'pax' && this.pax !== undefined) throw badArchive('two PAX headers for one entry');
    if (meta === 'longPath' || meta === 'longLink') {
      if ((meta === 'longPath' ? this.longPath : this.longLink) !== undefined) throw badArchive('two GNU long names for one entry');
      if (this.pax !== undefined) throw badArchive('a GNU long name after a PAX header');
    }
    this.meta = meta;
    this.metaBody = Buffer.allocUnsafe(size);
    this.metaLen = 0;
    this.remain = size;
    this.pad = padded(size) - size;
    if (size === 0) this.applyMeta(this.metaBody);
    else this.state = State.Meta;
  }

  /** An extended header's body: a NUL inside it (trailing NULs are padding) is refused. */
  private applyMeta(body: Buffer): void {
    let end = body.length;
    while (end > 0 && body[end - 1] === 0) end -= 1;
    if (body.subarray(0, end).includes(0)) {
      throw new OcipackError('UNSAFE', 'refusing entry name with a NUL byte in an extended header');
    }
    if (this.meta === 'longPath') this.longPath = body.toString('utf8', 0, end);
    else if (this.meta === 'longLink') this.longLink = body.toString('utf8', 0, end);
    else if (this.meta === 'pax') this.pax = paxRecords(body, end);
    else {
      const global = paxRecords(body, end); // GNU tar applies these to every entry after, bsdtar does not
      if (global.path !== undefined || global.linkpath !== undefined || global.size !== undefined) {
        throw badArchive('size or path in a global PAX header');
      }
    }
  }

  private startEntry(b: Buffer, off: number, type: string, headerSize: number): void {
    const pax = this.pax;
    const path = pax?.path ?? this.longPath ?? headerName(b, off);
    let kind: TarItemKind | undefined = KINDS[type];
    if (type === '0' && path.endsWith('/')) kind = 'dir'; // old tars marked directories so
    let size = pax?.size ?? headerSize;
    if (type === '5') {
      if (pax?.size) throw badArchive('directory entry with a body');
      size = 0; // writers put the directory's stat size here; it has no body
    }
    if (size > 0 && NO_BODY.has(kind)) throw badArchive(`${kind} entry with a body`);
    if (path === '') throw badArchive('entry without a name');
    const entry: TarEntry = { path, kind, type, mode: Math.max(leadingOctal(b, off + 100, 8), 0) & 0o7777, size };
    if (kind === 'symlink' || kind === 'hardlink') {
      entry.linkpath = pax?.linkpath ?? this.longLink ?? cstring(b, off + 157, 100);
      if (entry.linkpath === '') throw badArchive(`${kind} entry without a target`);
    }
    this.pax = this.longPath = this.longLink = undefined;
    this.extendedBytes = 0;
    this.handler.entry(entry);
    this.remain = size;
    this.pad = padded(size) - size;
    if (size === 0) this.handler.entryEnd();
    else this.state = State.Body;
  }
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}
