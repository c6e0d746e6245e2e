import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OcipackError } from '../../../../src/core/errors.js';
import { TarParser, type TarEntry } from '../../../../src/artifact/tar/parse.js';
import { buildTar, file, paxRecord, type RawEntry } from '../../../helpers/tarbuilder.js';

const CAPS = { extendedHeaderBytes: 4096, extendedHeadersBytes: 3 * 4096 };
const CHUNKS = [1, 7, 511, 512, 1 << 20];

interface Parsed {
  entries: Array<Omit<TarEntry, 'kind'> & { kind: string; body: string }>;
  done: boolean;
}

/** Parses `bytes` fed in chunks of `size`, every body chunk kept as given. */
function parse(bytes: Buffer, size: number): Parsed {
  const entries: Parsed['entries'] = [];
  let open = false;
  const parser = new TarParser({
    entry: (e) => {
      assert.equal(open, false, 'an entry starts before the last one ended');
      open = true;
      entries.push({ ...e, kind: e.kind ?? 'unknown', body: '' });
    },
    body: (c) => void (entries.at(-1)!.body += c.toString('latin1')),
    entryEnd: () => void (open = false),
  }, CAPS);
  for (let at = 0; at < bytes.length; at += size) parser.write(bytes.subarray(at, at + size));
  parser.end();
  assert.equal(open, false, 'the last entry never ended');
  return { entries, done: parser.done };
}

/** The same result for every way of cutting the input. */
function parseAll(bytes: Buffer): Parsed {
  const first = parse(bytes, CHUNKS[0]!);
  for (const size of CHUNKS.slice(1)) assert.deepEqual(parse(bytes, size), first, `chunks of ${size}`);
  return first;
}

function refuses(bytes: Buffer, code: string, message: RegExp): void {
  for (const size of CHUNKS) {
    assert.throws(() => parse(bytes, size), (err) => {
      assert.ok(err instanceof OcipackError, String(err));
      assert.equal(err.code, code, err.message);
      assert.match(err.message, message);
      return true;
    }, `chunks of ${size}`);
  }
}

/** `bytes` with header block `block` changed by `edit`, its checksum made right again (unsigned, or signed). */
function patched(bytes: Buffer, block: number, edit: (h: Buffer) => void, signed = false): Buffer {
  const out = Buffer.from(bytes);
  const h = out.subarray(block * 512, block * 512 + 512);
  edit(h);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of h) sum += signed ? (x << 24) >> 24 : x;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return out;
}

const paths = (p: Parsed): string[] => p.entries.map((e) => e.path);

