import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAll, writeFileAtomic } from '../../../src/core/files.js';

/** A handle whose writev takes at most `most` bytes from at most two buffers, as a short write would. */
function shortWriter(most: number) {
  const written: Buffer[] = [];
  let calls = 0;
  return {
    written,
    calls: () => calls,
    async writev(bufs: readonly NodeJS.ArrayBufferView[]) {
      calls += 1;
      let room = most;
      for (const b of bufs.slice(0, 2) as Buffer[]) {
        const part = b.subarray(0, room);
        written.push(Buffer.from(part));
        room -= part.length;
        if (room === 0) break;
      }
      return { bytesWritten: most - room, buffers: bufs };
    },
  };
}

test('writeAll goes on after short writes until every byte is out, in order', async () => {
  const bufs = [Buffer.from('abcdefg'), Buffer.from('hi'), Buffer.from(''), Buffer.from('jklmnopqrstu')];
  const h = shortWriter(5);
  await writeAll(h as never, bufs, 21);
  assert.equal(Buffer.concat(h.written).toString(), 'abcdefghijklmnopqrstu');
  assert.equal(h.calls(), 5);
});

test('writeAll fails instead of spinning when a write makes no progress', async () => {
  await assert.rejects(writeAll(shortWriter(0) as never, [Buffer.from('x')], 1), /no progress/);
});

test('writeFileAtomic of many small chunks writes them in order and leaves no temp file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-files-'));
  const parts = Array.from({ length: 3000 }, (_, i) => Buffer.from(`${i},`.padEnd(700, '.')));
  async function* source() {
    yield* parts;
  }
  await writeFileAtomic(join(dir, 'out'), source());
  assert.deepEqual(await readFile(join(dir, 'out')), Buffer.concat(parts));
  assert.deepEqual(await readdir(dir), ['out']);
});
