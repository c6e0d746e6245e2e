/**
 * A tiny, deliberately permissive tar writer for tests: it writes whatever it is told (any name
 * bytes, typeflag, link name, size, PAX records, GNU long names, broken checksums) so tests can
 * craft hostile archives instead of committing binaries.
 */
import { gzipSync } from 'node:zlib';

export interface RawEntry {
  /** Bytes of the 100-byte name field (longer input is cut). */
  name: string | Buffer;
  /** Bytes of the 155-byte ustar prefix field. */
  prefix?: string | Buffer;
  /** Typeflag character: '0' file, '1' hard link, '2' symlink, '3' char dev, '4' block dev, '5' dir, '6' FIFO… */
  type?: string;
  mode?: number;
  body?: string | Buffer;
  /** Size written in the header (defaults to the body length). */
  size?: number;
  linkname?: string | Buffer;
  /** PAX extended header records written before the entry ('x'). */
  pax?: Record<string, string | Buffer>;
  /** Raw PAX header body (when records must be malformed or huge). */
  paxRaw?: Buffer;
  /** GNU 'L' long name written before the entry; add a trailing NUL yourself if wanted. */
  gnuLongName?: string | Buffer;
  /** Corrupt the header checksum. */
  badChecksum?: boolean;
}

export interface BuildOptions {
  /** Write the two zero blocks at the end (default true). */
  end?: boolean;
}

const BLOCK = 512;

/** Concatenates raw entries into tar bytes. */
export function buildTar(entries: RawEntry[], opts: BuildOptions = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.gnuLongName !== undefined) {
      const long = toBuf(e.gnuLongName);
      parts.push(header({ name: '././@LongLink', type: 'L', size: long.length }), pad(long));
    }
    if (e.pax !== undefined || e.paxRaw !== undefined) {
      const body = e.paxRaw ?? Buffer.concat(Object.entries(e.pax ?? {}).map(([k, v]) => paxRecord(k, toBuf(v))));
      parts.push(header({ name: 'PaxHeader/x', type: 'x', size: body.length }), pad(body));
    }
    const body = e.body === undefined ? Buffer.alloc(0) : toBuf(e.body);
    parts.push(header({ ...e, size: e.size ?? body.length }), pad(body));
  }
  if (opts.end !== false) parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** buildTar, gzipped. */
export function buildTarGz(entries: RawEntry[], opts: BuildOptions = {}): Buffer {
  return gzipSync(buildTar(entries, opts));
}

/** A regular file entry. */
export function file(name: string, body: string | Buffer = '', mode = 0o644): RawEntry {
  return { name, body, mode, type: '0' };
}

/** A directory entry (name as given: add the trailing '/' yourself when wanted). */
export function dir(name: string, mode = 0o755): RawEntry {
  return { name, mode, type: '5' };
}

/** One PAX record "<len> key=value\n". */
export function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.byteLength(` ${key}=`) + value.length + 1;
  let len = rest + 1;
  while (String(len).length + rest !== len) len = String(len).length + rest;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from('\n')]);
}

function header(e: RawEntry & { size: number }): Buffer {
  const b = Buffer.alloc(BLOCK);
  toBuf(e.name).subarray(0, 100).copy(b, 0);
  octal(b, 100, 8, e.mode ?? 0o644);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, e.size);
  octal(b, 136, 12, 0);
  b.write(e.type ?? '0', 156, 'latin1');
  if (e.linkname !== undefined) toBuf(e.linkname).subarray(0, 100).copy(b, 157);
  b.write('ustar\u000000', 257, 'latin1');
  if (e.prefix !== undefined) toBuf(e.prefix).subarray(0, 155).copy(b, 345);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  if (e.badChecksum) sum += 1;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

function octal(b: Buffer, off: number, len: number, n: number): void {
  b.write(`${n.toString(8).padStart(len - 1, '0')}\0`, off, 'latin1');
}

function pad(body: Buffer): Buffer {
  const rest = body.length % BLOCK;
  return rest === 0 ? body : Buffer.concat([body, Buffer.alloc(BLOCK - rest)]);
}

function toBuf(v: string | Buffer): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}
