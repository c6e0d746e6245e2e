import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { joinChecked, normalizeEntryPath, type PathCaps } from '../../../../src/artifact/tar/path.js';
import { OcipackError } from '../../../../src/core/errors.js';

test('joinChecked gives what path.join gives for a normalised root and a checked name, the filesystem root included', () => {
  for (const [root, rel] of [['/work/src', 'a.yaml'], ['/work/src', 'apps/web/deploy.yaml'], ['/', 'etc'], ['/', 'a/b']]) {
    assert.equal(joinChecked(root!, rel!), join(root!, rel!));
  }
});

/** The entry-name rules written plainly (SPEC §5), as normalizeEntryPath had them before its one-pass check for plain names. */
function reference(raw: string, caps: PathCaps): string {
  if (raw.includes('\0') || raw.includes('\\') || raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw new OcipackError('UNSAFE', raw);
  if (Buffer.byteLength(raw, 'utf8') > caps.maxPathBytes) throw new OcipackError('CAP', raw);
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new OcipackError('UNSAFE', raw);
  if (segments.length > caps.maxDepth) throw new OcipackError('CAP', raw);
  return segments.join('/');
}

function outcome(f: () => string): string {
  try {
    return `= ${f()}`;
  } catch (err) {
    return `! ${(err as OcipackError).code}`;
  }
}

test('normalizeEntryPath gives what the plain rules give, for 200 000 random names near every edge (slashes, dots, drive letters, control and non-ASCII characters, the length and depth caps)', () => {
  const alphabet = ['a', 'b', 'Z', '0', '.', '.', '/', '/', '/', ':', '\\', '\0', '\t', ' ', '~', '\x7f', 'é', '😀'];
  let seed = 26;
  const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const caps: PathCaps = { maxPathBytes: 12, maxDepth: 3 };
  const seen = new Set<string>();
  for (let i = 0; i < 200_000; i++) {
    let raw = '';
    for (let len = next(15); len > 0; len--) raw += alphabet[next(alphabet.length)];
    const want = outcome(() => reference(raw, caps));
    assert.equal(outcome(() => normalizeEntryPath(raw, caps)), want, JSON.stringify(raw));
    seen.add(want.slice(0, 1) === '=' ? (want === `= ${raw}` ? 'unchanged' : 'normalised') : want);
  }
  assert.deepEqual([...seen].sort(), ['! CAP', '! UNSAFE', 'normalised', 'unchanged']);
});

test('normalizeEntryPath: plain names come back as they are, the others as the rules say', () => {
  const caps: PathCaps = { maxPathBytes: 4096, maxDepth: 64 };
  for (const name of ['a', 'apps/web/deploy.yaml', '.env', 'a/.b/..c/c..', 'a b/~x']) assert.equal(normalizeEntryPath(name, caps), name);
  for (const [raw, want] of [['./a/b/', 'a/b'], ['a//b', 'a/b'], ['.', ''], ['./', ''], ['a/./b', 'a/b'], ['1:x', '1:x'], ['é/ü', 'é/ü']]) {
    assert.equal(normalizeEntryPath(raw!, caps), want);
  }
  for (const raw of ['/etc/passwd', '../x', 'a/../../x', 'C:/x', 'a\\b', 'a\0b', 'a/..']) {
    assert.throws(() => normalizeEntryPath(raw, caps), (err: unknown) => err instanceof OcipackError && err.code === 'UNSAFE', raw);
  }
  assert.throws(() => normalizeEntryPath('a/'.repeat(65) + 'f', caps), (err: unknown) => err instanceof OcipackError && err.code === 'CAP');
  assert.throws(() => normalizeEntryPath('x'.repeat(4097), caps), (err: unknown) => err instanceof OcipackError && err.code === 'CAP');
});
