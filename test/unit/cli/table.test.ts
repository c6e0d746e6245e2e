import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayWidth, renderTable } from '../../../src/cli/table.js';

test('columns are padded to the widest cell, joined by a tab, no trailing whitespace', () => {
  const out = renderTable(['artifact', 'digest', 'source', 'revision'], [
    ['r/app:v1.10.0', 'sha256:aa', 'https://x', 'main@sha1:1'],
    ['r/app:latest', 'sha256:bbbb', '', ''],
  ]);
  assert.equal(out, [
    'ARTIFACT     \tDIGEST     \tSOURCE   \tREVISION',
    'r/app:v1.10.0\tsha256:aa  \thttps://x\tmain@sha1:1',
    'r/app:latest \tsha256:bbbb',
    '',
  ].join('\n'));
});

test('no rows prints the header; missing cells are empty; control characters cannot break lines', () => {
  assert.equal(renderTable(['a', 'b'], []), 'A\tB\n');
  assert.equal(renderTable(['a', 'b'], [['x']]), 'A\tB\nx\n');
  assert.equal(renderTable(['a', 'b'], [['x\ny', 'evil\u001b[31m\tz']]), 'A       \tB\nx\\u000ay\tevil\\u001b[31m\\u0009z\n');
});

test('wide characters count two columns', () => {
  assert.equal(displayWidth('abc'), 3);
  assert.equal(displayWidth('名前'), 4);
  assert.equal(renderTable(['n', 'x'], [['名', '1'], ['ab', '2'], ['abc', '3']]), 'N  \tX\n名 \t1\nab \t2\nabc\t3\n');
});
