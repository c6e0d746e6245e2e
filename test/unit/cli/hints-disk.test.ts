/** ENOSPC names the path and, for temporary space, TMPDIR (issue 17); other I/O errors keep no such hint. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hintFor } from '../../../src/cli/hints.js';
import { ioError } from '../../../src/core/errno.js';

test('a full disk names the path and TMPDIR', () => {
  const err = ioError('cannot write', '/srv/out/app.yaml', Object.assign(new Error('no space'), { code: 'ENOSPC' }));
  assert.equal(err.code, 'IO');
  assert.match(err.message, /cannot write \/srv\/out\/app\.yaml: ENOSPC/);
  const hint = hintFor(err) ?? '';
  assert.match(hint, /free space on the disk that holds \/srv\/out\/app\.yaml/);
  assert.match(hint, /TMPDIR/);
  const other = ioError('cannot write', '/srv/out/app.yaml', Object.assign(new Error('denied'), { code: 'EACCES' }));
  assert.doesNotMatch(hintFor(other) ?? '', /TMPDIR/);
});
