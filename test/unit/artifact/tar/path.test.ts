import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { joinChecked } from '../../../../src/artifact/tar/path.js';

test('joinChecked gives what path.join gives for a normalised root and a checked name, the filesystem root included', () => {
  for (const [root, rel] of [['/work/src', 'a.yaml'], ['/work/src', 'apps/web/deploy.yaml'], ['/', 'etc'], ['/', 'a/b']]) {
    assert.equal(joinChecked(root!, rel!), join(root!, rel!));
  }
});
