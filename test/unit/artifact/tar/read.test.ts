import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { OcipackError } from '../../../../src/core/errors.js';
import { DEFAULTS } from '../../../../src/core/defaults.js';
import { readTar, type ReadTarOptions } from '../../../../src/artifact/tar/read.js';
import { buildTar, file, paxRecord, type RawEntry } from '../../../helpers/tarbuilder.js';

/** `bytes` cut into pieces of `size` (1 puts every header and record boundary between two chunks). */
function pieces(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

interface Read {
  paths: string[];
  bodies: Record<string, string>;
  skipped: string[];
}

/** Reads `bytes` (in chunks of `chunk`) keeping every body chunk as given, to check they stay intact. */
async function read(bytes: Buffer, chunk = bytes.length || 1, opts: ReadTarOptions = {}): Promise<Read> {
  const r: Read = { paths: [], bodies: {}, skipped: [] };
  const kept: Array<[string, Buffer[]]> = [];
  await readTar(Readable.from(pieces(bytes, chunk)), (item) => {
    r.paths.push(item.path);
    if (item.kind !== 'file') return undefined;
    const chunks: Buffer[] = [];
    kept.push([item.path, chunks]);
    return { write: (c) => void chunks.push(c), end: () => {} };
  }, opts, (name) => r.skipped.push(name));
  for (const [path, chunks] of kept) r.bodies[path] = Buffer.concat(chunks).toString();
  return r;
}

function fails(code: string, message: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof OcipackError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  };
}

const NUL_GNU: RawEntry = { ...file('innocent', 'x'), gnuLongName: Buffer.from('ok\0../../evil\0') };
const NUL_PAX: RawEntry = { ...file('innocent', 'x'), pax: { path: Buffer.from('ok\0/../../evil') } };
const HIDDEN_RECORD: RawEntry = { ...file('innocent', 'x'), paxRaw: Buffer.concat([paxRecord('path', Buffer.from('ok')), Buffer.from([0]), paxRecord('path', Buffer.from('../evil'))]) };

describe('readTar: extended headers', () => {
  for (const chunk of [1, 7, 512, 100_000]) {
    it(`refuses a NUL inside a GNU long name, a PAX value or between PAX records before visiting the entry (chunks of ${chunk})`, async () => {
      for (const hostile of [NUL_GNU, NUL_PAX, HIDDEN_RECORD]) {
        const bytes = buildTar([file('first', 'a'.repeat(700)), hostile, file('after', 'z')]);
        const visited: string[] = [];
        await assert.rejects(readTar(Readable.from(pieces(bytes, chunk)), (item) => void visited.push(item.path)), fails('UNSAFE', /NUL byte in an extended header/));
        assert.deepEqual(visited, ['first']);
      }
    });
  }

  it('accepts NUL padding after a long name and after the last PAX record, and uses the names', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(130)}`;
    const padded: RawEntry[] = [
      { ...file('a', '1'), gnuLongName: Buffer.from(`${long}\0\0\0`) },
      { ...file('b', '2'), paxRaw: Buffer.concat([paxRecord('path', Buffer.from('from-pax')), Buffer.alloc(5)]) },
      { ...file('c', '3'), gnuLongName: `${long}-2\0`, pax: { mtime: '1' } },
    ];
    for (const chunk of [1, 513, 1 << 20]) {
      const r = await read(buildTar(padded), chunk);
      assert.deepEqual(r.paths, [long, 'from-pax', `${long}-2`]);
      assert.deepEqual(r.bodies, { [long]: '1', 'from-pax': '2', [`${long}-2`]: '3' });
    }
  });

  it('refuses one extended header larger than the cap, and too many of them before one entry', async () => {
    const huge = Buffer.from(`${'x'.repeat(DEFAULTS.caps.tarExtendedHeaderBytes + 10)}\n`);
    await assert.rejects(read(buildTar([{ ...file('a', 'x'), paxRaw: huge }])), fails('BAD_INPUT', new RegExp(`^invalid tar archive: extended header of ${huge.length} bytes is too large$`)));
    const global = buildTar([{ name: 'g', type: 'g', body: paxRecord('comment', Buffer.alloc(512 * 1024, 0x61)) }], { end: false });
    const many = Buffer.concat([...Array.from({ length: 12 }, () => global), buildTar([file('a', 'x')])]);
    await assert.rejects(read(many, 64 * 1024), fails('BAD_INPUT', /bytes of extended headers before one entry/));
    const few = Buffer.concat([global, buildTar([file('a', 'x')])]);
    assert.deepEqual((await read(few, 64 * 1024)).paths, ['a']);
  });

  it('a refusal of the parser is one invalid tar archive error naming what is wrong', async () => {
    const cases: Array<[RawEntry[], RegExp]> = [
      [[{ name: 'l', type: '2', linkname: 'a', body: 'abc' }], /^invalid tar archive: symlink entry with a body$/],
      [[{ ...file('p', 'x'), pax: { size: '1x' } }], /^invalid tar archive: invalid PAX size "1x"$/],
    ];
    for (const [entries, message] of cases) await assert.rejects(read(buildTar(entries)), fails('BAD_INPUT', message));
  });
});

describe('readTar: the end, odd types, chunks', () => {
  it('an archive of end blocks only is empty; no bytes or less than a block is not an archive', async () => {
    assert.deepEqual((await read(Buffer.alloc(512))).paths, []);
    assert.deepEqual((await read(Buffer.alloc(1024), 100)).paths, []);
    await assert.rejects(read(Buffer.alloc(0)), fails('BAD_INPUT', /Unrecognized archive format/));
    await assert.rejects(read(Buffer.alloc(100)), fails('BAD_INPUT', /Unrecognized archive format/));
  });

  it('nothing after the first end block is read (as bsdtar), but every byte counts against the layer cap', async () => {
    const head = buildTar([file('a', 'x')], { end: false });
    const hidden = Buffer.concat([head, Buffer.alloc(512), buildTar([file('b', 'y')])]);
    assert.deepEqual((await read(hidden, 300)).paths, ['a']);
    const padded = Buffer.concat([buildTar([file('a', 'x')]), Buffer.alloc(8192)]);
    await read(padded, 1000, { maxLayerBytes: padded.length });
    await assert.rejects(read(padded, 1000, { maxLayerBytes: padded.length - 1 }), fails('CAP', /layer exceeds/));
  });

  it('an unknown type is skipped, reported and counted as an entry', async () => {
    const bytes = buildTar([file('a', 'x'), { name: 'weird', type: 'Z', body: 'abc' }, file('b', 'y')]);
    const r = await read(bytes);
    assert.deepEqual(r.paths, ['a', 'b']);
    assert.deepEqual(r.skipped, ['weird']);
    await assert.rejects(read(bytes, 512, { maxEntries: 2 }), fails('CAP', /exceeds 2 entries/));
  });

  it('body chunks a sink keeps stay intact, however the input is cut', async () => {
    const entries = Array.from({ length: 300 }, (_, i) => file(`f/${i}.yaml`, `n: ${i}\n`.repeat(1 + (i % 90))));
    const bytes = buildTar(entries);
    for (const chunk of [13, 511, 4096, bytes.length]) {
      const r = await read(bytes, chunk);
      assert.equal(r.paths.length, 300);
      for (const [i, e] of entries.entries()) assert.equal(r.bodies[`f/${i}.yaml`], String(e.body), `entry ${i}, chunks of ${chunk}`);
    }
  });
});
