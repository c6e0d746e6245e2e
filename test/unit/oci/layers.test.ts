import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OcipackError } from '../../../src/core/errors.js';
import type { Descriptor, ImageManifest } from '../../../src/oci/descriptor.js';
import { chooseLayers, digestFileName, safeTitle, tarCompression, type LayerSelector } from '../../../src/oci/layers.js';

const D = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const TITLE = 'org.opencontainers.image.title';
const UNPACK = 'io.deis.oras.content.unpack';

function manifest(layers: Array<Partial<Descriptor> & { mediaType: string }>, config = 'application/vnd.oci.image.config.v1+json'): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: config, digest: D(9), size: 2 },
    layers: layers.map((l, i) => ({ digest: D(i + 1), size: 10 + i, ...l })),
  };
}

test('tarCompression reads the media type: gzip, zstd, plain, none', () => {
  const cases: Array<[string, ReturnType<typeof tarCompression>]> = [
    ['application/vnd.oci.image.layer.v1.tar+gzip', 'gzip'], ['application/vnd.cncf.flux.content.v1.tar+gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'], ['application/tar+gzip', 'gzip'],
    ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd'], ['application/vnd.oci.image.layer.v1.tar', 'none'],
    ['application/x-tar', 'none'], ['text/plain', undefined], ['application/vnd.acme.avatar', undefined], ['application/gzip', undefined],
  ];
  for (const [mt, want] of cases) assert.equal(tarCompression(mt), want, mt);
});

test('safeTitle applies the tar path rules; digestFileName adds an extension by media type', () => {
  assert.equal(safeTitle('a/./b.yaml'), 'a/b.yaml');
  for (const bad of ['', '../x', 'a/../../x', '/etc/passwd', 'C:\\x', 'a\\b', 'nul\u0000', 'new\nline', '.', undefined]) assert.equal(safeTitle(bad), undefined, String(bad));
  assert.equal(digestFileName({ mediaType: 'application/yaml', digest: D(1), size: 1 }), `${'1'.repeat(64)}.yaml`);
  assert.equal(digestFileName({ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: D(2), size: 1 }), `${'2'.repeat(64)}.tar.zst`);
  assert.equal(digestFileName({ mediaType: 'application/x-foreign', digest: D(3), size: 1 }), '3'.repeat(64));
});

test('chooseLayers: what pull does for each kind of manifest and selector', () => {
  const image = manifest([{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }]);
  const oras = manifest([
    { mediaType: 'application/vnd.oci.image.layer.v1.tar', annotations: { [TITLE]: 'deploy.yaml' } },
    { mediaType: 'text/plain', annotations: { [TITLE]: 'notes/readme.txt' } },
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', annotations: { [TITLE]: 'conf', [UNPACK]: 'true' } },
  ], 'application/vnd.acme.config.v1+json');
  const raw = manifest([{ mediaType: 'application/yaml' }]);
  const run = (m: ImageManifest, sel: LayerSelector) => {
    const c = chooseLayers(m, sel);
    return { idx: c.layers.map((l) => l.index), op: c.operation, ops: c.ops, names: c.names, notes: c.notes.length, warnings: c.warnings };
  };
  const two = run(image, {});
  assert.deepEqual([two.idx, two.op], [[0], 'extract']);
  assert.match(two.warnings[0]!, /image has 2 layers; extracted layer 0 \(application\/vnd\.oci\.image\.layer\.v1\.tar\+zstd, 10 B\), 1 not extracted/);
  assert.deepEqual(run(image, { layer: 1 }).idx, [1]);
  assert.deepEqual(run(image, { allLayers: true }), { idx: [0, 1], op: 'extract', ops: ['extract', 'extract'], names: [], notes: 0, warnings: [] });
  assert.deepEqual(run(oras, {}), { idx: [0, 1, 2], op: 'copy', ops: ['copy', 'copy', 'extract'], names: ['deploy.yaml', 'notes/readme.txt', 'conf'], notes: 0, warnings: [] });
  assert.deepEqual(run(oras, { mediaType: 'text/plain' }).names, ['notes/readme.txt']);
  assert.deepEqual(run(oras, { layer: 0 }).names, ['deploy.yaml']);
  assert.deepEqual(run(raw, {}), { idx: [0], op: 'copy', ops: ['copy'], names: [`${'1'.repeat(64)}.yaml`], notes: 1, warnings: [] });
  assert.deepEqual(run(raw, { operation: 'extract' }).notes, 1, 'an explicit extract reads it by its magic bytes, with a note');
  const copied = run(image, { layer: 1, operation: 'copy' });
  assert.deepEqual([copied.op, copied.names], ['copy', [`${'2'.repeat(64)}.tar.gz`]]);
  const helm = manifest([{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' }, { mediaType: 'application/vnd.cncf.helm.chart.provenance.v1.prov' }], 'application/vnd.cncf.helm.config.v1+json');
  assert.deepEqual(run(helm, {}).warnings, [], 'a chart and its provenance: no warning');
  const code = (fn: () => unknown, c: string) => assert.throws(fn, (e: unknown) => e instanceof OcipackError && e.code === c);
  code(() => chooseLayers(image, { layer: 5 }), 'USAGE');
  code(() => chooseLayers(image, { allLayers: true, layer: 0 }), 'USAGE');
  code(() => chooseLayers(oras, { allLayers: true }), 'BAD_INPUT');
  code(() => chooseLayers(image, { mediaType: 'x/none' }), 'USAGE');
  code(() => chooseLayers(manifest([{ mediaType: 'a/b' }, { mediaType: 'c/d' }]), {}), 'NOT_FOUND');
  code(() => chooseLayers(manifest([{ mediaType: 'text/plain', annotations: { [TITLE]: '../evil' } }]), {}), 'UNSAFE');
});
