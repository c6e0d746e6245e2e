import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareTrees, type SideEntry } from '../../../src/usecases/diff.js';

const file = (sha256: string, exec = false): SideEntry => ({ type: 'file', sha256, exec });
const dir: SideEntry = { type: 'dir' };

test('compareTrees: added, removed, changed by content, mode and type; sorted by path', () => {
  const local = new Map<string, SideEntry>([
    ['same', file('1')],
    ['content', file('2')],
    ['mode', file('3', true)],
    ['only-local', file('4')],
    ['file-now-dir', dir],
    ['dir-now-file', file('5')],
    ['empty-dir', dir],
    ['b/nested', file('6')],
    ['b', dir],
  ]);
  const remote = new Map<string, SideEntry>([
    ['same', file('1')],
    ['content', file('x')],
    ['mode', file('3', false)],
    ['only-remote', file('7')],
    ['file-now-dir', file('8')],
    ['dir-now-file', dir],
    ['remote-empty-dir', dir],
    ['b', dir],
  ]);
  assert.deepEqual(compareTrees(local, remote), [
    { status: 'added', path: 'b/nested' },
    { status: 'changed', path: 'content', reason: 'content' },
    { status: 'changed', path: 'dir-now-file', reason: 'type' },
    { status: 'changed', path: 'file-now-dir', reason: 'type' },
    { status: 'changed', path: 'mode', reason: 'mode' },
    { status: 'added', path: 'only-local' },
    { status: 'removed', path: 'only-remote' },
  ]);
});

test('compareTrees: identical and empty trees have no changes; byte order, not locale order', () => {
  assert.deepEqual(compareTrees(new Map(), new Map()), []);
  const t = new Map<string, SideEntry>([['a', file('1')]]);
  assert.deepEqual(compareTrees(t, new Map(t)), []);
  const paths = compareTrees(new Map([['b', file('1')], ['B', file('1')], ['a', file('1')], ['é', file('1')]]), new Map()).map((c) => c.path);
  assert.deepEqual(paths, ['B', 'a', 'b', 'é']);
});
