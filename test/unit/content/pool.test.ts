import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settleAll } from '../../../src/content/pool.js';

const later = <T>(ms: number, fn: () => T): Promise<T> => new Promise((resolve, reject) => setTimeout(() => {
  try {
    resolve(fn());
  } catch (err) {
    reject(err);
  }
}, ms));

/** One turn of the event loop: lets settled promises run their handlers (setImmediate is not mocked). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('settleAll', () => {
  it('resolves when every task did', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const done: number[] = [];
    const all = settleAll([later(20, () => done.push(1)), later(5, () => done.push(2)), Promise.resolve()]);
    t.mock.timers.tick(20);
    await all;
    assert.deepEqual(done, [2, 1]);
  });

  it('waits for the slow task before throwing the first failure in the given order', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let slowFinished = false;
    let settled = false;
    const all = settleAll([
      later(30, () => { slowFinished = true; }),
      later(10, () => { throw new Error('second'); }),
      later(1, () => { throw new Error('third'); }),
    ]);
    all.then(() => { settled = true; }, () => { settled = true; });
    t.mock.timers.tick(10);
    await turn();
    assert.equal(settled, false, 'two tasks failed, the slow one still runs: not settled yet');
    t.mock.timers.tick(20);
    await assert.rejects(all, /second/);
    assert.equal(slowFinished, true);
  });
});
