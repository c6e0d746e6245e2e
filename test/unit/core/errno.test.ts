/** The one reading of Node error codes (core/errno.ts) that every room uses instead of its own copy. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errCode, errCodeText, fsError, hasErrCode, ioError, isMissing } from '../../../src/core/errno.js';
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

test('fsError keeps the code in an IO message, passes OcipackErrors through, names the path only when given', () => {
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
  assert.deepEqual(ioError('cannot open', '/p', sys('EACCES')).context, { path: '/p' });
});
