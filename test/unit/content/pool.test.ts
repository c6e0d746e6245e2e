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

describe('settleAll', () => {
  it('resolves when every task did', async () => {
    const done: number[] = [];
    await settleAll([later(20, () => done.push(1)), later(5, () => done.push(2)), Promise.resolve()]);
    assert.deepEqual(done.sort(), [1, 2]);
  });

  it('waits for the slow task before throwing the first failure in the given order', async () => {
    let slowFinished = false;
    const started = Date.now();
    await assert.rejects(
      settleAll([
        later(30, () => { slowFinished = true; }),
        later(10, () => { throw new Error('second'); }),
        later(1, () => { throw new Error('third'); }),
      ]),
      /second/,
    );
    assert.equal(slowFinished, true);
    assert.ok(Date.now() - started >= 25);
  });
});
