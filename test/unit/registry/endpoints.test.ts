import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uploadUrl } from '../../../src/registry/blobs.js';
import { mediaTypeOf } from '../../../src/registry/manifests.js';
import { nextLink } from '../../../src/registry/tags.js';

const links: Array<[string | undefined, string | undefined]> = [
  ['</v2/a/tags/list?n=2&last=b>; rel="next"', '/v2/a/tags/list?n=2&last=b'],
  ['<https://r.example/v2/a/tags/list?last=b&n=2>; rel=next', 'https://r.example/v2/a/tags/list?last=b&n=2'],
  ['</prev>; rel="prev", </next>; REL="next"', '/next'],
  ['</x>; title="a; b"; rel="prev next"', '/x'],
  ['</x>; rel="prev"', undefined],
  ['</x>', undefined],
  ['', undefined],
  [undefined, undefined],
];

for (const [value, expected] of links) {
  test(`nextLink ${String(value)}`, () => {
    assert.equal(nextLink(value), expected);
  });
}

test('uploadUrl keeps the registry query exactly and appends digest', () => {
  const d = 'sha256:abc';
  assert.equal(uploadUrl(new URL('http://r/v2/a/blobs/uploads/u?_state=x%3D%3D'), d).href, 'http://r/v2/a/blobs/uploads/u?_state=x%3D%3D&digest=sha256%3Aabc');
  assert.equal(uploadUrl(new URL('http://r/v2/a/blobs/uploads/u'), d).href, 'http://r/v2/a/blobs/uploads/u?digest=sha256%3Aabc');
  assert.equal(uploadUrl(new URL('http://r/u?'), d).href, 'http://r/u?digest=sha256%3Aabc');
});

test('mediaTypeOf drops parameters', () => {
  assert.equal(mediaTypeOf('application/vnd.oci.image.manifest.v1+json; charset=utf-8'), 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(mediaTypeOf(''), undefined);
  assert.equal(mediaTypeOf(undefined), undefined);
});