describe('TarParser: headers', () => {
  it('reads a ustar file with its body, and stops at the first end block', () => {
    const bytes = Buffer.concat([buildTar([file('a', 'x'.repeat(700)), file('b', '')]), buildTar([file('hidden', 'h')])]);
    const p = parseAll(bytes);
    assert.deepEqual(p.entries.map((e) => [e.path, e.kind, e.size, e.mode, e.body.length]), [['a', 'file', 700, 0o644, 700], ['b', 'file', 0, 0o644, 0]]);
    assert.equal(p.done, true);
  });

  it('a size in GNU base-256 (past 8 GiB in real archives); a negative one is refused', () => {
    const plain = buildTar([file('big', 'abc')]);
    const base256 = patched(plain, 0, (h) => { h.fill(0, 124, 136); h[124] = 0x80; h[135] = 3; });
    assert.deepEqual(parseAll(base256).entries.map((e) => [e.size, e.body]), [[3, 'abc']]);
    const negative = patched(plain, 0, (h) => { h.fill(0xff, 124, 136); });
    refuses(negative, 'BAD_INPUT', /^invalid tar archive: entry size field does not parse$/);
  });

  it('a size field that does not parse is refused; spaces and NULs around octal digits are fine', () => {
    const plain = buildTar([file('a', 'abc')]);
    refuses(patched(plain, 0, (h) => h.write('0000000003x\0', 124, 'latin1')), 'BAD_INPUT', /entry size field does not parse/);
    refuses(patched(plain, 0, (h) => h.write('00000\x0000003', 124, 'latin1')), 'BAD_INPUT', /entry size field does not parse/);
    assert.equal(parseAll(patched(plain, 0, (h) => h.write('  3 \0\0\0\0\0\0\0\0', 124, 'latin1'))).entries[0]!.body, 'abc');
  });

  it('the ustar prefix field goes before the name; a GNU header has no prefix field', () => {
    const bytes = buildTar([{ ...file('name.yaml', 'x'), prefix: 'some/dir' }]);
    assert.deepEqual(paths(parseAll(bytes)), ['some/dir/name.yaml']);
    const gnu = patched(bytes, 0, (h) => h.write('ustar  \0', 257, 'latin1'));
    assert.deepEqual(paths(parseAll(gnu)), ['name.yaml']);
  });

  it('old v7 headers: no magic, a NUL typeflag is a file, a name ending in / a directory (without a body)', () => {
    const v7 = (e: RawEntry): Buffer => patched(buildTar([e]), 0, (h) => { h.fill(0, 257, 265); h[156] = 0; });
    assert.deepEqual(parseAll(v7({ ...file('a', 'hi'), prefix: 'not/a/prefix' })).entries.map((e) => [e.path, e.kind, e.body]), [['a', 'file', 'hi']]);
    assert.deepEqual(parseAll(v7(file('d/'))).entries.map((e) => [e.path, e.kind]), [['d/', 'dir']]);
    const dirSize = buildTar([{ name: 'd/', type: '5', size: 4096 }, file('a', 'x')]);
    assert.deepEqual(parseAll(dirSize).entries.map((e) => [e.path, e.size]), [['d/', 0], ['a', 1]]);
  });

  it('accepts an unsigned or a signed checksum, refuses a wrong one and a block of garbage', () => {
    const name = Buffer.from('caf\u00e9', 'latin1'); // a byte past 127: the two sums differ
    const plain = buildTar([file('a', 'x')]);
    for (const signed of [false, true]) {
      assert.deepEqual(parseAll(patched(plain, 0, (h) => name.copy(h, 0), signed)).entries.length, 1);
    }
    refuses(buildTar([{ ...file('a', 'x'), badChecksum: true }]), 'BAD_INPUT', /^invalid tar archive: checksum failure/);
    refuses(Buffer.concat([buildTar([file('a', 'x')], { end: false }), Buffer.alloc(1024, 'garbage ')]), 'BAD_INPUT', /checksum failure/);
  });

  it('links name their target (from the header, a PAX record or a GNU long link); bodies and missing targets are refused', () => {
    const long = 't/'.repeat(80);
    const bytes = buildTar([
      { name: 's', type: '2', linkname: 'target' },
      { name: 'h', type: '1', linkname: 'short', pax: { linkpath: long } },
      { ...file('f', 'x'), linkname: 'ignored' },
    ]);
    assert.deepEqual(parseAll(bytes).entries.map((e) => [e.kind, e.linkpath]), [['symlink', 'target'], ['hardlink', long], ['file', undefined]]);
    refuses(buildTar([{ name: 'l', type: '2', linkname: 'a', body: 'abc' }]), 'BAD_INPUT', /^invalid tar archive: symlink entry with a body$/);
    refuses(buildTar([{ name: 'l', type: '2' }]), 'BAD_INPUT', /symlink entry without a target/);
    refuses(buildTar([file('', 'x')]), 'BAD_INPUT', /entry without a name/);
  });

  it('an unknown type is an entry of no kind, its body skipped past', () => {
    const p = parseAll(buildTar([{ name: 'w', type: 'Z', body: 'z'.repeat(600) }, file('b', 'y')]));
    assert.deepEqual(p.entries.map((e) => [e.path, e.kind, e.type]), [['w', 'unknown', 'Z'], ['b', 'file', '0']]);
  });
});

