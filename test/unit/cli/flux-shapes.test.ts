/** flux's `<verb> artifact(s)` shapes are the same commands; anything else passes through untouched. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropFluxNoun } from '../../../src/cli/main.js';

test('dropFluxNoun drops flux\'s noun after its verb, and only there', () => {
  const shape = (...args: string[]) => dropFluxNoun(['node', 'ocipack', ...args]).slice(2);
  assert.deepEqual(shape('push', 'artifact', 'oci://r/a:v1', '-f', '.'), ['push', 'oci://r/a:v1', '-f', '.']);
  assert.deepEqual(shape('list', 'artifacts', 'oci://r/a'), ['list', 'oci://r/a']);
  for (const verb of ['pull', 'tag', 'diff', 'build']) assert.deepEqual(shape(verb, 'artifact', 'x'), [verb, 'x']);
  assert.deepEqual(shape('push', 'artifact'), ['push', 'artifact'], 'a lone "artifact" is the reference');
  assert.deepEqual(shape('list', 'artifact', 'oci://r/a'), ['list', 'artifact', 'oci://r/a'], 'list takes "artifacts", as flux');
  assert.deepEqual(shape('copy', 'artifact', 'x'), ['copy', 'artifact', 'x']);
  assert.deepEqual(shape('push', 'oci://r/a:v1'), ['push', 'oci://r/a:v1']);
});
