import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OcipackError } from '../../../src/core/errors.js';
import { DigestStream, digestOf, isDigest, parseDigest, sha256Hex, verifyBytes } from '../../../src/oci/digest.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const HELLO = Buffer.from('hello\n');
const HELLO_SHA256 = '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03';

function isCode(code: string) {
  return (err: unknown) => err instanceof OcipackError && err.code === code;
}

async function drain(chunks: Buffer[], stream: DigestStream): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { out.push(chunk); cb(); } });
  await pipeline(Readable.from(chunks), stream, sink);
  return Buffer.concat(out);
}

test('known hashes', () => {
  assert.equal(sha256Hex(Buffer.alloc(0)), EMPTY_SHA256);
  assert.equal(sha256Hex(HELLO), HELLO_SHA256);
  assert.equal(digestOf(HELLO), `sha256:${HELLO_SHA256}`);
  assert.equal(digestOf('hello\n'), `sha256:${HELLO_SHA256}`);
});

test('parseDigest and isDigest', () => {
  assert.deepEqual(parseDigest(`sha256:${EMPTY_SHA256}`), { algorithm: 'sha256', hex: EMPTY_SHA256 });
  assert.deepEqual(parseDigest(`sha512:${'0'.repeat(128)}`), { algorithm: 'sha512', hex: '0'.repeat(128) });
  const bad: Array<[string, string]> = [
    ['', 'expected <algorithm>:<hex>'],
    [EMPTY_SHA256, 'expected <algorithm>:<hex>'],
    [`sha256:${EMPTY_SHA256.slice(1)}`, 'exactly 64'],
    [`sha256:${EMPTY_SHA256}0`, 'exactly 64'],
    [`sha256:${EMPTY_SHA256.toUpperCase()}`, 'lowercase hex'],
    [`sha256:${'g'.repeat(64)}`, 'lowercase hex'],
    [`sha512:${'0'.repeat(64)}`, 'exactly 128'],
    [`SHA256:${EMPTY_SHA256}`, 'expected <algorithm>:<hex>'],
    [`sha384:${'0'.repeat(96)}`, 'unsupported digest algorithm "sha384"'],
    [`sha256 :${EMPTY_SHA256}`, 'expected'],
  ];
  for (const [s, fragment] of bad) {
    assert.equal(isDigest(s), false, s);
    assert.throws(() => parseDigest(s), (err: unknown) => isCode('USAGE')(err) && (err as Error).message.includes(fragment), s);
  }
  assert.equal(isDigest(`sha256:${EMPTY_SHA256}`), true);
});

test('verifyBytes accepts matching content and rejects size or digest mismatches', () => {
  verifyBytes(HELLO, { digest: `sha256:${HELLO_SHA256}`, size: 6 });
  verifyBytes(HELLO, { digest: `sha256:${HELLO_SHA256}` });
  const sha512 = `sha512:${createHash('sha512').update(HELLO).digest('hex')}`;
  verifyBytes(HELLO, { digest: sha512, size: 6 });
  assert.throws(() => verifyBytes(HELLO, { digest: `sha256:${HELLO_SHA256}`, size: 7 }), (err: unknown) =>
    isCode('VERIFY')(err) && /size mismatch.*expected 7 bytes, got 6/.test((err as Error).message));
  assert.throws(() => verifyBytes(HELLO, { digest: `sha256:${EMPTY_SHA256}`, size: 6 }), (err: unknown) =>
    isCode('VERIFY')(err) && (err as Error).message.includes(`got sha256:${HELLO_SHA256}`));
  assert.throws(() => verifyBytes(HELLO, { digest: 'md5:abc' }), isCode('VERIFY'));
});

test('DigestStream passes bytes through and reports digest and count', async () => {
  const s = new DigestStream();
  assert.throws(() => s.digest(), OcipackError);
  const out = await drain([Buffer.from('hel'), Buffer.from('lo\n')], s);
  assert.deepEqual(out, HELLO);
  assert.equal(s.bytes, 6);
  assert.equal(s.digest(), `sha256:${HELLO_SHA256}`);
});

test('DigestStream verifies against an expected descriptor', async () => {
  const s = new DigestStream({ digest: `sha256:${HELLO_SHA256}`, size: 6 });
  await drain([HELLO.subarray(0, 2), HELLO.subarray(2)], s);
  assert.equal(s.digest(), `sha256:${HELLO_SHA256}`);

  const sha512 = `sha512:${createHash('sha512').update(HELLO).digest('hex')}`;
  const s512 = new DigestStream({ digest: sha512, size: 6 });
  await drain([HELLO], s512);
  assert.equal(s512.digest(), sha512);
});

test('DigestStream fails with VERIFY on a wrong digest', async () => {
  await assert.rejects(drain([HELLO], new DigestStream({ digest: `sha256:${EMPTY_SHA256}`, size: 6 })),
    (err: unknown) => isCode('VERIFY')(err) && (err as Error).message.includes('digest mismatch'));
});

test('DigestStream fails with VERIFY on a short body', async () => {
  await assert.rejects(drain([HELLO.subarray(0, 5)], new DigestStream({ digest: `sha256:${HELLO_SHA256}`, size: 6 })),
    (err: unknown) => isCode('VERIFY')(err) && (err as Error).message.includes('got 5'));
});

test('DigestStream fails early, before passing on bytes beyond the expected size', async () => {
  const s = new DigestStream({ digest: `sha256:${HELLO_SHA256}`, size: 6 });
  const seen: Buffer[] = [];
  let pulled = 0;
  const source = new Readable({
    highWaterMark: 8,
    read() {
      pulled++;
      if (pulled > 1000) { this.push(null); return; }
      this.push(Buffer.alloc(4, 0x61));
    },
  });
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { seen.push(chunk); cb(); } });
  await assert.rejects(pipeline(source, s, sink), (err: unknown) =>
    isCode('VERIFY')(err) && (err as Error).message.includes('more than 6'));
  assert.ok(Buffer.concat(seen).length <= 6, 'no byte beyond the size was forwarded');
  assert.ok(pulled < 1000, 'the source was not read to the end');
});

test('DigestStream rejects an unusable expected digest up front', () => {
  assert.throws(() => new DigestStream({ digest: 'sha256:short', size: 1 }), isCode('VERIFY'));
});