describe('TarParser: extended headers', () => {
  const long = `${'d'.repeat(150)}/${'f'.repeat(150)}`;

  it('a PAX path and size override the header; a GNU long name gives the name; a PAX path wins over it', () => {
    const bytes = buildTar([
      { ...file('short', 'abcd'), size: 0, pax: { path: long, size: '4', comment: 'x=y' } },
      { ...file('cut', 'x'), gnuLongName: `${long}2\0` },
      { ...file('cut', 'x'), gnuLongName: 'gnu', pax: { path: 'pax' } },
    ]);
    assert.deepEqual(parseAll(bytes).entries.map((e) => [e.path, e.body]), [[long, 'abcd'], [`${long}2`, 'x'], ['pax', 'x']]);
  });

  it('a PAX header applies to one entry only; a global one to none (path or size in it is refused)', () => {
    const bytes = buildTar([
      { name: 'g', type: 'g', body: paxRecord('comment', Buffer.from('all')) },
      { ...file('a', 'x'), pax: { path: 'renamed' } },
      file('b', 'y'),
    ]);
    assert.deepEqual(paths(parseAll(bytes)), ['renamed', 'b']);
    refuses(buildTar([{ name: 'g', type: 'g', body: paxRecord('path', Buffer.from('p')) }, file('a', 'x')]), 'BAD_INPUT', /size or path in a global PAX header/);
  });

  it('refuses a PAX record whose length lies, one without "=", and a size that is not a number', () => {
    for (const raw of ['99 path=abc\n', '5 path=abc\n', '12 path=abc\n0', 'x path=abc\n']) {
      refuses(buildTar([{ ...file('a', 'x'), paxRaw: Buffer.from(raw) }]), 'BAD_INPUT', /^invalid tar archive: invalid PAX record \(its length/);
    }
    refuses(buildTar([{ ...file('a', 'x'), paxRaw: Buffer.from('9 pathab\n') }]), 'BAD_INPUT', /invalid PAX record \(no "="\)/);
    refuses(buildTar([{ ...file('a', 'x'), pax: { size: '1x' } }]), 'BAD_INPUT', /invalid PAX size "1x"/);
  });

  it('refuses a NUL inside a PAX value, between PAX records or in a GNU long name; NUL padding after them is fine', () => {
    const hostile: RawEntry[] = [
      { ...file('a', 'x'), pax: { path: Buffer.from('ok\0/../../evil') } },
      { ...file('a', 'x'), paxRaw: Buffer.concat([paxRecord('path', Buffer.from('ok')), Buffer.from([0]), paxRecord('path', Buffer.from('../evil'))]) },
      { ...file('a', 'x'), gnuLongName: Buffer.from('ok\0../../evil\0') },
      { name: 'g', type: 'g', body: Buffer.from('ok\0evil') },
    ];
    for (const e of hostile) refuses(buildTar([e, file('b', 'y')]), 'UNSAFE', /NUL byte in an extended header/);
    const padded = buildTar([{ ...file('a', 'x'), paxRaw: Buffer.concat([paxRecord('path', Buffer.from('p')), Buffer.alloc(9)]) }]);
    assert.deepEqual(paths(parseAll(padded)), ['p']);
  });

  it('refuses two PAX headers or two long names for one entry, and a long name after a PAX header', () => {
    const pax = (path: string): RawEntry => ({ name: 'P', type: 'x', body: paxRecord('path', Buffer.from(path)) });
    const gnu = (name: string): RawEntry => ({ name: '././@LongLink', type: 'L', body: name });
    refuses(buildTar([pax('p'), { ...file('a', 'x'), pax: { path: 'q' } }]), 'BAD_INPUT', /two PAX headers for one entry/);
    refuses(buildTar([gnu('p'), { ...file('a', 'x'), gnuLongName: 'q' }]), 'BAD_INPUT', /two GNU long names for one entry/);
    refuses(buildTar([pax('p'), gnu('q'), file('a', 'x')]), 'BAD_INPUT', /a GNU long name after a PAX header/);
  });

  it('caps one extended header, and all of them before one entry', () => {
    refuses(buildTar([{ ...file('a', 'x'), paxRaw: Buffer.from(`${'x'.repeat(4097)}\n`) }]), 'BAD_INPUT', /^invalid tar archive: extended header of 4098 bytes is too large$/);
    const global: RawEntry = { name: 'g', type: 'g', body: paxRecord('comment', Buffer.alloc(3000, 0x61)) };
    assert.deepEqual(paths(parseAll(buildTar([global, global, global, file('a', 'x'), global, file('b', 'y')]))), ['a', 'b']);
    refuses(buildTar([global, global, global, global, file('a', 'x')]), 'BAD_INPUT', /more than 12288 bytes of extended headers before one entry/);
  });
});

describe('TarParser: the end of the input', () => {
  it('an archive that ends without end blocks is complete at an entry boundary (as GNU tar and Go read it)', () => {
    const p = parseAll(buildTar([file('a', 'x'.repeat(513)), file('b', 'y')], { end: false }));
    assert.deepEqual(p.entries.map((e) => [e.path, e.body.length]), [['a', 513], ['b', 1]]);
    assert.equal(p.done, false);
  });

  it('an archive of one end block has no entries; less than one block is no archive', () => {
    assert.deepEqual(parseAll(Buffer.alloc(512)), { entries: [], done: true });
    refuses(Buffer.alloc(0), 'BAD_INPUT', /Unrecognized archive format/);
    refuses(Buffer.alloc(100), 'BAD_INPUT', /Unrecognized archive format/);
  });

  it('refuses input that stops inside a body, its padding or a header (zeros after the last entry are fine)', () => {
    const bytes = buildTar([file('a', 'x'.repeat(1000))], { end: false });
    refuses(bytes.subarray(0, 1000), 'BAD_INPUT', /^invalid tar archive: truncated input \(536 more bytes of an entry expected\)$/);
    refuses(bytes.subarray(0, 1500), 'BAD_INPUT', /truncated input \(36 more bytes/);
    refuses(Buffer.concat([bytes, buildTar([file('b', 'y')]).subarray(0, 300)]), 'BAD_INPUT', /truncated input \(a header of 300 bytes\)/);
    refuses(buildTar([{ ...file('a', 'x'), pax: { path: 'p' } }]).subarray(0, 700), 'BAD_INPUT', /truncated input/);
    assert.deepEqual(paths(parseAll(Buffer.concat([bytes, Buffer.alloc(300)]))), ['a']);
  });
});
