import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { crc32, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { OcipackError } from '../../../../src/core/errors.js';
import { createParallelGzip, gzipHeader, type ParallelGzipOptions } from '../../../../src/artifact/tar/gzip.js';

/** Gzip `input`, written in pieces of the given sizes (cycled), and collect the output. */
async function gz(input: Buffer, opts: ParallelGzipOptions, pieces: number[] = [input.length || 1]): Promise<Buffer> {
  const parts: Buffer[] = [];
  let off = 0;
  for (let i = 0; off < input.length; i++) {
    const n = pieces[i % pieces.length]!;
    parts.push(input.subarray(off, off + n));
    off += n;
  }
  const out: Buffer[] = [];
  const sink = new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } });
  await pipeline(Readable.from(parts), createParallelGzip(opts), sink);
  return Buffer.concat(out);
}

/** YAML-ish text with enough repetition to compress, fixed for every run. */
function text(size: number): Buffer {
  const lines: string[] = [];
  let len = 0;
  for (let i = 0; len < size; i++) {
    const line = `  - name: item-${i % 97}\n    value: "${(i * 2654435761 % 100000).toString(36)}"\n`;
    lines.push(line);
    len += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

function noise(size: number): Buffer {
  return createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16)).update(Buffer.alloc(size));
}

const CHUNK = 4096;

describe('parallel gzip: valid single-stream gzip', () => {
  const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 5 * CHUNK + 17];
  for (const size of sizes) {
    it(`round-trips ${size} bytes of text and of noise`, async () => {
      for (const input of [text(size), noise(size)]) {
        const out = await gz(input, { chunkBytes: CHUNK });
        assert.deepEqual(gunzipSync(out), input);
      }
    });
  }

  it('writes the fixed header and a trailer with CRC-32 and ISIZE', async () => {
    const input = text(3 * CHUNK + 5);
    const out = await gz(input, { chunkBytes: CHUNK });
    assert.deepEqual(out.subarray(0, 10), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]));
    assert.equal(out.readUInt32LE(out.length - 8), crc32(input));
    assert.equal(out.readUInt32LE(out.length - 4), input.length);
  });

  it('is one deflate stream: BFINAL only at the very end (no concatenated members)', async () => {
    const input = text(7 * CHUNK + 100);
    const out = await gz(input, { chunkBytes: CHUNK });
    const body = out.subarray(10, out.length - 8);
    const { buffer, engine } = inflateRawSync(body, { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    assert.deepEqual(buffer, input);
    assert.equal(engine.bytesWritten, body.length);
  });

  it('sets XFL as zlib does for levels 1 and 9', () => {
    assert.equal(gzipHeader(1)[8], 4);
    assert.equal(gzipHeader(9)[8], 2);
    assert.equal(gzipHeader(6)[8], 0);
  });
});

describe('parallel gzip: deterministic', () => {
  it('gives the same bytes whatever the concurrency and however the input is split', async () => {
    const input = Buffer.concat([text(9 * CHUNK + 123), noise(2 * CHUNK + 7), text(CHUNK)]);
    const ref = await gz(input, { chunkBytes: CHUNK, concurrency: 1 });
    for (const concurrency of [2, 3, 8, 64]) {
      for (const pieces of [[1], [CHUNK], [CHUNK + 1], [7, 5000, 3, 12000], [input.length]]) {
        if (pieces[0] === 1 && concurrency > 2) continue; // byte-by-byte once is enough
        const out = await gz(input, { chunkBytes: CHUNK, concurrency }, pieces);
        assert.ok(out.equals(ref), `concurrency ${concurrency}, pieces ${pieces.join(',')}`);
      }
    }
  });

  it('keeps the ratio of one stream: each chunk is primed with the previous 32 KiB', async () => {
    const input = text(2 * 1024 * 1024);
    const single = gzipSync(input, { level: 6 }).length;
    // Small chunks make the priming visible: without it this input grows by about 12 %, with it by under 2 %.
    const parallel = (await gz(input, { chunkBytes: 16 * 1024 })).length;
    assert.ok(parallel <= single * 1.03, `parallel ${parallel} vs single ${single}`);
  });

  it('with the default chunk size, a 3 MiB input is the same bytes for 1 or 4 workers', async () => {
    const input = text(3 * 1024 * 1024 + 11);
    const a = await gz(input, { concurrency: 1 });
    const b = await gz(input, { concurrency: 4 }, [65536]);
    assert.ok(a.equals(b));
    assert.deepEqual(gunzipSync(a), input);
  });
});

describe('parallel gzip: bad options', () => {
  for (const opts of [{ level: 0 }, { level: 10 }, { level: 1.5 }, { chunkBytes: 0 }, { chunkBytes: -1 }]) {
    it(`rejects ${JSON.stringify(opts)}`, () => {
      assert.throws(() => createParallelGzip(opts), (e: unknown) => e instanceof OcipackError && e.code === 'USAGE');
    });
  }
});
