import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isManifestMediaType, manifestMediaType } from '../../../src/registry/remote.js';
import { referrersTag } from '../../../src/oci/digest.js';
import { MT } from '../../../src/oci/mediatypes.js';

test('manifestMediaType: own field, else Content-Type, else the shape', () => {
  const b = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));
  assert.equal(manifestMediaType(b({ mediaType: MT.dockerManifest }), MT.ociManifest), MT.dockerManifest);
  assert.equal(manifestMediaType(b({ schemaVersion: 2, layers: [] }), MT.dockerManifest), MT.dockerManifest);
  assert.equal(manifestMediaType(b({ schemaVersion: 2, manifests: [] }), 'application/json'), MT.ociIndex);
  assert.equal(manifestMediaType(b({ schemaVersion: 2, layers: [] }), undefined), MT.ociManifest);
  assert.equal(manifestMediaType(Buffer.from('not json'), undefined), MT.ociManifest);
});

test('isManifestMediaType covers OCI and Docker manifests and indexes only', () => {
  for (const t of [MT.ociManifest, MT.ociIndex, MT.dockerManifest, MT.dockerList]) assert.equal(isManifestMediaType(t), true, t);
  for (const t of [MT.fluxConfig, MT.fluxContent, 'application/json']) assert.equal(isManifestMediaType(t), false, t);
});

test('referrersTag follows the referrers tag schema', () => {
  const hex = 'a'.repeat(64);
  assert.equal(referrersTag(`sha256:${hex}`), `sha256-${hex}`);
  assert.equal(referrersTag(`sha512:${'b'.repeat(128)}`), `sha512-${'b'.repeat(64)}`);
});
