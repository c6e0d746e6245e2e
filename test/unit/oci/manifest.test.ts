/** The one manifest parser: a table of defects, each one BAD_MANIFEST with its own message. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OcipackError } from '../../../src/core/errors.js';
import { isIndex } from '../../../src/oci/descriptor.js';
import { parseManifest, sniffMediaType, successors } from '../../../src/oci/manifest.js';
import { MT } from '../../../src/oci/mediatypes.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const CONFIG = { mediaType: MT.fluxConfig, digest: D('a'), size: 2 };
const LAYER = { mediaType: MT.fluxContent, digest: D('b'), size: 10 };
const IMAGE = { schemaVersion: 2, mediaType: MT.ociManifest, config: CONFIG, layers: [LAYER] };
const INDEX = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [{ mediaType: MT.ociManifest, digest: D('c'), size: 300 }] };
const bytes = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

test('a good image manifest, index, Docker manifest and shape-only manifest parse', () => {
  const m = parseManifest(bytes(IMAGE), 'x');
  assert.equal(isIndex(m), false);
  assert.deepEqual(successors(m).map((d) => d.digest), [D('a'), D('b')]);
  const i = parseManifest(bytes(INDEX), { where: 'x', mediaType: MT.ociIndex });
  assert.deepEqual(successors(i).map((d) => d.digest), [D('c')]);
  assert.equal(isIndex(parseManifest(bytes({ ...IMAGE, mediaType: MT.dockerManifest }), 'x')), false);
  assert.equal(isIndex(parseManifest(bytes({ schemaVersion: 2, manifests: [] }), 'x')), true);
  const { mediaType: _drop, ...noType } = IMAGE;
  assert.equal(isIndex(parseManifest(bytes(noType), { where: 'x', mediaType: 'application/json' })), false);
  assert.doesNotThrow(() => parseManifest(bytes({ ...IMAGE, subject: INDEX.manifests[0] }), 'x'));
});

const DEFECTS: Array<[string, unknown, string | undefined, RegExp]> = [
  ['not JSON', '{"schemaVersion": 2,', undefined, /^manifest repo:v1 is not valid JSON$/],
  ['JSON, not an object', '[1, 2]', undefined, /^manifest repo:v1 is not a JSON object$/],
  ['JSON null', 'null', undefined, /^manifest repo:v1 is not a JSON object$/],
  ['schemaVersion missing', { ...IMAGE, schemaVersion: undefined }, undefined, /^manifest repo:v1 has schemaVersion missing, not 2$/],
  ['schemaVersion 1 (Docker v2 schema 1)', { ...IMAGE, schemaVersion: 1 }, undefined, /has schemaVersion 1, not 2$/],
  ['unknown mediaType', { ...IMAGE, mediaType: 'application/vnd.oci.artifact.manifest.v1+json' }, undefined, /has an unknown mediaType "application\/vnd\.oci\.artifact\.manifest\.v1\+json"$/],
  ['mediaType not a string', { ...IMAGE, mediaType: 7 }, undefined, /has an unknown mediaType 7$/],
  ['neither shape', { schemaVersion: 2, annotations: {} }, undefined, /^manifest repo:v1 is neither an image manifest nor an index$/],
  ['index type without a manifests list', { schemaVersion: 2, mediaType: MT.ociIndex }, undefined, /is an index without a manifests list$/],
  ['image type without layers', { schemaVersion: 2, mediaType: MT.ociManifest, config: CONFIG }, undefined, /is an image manifest without config and layers$/],
  ['an index where an image manifest was declared', INDEX, MT.ociManifest, /is an index where application\/vnd\.oci\.image\.manifest\.v1\+json was expected$/],
  ['an image where an index was declared', IMAGE, MT.dockerList, /is an image manifest where .*manifest\.list\.v2\+json was expected$/],
  ['a layer without size', { ...IMAGE, layers: [{ mediaType: MT.fluxContent, digest: D('b') }] }, undefined, /has malformed descriptors$/],
  ['a negative size', { ...IMAGE, config: { ...CONFIG, size: -1 } }, undefined, /has malformed descriptors$/],
  ['an index entry that is a string', { ...INDEX, manifests: ['sha256:x'] }, undefined, /has malformed descriptors$/],
  ['a malformed subject', { ...IMAGE, subject: { digest: D('c') } }, undefined, /has malformed descriptors$/],
  ['a malformed digest', { ...IMAGE, layers: [{ ...LAYER, digest: 'sha256:NOT-HEX' }] }, undefined, /has a malformed digest "sha256:NOT-HEX"$/],
];

for (const [name, input, declared, message] of DEFECTS) {
  test(`defect: ${name} → BAD_MANIFEST`, () => {
    assert.throws(
      () => parseManifest(bytes(input), declared === undefined ? 'repo:v1' : { where: 'repo:v1', mediaType: declared }),
      (err: unknown) => err instanceof OcipackError && err.code === 'BAD_MANIFEST' && message.test(err.message),
    );
  });
}

test('a declared media type that is no manifest type is not held against the bytes', () => {
  assert.doesNotThrow(() => parseManifest(bytes(IMAGE), { where: 'x', mediaType: 'text/plain' }));
});

test('sniffMediaType: own field, else a specific Content-Type, else the shape, else undefined', () => {
  assert.equal(sniffMediaType(bytes(IMAGE), MT.dockerManifest), MT.ociManifest);
  assert.equal(sniffMediaType(bytes({ schemaVersion: 2, manifests: [] }), 'application/json'), MT.ociIndex);
  assert.equal(sniffMediaType(bytes({ schemaVersion: 2, config: {} })), MT.ociManifest);
  assert.equal(sniffMediaType(bytes({ schemaVersion: 2 }), MT.dockerList), MT.dockerList);
  assert.equal(sniffMediaType(bytes({ schemaVersion: 2 })), undefined);
  assert.equal(sniffMediaType(bytes('not json')), undefined);
});
