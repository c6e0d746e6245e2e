/** The one reading of Node error codes (core/errno.ts) that every room uses instead of its own copy. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errCode, errCodeText, fsError, hasErrCode, ioError, isMissing, tempError } from '../../../src/core/errno.js';
import { OcipackError } from '../../../src/core/errors.js';

const sys = (code: string): Error => Object.assign(new Error(`${code}: system call failed`), { code });

test('errCode reads a string code only; hasErrCode and isMissing test it', () => {
  assert.equal(errCode(sys('ENOENT')), 'ENOENT');
  assert.equal(errCode({ code: 42 }), undefined);
  assert.equal(errCode(null), undefined);
  assert.equal(errCode('ENOENT'), undefined);
  assert.equal(hasErrCode(sys('EEXIST'), 'ENOENT', 'EEXIST'), true);
  assert.equal(hasErrCode(sys('ELOOP'), 'ENOENT'), false);
  assert.equal(hasErrCode(undefined, 'ENOENT'), false);
  assert.equal(isMissing(sys('ENOENT')), true);
  assert.equal(isMissing(sys('ENOTDIR')), true);
  assert.equal(isMissing(sys('EACCES')), false);
});

test('errCodeText: the code, else the message, else the value', () => {
  assert.equal(errCodeText(sys('EACCES')), 'EACCES');
  assert.equal(errCodeText(new Error('boom')), 'boom');
  assert.equal(errCodeText('odd'), 'odd');
});

test('fsError keeps the code in an IO message, passes OcipackErrors through, names the path given (or Node\'s)', () => {
  const plain = fsError('cannot read "a/b"', sys('EACCES'));
  assert.equal(plain.code, 'IO');
  assert.equal(plain.message, 'cannot read "a/b": EACCES');
  assert.deepEqual(plain.context, {});
  assert.deepEqual(fsError('cannot write "x"', sys('ENOSPC')).context, {});
  const own = new OcipackError('UNSAFE', 'refused');
  assert.equal(fsError('cannot read', own), own);
  assert.equal(ioError('cannot stat', '/p', own), own);
  const full = ioError('cannot write', '/srv/out', sys('ENOSPC'));
  assert.equal(full.message, 'cannot write /srv/out: ENOSPC');
  assert.deepEqual(full.context, { path: '/srv/out', next: 'disk-full' });
  assert.deepEqual(ioError('cannot open', '/p', sys('EACCES')).context, { path: '/p', next: 'permission' });
  assert.deepEqual(ioError('cannot open', '/p', sys('EIO')).context, { path: '/p' });
  const named = fsError('cannot write "x"', Object.assign(sys('EROFS'), { path: '/ro/x' }));
  assert.deepEqual(named.context, { path: '/ro/x', next: 'read-only' });
});

test('ENOENT and ENOTDIR name the name on the way that is really missing or not a directory', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const root = mkdtempSync(join(tmpdir(), 'ocipack-errno-'));
  writeFileSync(join(root, 'file'), 'x');
  const gone = ioError('cannot create', join(root, 'missing/deeper/out'), sys('ENOENT'));
  assert.equal(gone.message, `cannot create ${root}/missing/deeper/out: ENOENT ("${root}/missing" does not exist)`);
  assert.deepEqual(gone.context, { path: join(root, 'missing'), next: 'missing-path' });
  const file = ioError('cannot read', join(root, 'file/x'), sys('ENOTDIR'));
  assert.equal(file.message, `cannot read ${root}/file/x: ENOTDIR ("${root}/file" is not a directory)`);
  assert.equal(file.context.path, join(root, 'file'));
  assert.deepEqual(tempError('cannot create a temporary directory in', sys('ENOENT'), '/nonexistent-ocipack/t-1').context, { path: '/nonexistent-ocipack', next: 'temp-missing' });
});
