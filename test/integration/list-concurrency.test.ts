/** list with more parallel lookups than Node's default listener limit prints no MaxListenersExceededWarning (issue 16 §8). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { list } from '../../src/index.js';

let reg: RunningRegistry;
before(async () => {
  reg = await startRegistry({ auth: 'none' });
});
after(async () => {
  await reg?.stop();
});

test('list with concurrency 25 over 31 tags: every row, no MaxListenersExceededWarning', async () => {
  const src = await tempDir();
  await writeFile(join(src, 'a.yaml'), 'a: 1\n');
  assert.equal((await ocipack(['push', `oci://${reg.host}/l/app:v0`, '-f', src])).code, 0);
  const tagged = await ocipack(['tag', `oci://${reg.host}/l/app:v0`, '-t', Array.from({ length: 30 }, (_, i) => `v${i + 1}`).join(',')]);
  assert.equal(tagged.code, 0, tagged.stderr);
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    const rows = await list({ reference: `${reg.host}/l/app`, concurrency: 25, signal: new AbortController().signal });
    assert.equal(rows.length, 31);
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
});
