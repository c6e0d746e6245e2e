import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { compareTrees, keepBudget, pair, TreeSide, type SideEntry } from '../../../../src/artifact/diff/tree.js';
import { addPatches } from '../../../../src/artifact/diff/patch.js';
import type { TarListEntry } from '../../../../src/artifact/tar/hash.js';

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

const body = (s: string): Buffer => Buffer.from(s);
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const tarFile = (path: string, s: string): TarListEntry => ({ path, type: 'file', mode: 0o644, size: s.length, sha256: sha(s), body: body(s) });

test('TreeSide: a body whose twin (same path, same hash) is on the other side is dropped on both, whichever came first', () => {
  const budget = keepBudget(1000);
  const [a, b] = [new TreeSide(budget), new TreeSide(budget)];
  pair(a, b);
  a.add(tarFile('same', 'x'.repeat(10)));
  a.add(tarFile('changed', 'old'));
  assert.equal(budget.left, 1000 - 13);
  b.add(tarFile('same', 'x'.repeat(10)));
  b.add(tarFile('changed', 'new!'));
  b.add(tarFile('only-b', 'b'));
  assert.equal(a.entries.get('same')?.body, undefined, 'a released its body when b brought the same hash');
  assert.equal(b.entries.get('same')?.body, undefined);
  assert.equal(a.entries.get('changed')?.body?.toString(), 'old');
  assert.equal(b.entries.get('changed')?.body?.toString(), 'new!');
  assert.equal(budget.left, 1000 - 3 - 4 - 1);
  b.add({ path: 'link', type: 'other', mode: 0, size: 0 });
  b.add({ path: 'dir', type: 'dir', mode: 0o755, size: 0 });
  assert.deepEqual(b.skipped, ['link']);
  assert.deepEqual(b.entries.get('dir'), { type: 'dir' });
});

test('TreeSide: past the shared budget a body is not kept and the patch says why; the rest still get theirs', async () => {
  const budget = keepBudget(5);
  const [a, b] = [new TreeSide(budget), new TreeSide(budget)];
  pair(a, b);
  a.add(tarFile('f', 'one\n'));
  b.add(tarFile('f', 'two\n'));
  a.add(tarFile('g', 'x'));
  assert.equal(b.entries.get('f')?.overBudget, true);
  const changes = compareTrees(b.entries, a.entries);
  await addPatches(changes, b.entries, a.entries);
  assert.deepEqual(changes.map((c) => [c.path, c.noPatch ?? 'patch']), [['f', 'over budget'], ['g', 'patch']]);
  assert.match(changes[1]?.patch ?? '', /^--- a\/g\n\+\+\+ \/dev\/null\n/);
});

test('addPatches: text → unified diff, binary → says so, a mode-only change has none', async () => {
  const a = new Map<string, SideEntry>([['t', { ...file(sha('a\n')), body: body('a\n'), size: 2 }], ['bin', { ...file('1'), body: Buffer.from([0, 1]), size: 2 }], ['m', file('2')]]);
  const b = new Map<string, SideEntry>([['t', { ...file(sha('b\n')), body: body('b\n'), size: 2 }], ['bin', { ...file('3'), body: Buffer.from([0, 2]), size: 2 }], ['m', file('2', true)]]);
  const changes = compareTrees(b, a);
  await addPatches(changes, b, a);
  assert.deepEqual(changes.map((c) => [c.path, c.reason, c.noPatch, c.patch]), [
    ['bin', 'content', 'binary', undefined],
    ['m', 'mode', undefined, undefined],
    ['t', 'content', undefined, '--- a/t\n+++ b/t\n@@ -1,1 +1,1 @@\n-a\n+b\n'],
  ]);
});

test('TreeSide.put: a local file (no body) with the hash of the artifact file frees its kept body; another hash keeps it', () => {
  const budget = keepBudget(100);
  const [local, remote] = [new TreeSide(budget), new TreeSide(budget)];
  pair(local, remote);
  remote.add(tarFile('same', 'abc'));
  remote.add(tarFile('changed', 'old'));
  local.put('same', { type: 'file', sha256: sha('abc'), exec: false, absPath: '/x/same', size: 3 });
  local.put('changed', { type: 'file', sha256: sha('new'), exec: false, absPath: '/x/changed', size: 3 });
  assert.equal(remote.entries.get('same')?.body, undefined);
  assert.equal(remote.entries.get('changed')?.body?.toString(), 'old');
  assert.equal(budget.left, 97);
});
