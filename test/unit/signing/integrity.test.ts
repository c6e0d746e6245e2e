/** Issue 13 §5: verify skips only non-distributable layers with `urls` that are absent; any other missing blob fails. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { OciLayoutStore } from '../../../src/content/layout.js';
import type { Descriptor } from '../../../src/oci/descriptor.js';
import { MT } from '../../../src/oci/mediatypes.js';
import { checkIntegrity } from '../../../src/signing/integrity.js';
import { eventSink, scratchLayout } from '../../helpers/fakes.js';

function desc(mediaType: string, bytes: Buffer | string, extra: Partial<Descriptor> = {}): Descriptor {
  const b = Buffer.from(bytes);
  return { mediaType, digest: `sha256:${createHash('sha256').update(b).digest('hex')}`, size: b.length, ...extra };
}

async function artifact(layer: Descriptor): Promise<{ store: OciLayoutStore; root: Descriptor }> {
  const store = await scratchLayout('ocipack-integrity-');
  const config = Buffer.from('{}');
  await store.pushBlob(desc(MT.ociConfig, config), config);
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: desc(MT.ociConfig, config), layers: [layer] }));
  const root = desc(MT.ociManifest, bytes);
  await store.pushManifest(root, bytes, 'v1');
  return { store, root };
}

test('a missing layer that lists urls but is not a non-distributable type fails verification', async () => {
  const { store, root } = await artifact(desc('application/vnd.cncf.flux.content.v1.tar+gzip', 'absent', { urls: ['https://example.com/x'] }));
  const sink = eventSink();
  const r = await checkIntegrity(store, root, { onEvent: sink.onEvent });
  const warnings = sink.messages('warning');
  assert.equal(r.ok, false);
  assert.match(r.problems[0] ?? '', /layer 0 sha256:[0-9a-f]{64}: missing/);
  assert.deepEqual(r.skipped, []);
  assert.deepEqual(warnings, []);
});

test('an absent non-distributable layer with urls is skipped with a warning, and the report says which', async () => {
  const layer = desc('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'foreign', { urls: ['https://example.com/x'] });
  const { store, root } = await artifact(layer);
  const sink = eventSink();
  const r = await checkIntegrity(store, root, { onEvent: sink.onEvent });
  const warnings = sink.messages('warning');
  assert.equal(r.ok, true);
  assert.deepEqual(r.skipped, [layer.digest]);
  assert.match(warnings[0] ?? '', /non-distributable layer .* not held here; not checked/);
});

test('a present non-distributable layer is downloaded and hashed like any other', async () => {
  const layer = desc('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'foreign', { urls: ['https://example.com/x'] });
  const { store, root } = await artifact(layer);
  await store.pushBlob(layer, Buffer.from('foreign'));
  const r = await checkIntegrity(store, root);
  assert.equal(r.ok, true);
  assert.equal(r.blobs, 2);
  assert.deepEqual(r.skipped, []);
});
