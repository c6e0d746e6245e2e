import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlatform, selectPlatform } from '../../../src/oci/platform.js';
import type { Descriptor, ImageIndex } from '../../../src/oci/descriptor.js';
import { OcipackError } from '../../../src/core/errors.js';

function entry(name: string, platform?: Descriptor['platform']): Descriptor {
  const d: Descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${name.padEnd(64, '0')}`, size: 1 };
  if (platform) d.platform = platform;
  return d;
}

const INDEX: ImageIndex = {
  schemaVersion: 2,
  manifests: [
    entry('a', { os: 'linux', architecture: 'amd64' }),
    entry('b', { os: 'linux', architecture: 'arm', variant: 'v6' }),
    entry('c', { os: 'linux', architecture: 'arm', variant: 'v7' }),
    entry('d', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    entry('e', { os: 'unknown', architecture: 'unknown' }),
    entry('f', { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' }),
  ],
};

/** [--platform value (undefined = default), expected entry name or error substring] */
const TABLE: Array<[string | undefined, string]> = [
  [undefined, 'a'],
  ['linux/amd64', 'a'],
  ['linux/arm/v7', 'c'],
  ['linux/arm/v6', 'b'],
  ['linux/arm', 'b'], // no variant asked: the first arm entry (none is variant-less)
  ['linux/arm64', 'd'],
  ['linux/arm64/v8', 'd'],
  ['windows/amd64', 'f'],
  ['linux/s390x', 'ERR no manifest for platform linux/s390x in the index (available: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8, unknown/unknown, windows/amd64)'],
  ['linux/arm/v5', 'ERR no manifest for platform linux/arm/v5'],
];

for (const [value, want] of TABLE) {
  test(`selectPlatform ${value ?? '(default)'} → ${want}`, () => {
    const spec = parsePlatform(value);
    if (want.startsWith('ERR ')) {
      assert.throws(() => selectPlatform(INDEX, spec), (err: unknown) => err instanceof OcipackError && err.code === 'NOT_FOUND' && err.message.includes(want.slice(4)));
    } else {
      assert.equal(selectPlatform(INDEX, spec).digest, entry(want).digest);
    }
  });
}

test('entries without a platform count as linux/amd64 (go-containerregistry)', () => {
  const idx: ImageIndex = { schemaVersion: 2, manifests: [entry('x'), entry('y', { os: 'linux', architecture: 'arm64' })] };
  assert.equal(selectPlatform(idx, parsePlatform(undefined)).digest, entry('x').digest);
  assert.equal(selectPlatform(idx, parsePlatform('linux/arm64')).digest, entry('y').digest);
});

test('a variant-less entry wins when no variant is asked for', () => {
  const idx: ImageIndex = { schemaVersion: 2, manifests: [entry('v', { os: 'linux', architecture: 'arm', variant: 'v7' }), entry('n', { os: 'linux', architecture: 'arm' })] };
  assert.equal(selectPlatform(idx, parsePlatform('linux/arm')).digest, entry('n').digest);
});

test('malformed platforms are usage errors', () => {
  for (const bad of ['linux', 'linux/', '/amd64', 'a/b/c/d', 'linux/amd 64', '']) {
    assert.throws(() => parsePlatform(bad), (err: unknown) => err instanceof OcipackError && err.code === 'USAGE', bad);
  }
});
