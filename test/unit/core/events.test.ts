import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heldEvents, type ProgressEvent } from '../../../src/core/events.js';

test('heldEvents keeps events until release, then passes them on in order, and later ones at once', () => {
  const seen: ProgressEvent[] = [];
  const held = heldEvents((e) => seen.push(e));
  held.emit({ type: 'info', message: 'one' });
  held.emit({ type: 'info', message: 'two' });
  assert.deepEqual(seen, []);
  held.release();
  assert.deepEqual(seen.map((e) => (e as { message: string }).message), ['one', 'two']);
  held.emit({ type: 'info', message: 'three' });
  assert.equal(seen.length, 3);
  held.release();
  assert.equal(seen.length, 3, 'a second release repeats nothing');
});
