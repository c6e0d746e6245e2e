/**
 * The fields of an untrusted tar header block and of a PAX extended header, decoded for parse.ts:
 * POSIX pax(1) "ustar Interchange Format" and "pax Extended Header", with GNU base-256 numbers.
 * Anything that does not decode is an error here, never a guess.
 */
import { OcipackError } from '../../core/errors.js';

/** The error for a tar these checks refuse. */
export function badArchive(message: string): OcipackError {
  return new OcipackError('BAD_INPUT', `invalid tar archive: ${message}`);
}

const SPACE = 0x20;
const CHECKSUM = 148;

/** The text of a NUL-terminated field (the whole field when it has no NUL). */
export function cstring(b: Buffer, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end += 1;
  return end === off ? '' : b.toString('utf8', off, end);
}

/**
 * A numeric field: octal digits between spaces or NULs (empty is 0), or GNU base-256 when the first
 * byte has its high bit set. -1 when it does not parse, is negative or is past 2^53.
 */
export function number(b: Buffer, off: number, len: number): number {
  if ((b[off]! & 0x80) !== 0) return base256(b, off, len);
  let from = off;
  let to = off + len;
  while (from < to && (b[from] === SPACE || b[from] === 0)) from += 1;
  while (to > from && (b[to - 1] === SPACE || b[to - 1] === 0)) to -= 1;
  let v = 0;
  for (let i = from; i < to; i += 1) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 7) return -1;
    v = v * 8 + d;
  }
  return v;
}

/** GNU's base-256: the bits after the first byte's marker bit, big-endian; a set sign bit is negative. */
function base256(b: Buffer, off: number, len: number): number {
  if ((b[off]! & 0x40) !== 0) return -1;
  let v = b[off]! & 0x3f;
  for (let i = off + 1; i < off + len; i += 1) v = v * 256 + b[i]!;
  return Number.isSafeInteger(v) ? v : -1;
}

/** The leading octal digits of a field after spaces, as tar readers take a mode or a checksum; -1: none. */
export function leadingOctal(b: Buffer, off: number, len: number): number {
  let i = off;
  while (i < off + len && b[i] === SPACE) i += 1;
  let v = -1;
  for (; i < off + len && b[i]! >= 0x30 && b[i]! <= 0x37; i += 1) v = (v < 0 ? 0 : v * 8) + b[i]! - 0x30;
  return v;
}

/**
 * The header's checksum check: 'end' for an end-of-archive block (all zeros, no checksum), 'ok' when
 * the field holds the sum of the bytes with the field read as spaces, unsigned or signed (old writers).
 */
export function checksum(b: Buffer, off: number): 'ok' | 'bad' | 'end' {
  let unsigned = 0;
  let signed = 0;
  for (let i = off; i < off + 512; i += 1) {
    if (i === off + CHECKSUM) i += 8;
    const x = b[i]!;
    unsigned += x;
    signed += (x << 24) >> 24;
  }
  const field = leadingOctal(b, off + CHECKSUM, 8);
  if (unsigned === 0 && field < 0) return 'end';
  return field === unsigned + 8 * SPACE || field === signed + 8 * SPACE ? 'ok' : 'bad';
}

/** The name of a header: its name field, after its prefix field when the header is POSIX ustar. */
export function headerName(b: Buffer, off: number): string {
  const name = cstring(b, off, 100);
  if (!isUstar(b, off)) return name;
  const prefix = cstring(b, off + 345, 155);
  return prefix === '' ? name : `${prefix}/${name}`;
}

/** "ustar\0" then version "00": POSIX ustar (GNU's "ustar  \0" has no prefix field). */
function isUstar(b: Buffer, off: number): boolean {
  const m = off + 257;
  return b[m] === 0x75 && b[m + 1] === 0x73 && b[m + 2] === 0x74 && b[m + 3] === 0x61 && b[m + 4] === 0x72 &&
    b[m + 5] === 0 && b[m + 6] === 0x30 && b[m + 7] === 0x30;
}

/** What a PAX header says about the next entry (the only keys that change what is extracted). */
export interface PaxFields {
  path?: string;
  linkpath?: string;
  size?: number;
}

/**
 * The records "<length> <key>=<value>\n" of a PAX header's body (its first `end` bytes: NUL padding
 * cut off by the caller), each read by its length, which must land on its newline.
 */
export function paxRecords(body: Buffer, end: number): PaxFields {
  const out: PaxFields = {};
  for (let at = 0; at < end; ) {
    let sp = at;
    while (sp < end && sp - at < 16 && body[sp]! >= 0x30 && body[sp]! <= 0x39) sp += 1;
    const next = at + Number(body.toString('latin1', at, sp));
    if (sp === at || body[sp] !== SPACE || !(next > sp + 1) || next > end || body[next - 1] !== 0x0a) {
      throw badArchive('invalid PAX record (its length does not end at its newline)');
    }
    const eq = body.indexOf(0x3d, sp + 1);
    if (eq < 0 || eq >= next - 1) throw badArchive('invalid PAX record (no "=")');
    record(out, body.toString('utf8', sp + 1, eq), body, eq + 1, next - 1);
    at = next;
  }
  return out;
}

function record(out: PaxFields, key: string, body: Buffer, from: number, to: number): void {
  if (key === 'path') out.path = body.toString('utf8', from, to);
  else if (key === 'linkpath') out.linkpath = body.toString('utf8', from, to);
  else if (key === 'size') {
    const text = body.toString('latin1', from, to);
    const size = /^\d{1,16}$/.test(text) ? Number(text) : -1;
    if (!Number.isSafeInteger(size) || size < 0) throw badArchive(`invalid PAX size ${JSON.stringify(text)}`);
    out.size = size;
  }
}
