/**
 * Filesystem errors name the path and a way out (issues 17, 25): a full output disk asks for space
 * there (not TMPDIR, which is fine), full or missing temporary space names TMPDIR, a read-only or
 * forbidden path says so, a mount point inside the output is named as one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hintFor } from '../../../src/cli/hints.js';
import { ioError, tempError } from '../../../src/core/errno.js';

const sys = (code: string): Error => Object.assign(new Error(code), { code });

test('a full output disk names the path and not TMPDIR; full temporary space names TMPDIR', () => {
  const err = ioError('cannot write', '/srv/out/app.yaml', sys('ENOSPC'));
  assert.equal(err.code, 'IO');
  assert.match(err.message, /cannot write \/srv\/out\/app\.yaml: ENOSPC/);
  const hint = hintFor(err) ?? '';
  assert.match(hint, /free space on the disk that holds \/srv\/out\/app\.yaml/);
  assert.doesNotMatch(hint, /TMPDIR/);
  const temp = tempError('cannot write the packed layer', sys('ENOSPC'), '/tmp/ocipack-push-x/layer.tar.gz');
  assert.match(hintFor(temp) ?? '', /temporary space is full \(\/tmp\/ocipack-push-x\/layer\.tar\.gz\).*TMPDIR/);
});

test('read-only, forbidden and cross-device paths get their own next step', () => {
  assert.match(hintFor(ioError('cannot write in', '/srv/out', sys('EROFS'))) ?? '', /\/srv\/out is on a read-only filesystem.*volume or emptyDir/);
  for (const code of ['EACCES', 'EPERM']) {
    const hint = hintFor(ioError('cannot write in', '/srv/out', sys(code))) ?? '';
    assert.match(hint, /may not access \/srv\/out: check its owner and mode/);
    assert.doesNotMatch(hint, /TMPDIR/);
  }
  assert.match(hintFor(tempError('cannot create a temporary directory in', sys('EROFS'), '/ro')) ?? '', /set TMPDIR to a writable directory/);
  assert.match(hintFor(ioError('cannot move', '/srv/out/vol', sys('EXDEV'))) ?? '', /\/srv\/out\/vol is another filesystem inside the output/);
});
