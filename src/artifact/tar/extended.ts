/**
 * The extended headers (PAX, GNU long names) of an untrusted tar, checked for hidden NULs: node-tar 8
 * applies them without showing them and cuts a name at its first NUL, where other readers keep what follows.
 */
import { Header } from 'tar';
import { OcipackError } from '../../core/errors.js';

/** tar's record unit (POSIX ustar): every header and padded body is a multiple of it. */
export const BLOCK = 512;
/** The header types node-tar reads as PAX headers and GNU long names, never reporting them. */
const EXTENDED = new Set(['ExtendedHeader', 'OldExtendedHeader', 'GlobalExtendedHeader', 'NextFileHasLongPath', 'NextFileHasLongLinkpath']);

/** The error for a tar node-tar or these checks refuse. */
export function badArchive(message: string): OcipackError {
  return new OcipackError('BAD_INPUT', `invalid tar archive: ${message}`);
}

/**
 * node-tar 8 applies PAX headers and GNU long names without showing them, cutting a name at its first
 * NUL (other readers keep what follows, so one archive would name different files). The input between
 * one entry's body and the next entry's header can only hold such headers (anything else made the
 * parser warn, which stops the read): it is kept, a bounded amount, and checked when the entry comes.
 */
export class ExtendedScan {
  private chunks: Buffer[] = [];
  private start = 0; // input offset of chunks[0]
  private end = 0; // input offset after the last chunk
  private from = 0; // where the input between entries begins

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.end += chunk.length;
    this.trim();
  }

  /** The parser reported an entry whose header starts at `header` and whose padded body ends at `next`. */
  entry(header: number, next: number): void {
    if (header > this.from) checkExtended(this.slice(this.from, header));
    this.from = next;
    this.trim();
  }

  /** Between entries, once the parser has read all input so far: the headers held stay under the cap. */
  bound(): void {
    if (this.end - this.from > this.cap) throw badArchive(`more than ${this.cap} bytes of extended headers before one entry`);
  }

  private trim(): void {
    for (let c = this.chunks[0]; c !== undefined && this.start + c.length <= this.from; c = this.chunks[0]) {
      this.start += c.length;
      this.chunks.shift();
    }
  }

  private slice(from: number, to: number): Buffer {
    const parts: Buffer[] = [];
    let at = this.start;
    for (const c of this.chunks) {
      const lo = Math.max(from - at, 0);
      const hi = Math.min(to - at, c.length);
      if (hi > lo) parts.push(c.subarray(lo, hi));
      at += c.length;
    }
    return Buffer.concat(parts);
  }
}

/** Walks the extended headers before one entry: a NUL inside one (trailing NULs are padding) is refused. */
function checkExtended(region: Buffer): void {
  for (let at = 0; at < region.length; ) {
    const header = at + BLOCK <= region.length ? new Header(region, at) : undefined;
    const size = header?.size ?? -1;
    const next = at + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (header === undefined || !EXTENDED.has(header.type) || size < 0 || next > region.length) {
      throw badArchive('unexpected data between entries');
    }
    const body = region.subarray(at + BLOCK, at + BLOCK + size);
    let last = body.length;
    while (last > 0 && body[last - 1] === 0) last -= 1;
    if (body.subarray(0, last).includes(0)) {
      throw new OcipackError('UNSAFE', 'refusing entry name with a NUL byte in an extended header');
    }
    at = next;
  }
}

