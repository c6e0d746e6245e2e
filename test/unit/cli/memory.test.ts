import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { capBufferGarbage, GarbageCap } from '../../../src/cli/memory.js';

const MiB = 1024 * 1024;

/** A model of a transfer: `live` bytes of Buffers always held, `perTick` new garbage between checks; a collection frees the garbage. */
function transfer(live: number, perTick: number, ticks: number, limit = 16 * MiB): { collections: number; peak: number } {
  let garbage = 0;
  let peak = 0;
  const cap = new GarbageCap(limit, () => live + garbage, () => () => void (garbage = 0));
  for (let i = 0; i < ticks; i++) {
    garbage += perTick;
    peak = Math.max(peak, live + garbage);
    cap.tick();
  }
  return { collections: cap.collections, peak };
}

describe('GarbageCap', () => {
  it('does not collect on every check when more than the limit stays live (a pull keeps ~20 MiB live)', () => {
    const { collections, peak } = transfer(20 * MiB, MiB, 200);
    assert.ok(collections <= 200 / 16 + 1, `${collections} collections for 200 MiB of garbage`);
    assert.ok(collections >= 200 / 17 - 1, `${collections} collections: the cap still collects`);
    assert.ok(peak <= 20 * MiB + 18 * MiB, `peak ${peak / MiB} MiB`); // the limit, plus one check of lag and the first reading
  });

  it('never collects when no new garbage appears, however much is live', () => {
    assert.equal(transfer(100 * MiB, 0, 100).collections, 0);
  });

  it('runs a full collection when the young one freed too little, and measures from what survived', () => {
    let held = 40 * MiB;
    const calls: string[] = [];
    const cap = new GarbageCap(16 * MiB, () => held, () => (o) => {
      calls.push(o?.type ?? 'full');
      if (o === undefined) held = 30 * MiB; // only a full collection frees anything
    });
    cap.tick(); // floor 40 MiB
    held = 60 * MiB;
    cap.tick();
    assert.deepEqual(calls, ['minor', 'full']);
    held = 45 * MiB; // 15 MiB above the 30 MiB that survived: under the limit
    cap.tick();
    assert.deepEqual(calls, ['minor', 'full']);
  });
});

describe('capBufferGarbage', () => {
  it('asks for the collector (a V8 flag set at run time: the code cache rejected from then on) only when a collection is due', () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    try {
      let held = 3 * MiB;
      let asked = 0;
      let collected = 0;
      const stop = capBufferGarbage(16 * MiB, 20, 100, () => held, () => {
        asked += 1;
        return () => void (collected += 1, held = 3 * MiB);
      });
      mock.timers.tick(1000); // a small push or pull: a few MiB of Buffers, never 16 MiB of garbage
      mock.timers.tick(200);
      assert.equal(asked, 0);
      held = 40 * MiB;
      mock.timers.tick(20);
      assert.deepEqual([asked, collected], [1, 1]);
      held = 40 * MiB;
      mock.timers.tick(20);
      assert.deepEqual([asked, collected], [1, 2], 'the collector is asked for once');
      stop();
    } finally {
      mock.timers.reset();
    }
  });

  it('a process without a collector: the cap stays off', () => {
    const cap = new GarbageCap(MiB, () => 10 * MiB, () => undefined);
    cap.tick();
    assert.equal(cap.collections, 0);
  });
});
