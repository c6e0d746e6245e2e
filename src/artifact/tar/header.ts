/**
 * Deterministic tar header blocks (POSIX ustar, plus a PAX extended header when a name or size does
 * not fit). SPEC §4: uid/gid 0, empty owner names, mtime 0, fixed modes. The layout follows POSIX
 * pax(1) "ustar Interchange Format"; numbers are zero-padded octal with a NUL, as Go's archive/tar
 * (which flux uses) writes them.
 */
export const BLOCK = 512;

/** Largest size a 12-byte octal field holds (8 GiB - 1). */
const MAX_OCTAL_SIZE = 0o77777777777;

export interface TarHeaderInput {
  /** Posix relative path; directories without the trailing slash. */
  path: string;
  type: 'file' | 'dir';
  mode: number;
  size: number;
}

/** Header bytes (one or three+ blocks) for an entry; PAX when the name is non-ASCII or too long. */
export function encodeHeader(entry: TarHeaderInput): Buffer {
  const name = entry.type === 'dir' ? `${entry.path}/` : entry.path;
  const size = entry.type === 'dir' ? 0 : entry.size;
  const records: Array<[string, string]> = [];
  let split = isAscii(name) ? splitUstarName(name) : undefined;
  if (split === undefined) {
    records.push(['path', name]);
    split = { prefix: '', name: asciiFallback(name) };
  }
  if (size > MAX_OCTAL_SIZE) records.push(['size', String(size)]);
  const main = ustarBlock({
    name: split.name,
    prefix: split.prefix,
    mode: entry.mode,
    size: size > MAX_OCTAL_SIZE ? 0 : size,
    typeflag: entry.type === 'dir' ? '5' : '0',
  });
  if (records.length === 0) return main;
  return Buffer.concat([paxBlocks(name, records), main]);
}

/** Zeros shared by the padding and the end marker: the callers copy them, never write into them. */
const ZEROS = Buffer.alloc(2 * BLOCK);

/** The end-of-archive marker: two zero blocks, no record padding (as Go's tar.Writer.Close). */
export function endOfArchive(): Buffer {
  return ZEROS;
}

/** Zero bytes that pad `size` bytes of content to a whole block (a read-only view: copy it). */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return ZEROS.subarray(0, rest === 0 ? 0 : BLOCK - rest);
}

interface UstarFields {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  typeflag: string;
}

/**
 * The fields every header shares (uid, gid, mtime, magic, device numbers, the checksum field as
 * spaces) and their byte sum: a header is this block plus the fields that vary, whose bytes are
 * added to the sum as they are written, so the checksum needs no pass over the block (20 000 small
 * files: a tenth of the header time).
 */
const TEMPLATE = (() => {
  const b = Buffer.alloc(BLOCK);
  writeOctal(b, 108, 8, 0); // uid
  writeOctal(b, 116, 8, 0); // gid
  writeOctal(b, 136, 12, 0); // mtime
  b.write('ustar\u000000', 257, 'latin1');
  writeOctal(b, 329, 8, 0); // devmajor
  writeOctal(b, 337, 8, 0); // devminor
  b.fill(0x20, 148, 156);
  return b;
})();
const TEMPLATE_SUM = TEMPLATE.reduce((n, byte) => n + byte, 0);

function ustarBlock(f: UstarFields): Buffer {
  const b = Buffer.allocUnsafe(BLOCK);
  TEMPLATE.copy(b);
  let sum = TEMPLATE_SUM;
  sum += writeString(b, 0, 100, f.name);
  sum += writeOctal(b, 100, 8, f.mode);
  sum += writeOctal(b, 124, 12, f.size);
  sum += writeLatin1(b, 156, f.typeflag);
  sum += writeString(b, 345, 155, f.prefix);
  writeLatin1(b, 148, `${sum.toString(8).padStart(6, '0')}\0 `);
  return b;
}

/** A PAX 'x' header plus its record blocks (pax(1) "pax Extended Header"). */
function paxBlocks(name: string, records: Array<[string, string]>): Buffer {
  const body = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
  const base = name.replace(/\/$/, '').split('/').pop() ?? '';
  const header = ustarBlock({
    name: `PaxHeaders/${asciiFallback(base)}`.slice(0, 100),
    prefix: '',
    mode: 0o644,
    size: body.length,
    typeflag: 'x',
  });
  return Buffer.concat([header, body, padding(body.length)]);
}

/** One "<len> key=value\n" record; len counts its own digits. */
export function paxRecord(key: string, value: string): Buffer {
  const rest = Buffer.byteLength(` ${key}=${value}\n`);
  let len = rest + 1;
  while (String(len).length + rest !== len) len = String(len).length + rest;
  return Buffer.from(`${len} ${key}=${value}\n`, 'utf8');
}

/**
 * Splits an ASCII name into ustar prefix (≤155 bytes) and name (≤100 bytes), or undefined when it
 * does not fit. Same choice as Go's archive/tar: the last '/' within the first 156 bytes (ignoring a
 * directory's trailing '/'); names of 100 bytes or less need no prefix.
 */
export function splitUstarName(name: string): { prefix: string; name: string } | undefined {
  if (name.length <= 100) return { prefix: '', name };
  let length = name.length;
  if (length > 156) length = 156;
  else if (name.endsWith('/')) length -= 1;
  const i = name.lastIndexOf('/', length - 1);
  const rest = name.length - i - 1;
  if (i <= 0 || rest > 100 || rest === 0 || i > 155) return undefined;
  return { prefix: name.slice(0, i), name: name.slice(i + 1) };
}

function isAscii(s: string): boolean {
  return /^[\x01-\x7f]*$/.test(s);
}

/** A printable ASCII stand-in for readers that ignore PAX (never used by PAX-aware readers). */
function asciiFallback(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '_').slice(0, 100);
}

/** Writes `s` (ASCII: the callers made it so) at `off` and returns the sum of its bytes. */
function writeLatin1(b: Buffer, off: number, s: string): number {
  b.write(s, off, 'latin1');
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s.charCodeAt(i);
  return sum;
}

/** A name field of the template (zeros after the string): ASCII, at most `len` bytes. */
function writeString(b: Buffer, off: number, len: number, s: string): number {
  if (s.length > len) throw new RangeError(`tar field overflow (${s.length} > ${len})`);
  return writeLatin1(b, off, s);
}

function writeOctal(b: Buffer, off: number, len: number, n: number): number {
  const digits = n.toString(8).padStart(len - 1, '0');
  if (digits.length > len - 1) throw new RangeError(`tar number overflow: ${n}`);
  return writeLatin1(b, off, `${digits}\0`);
}
