/** Signature discovery over an in-memory store: order, formats, caps, unreadable candidates. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Descriptor } from '../../../src/oci/descriptor.js';
import { discoverSignatures } from '../../../src/signing/discover.js';
import { appendSignature, signatureTag } from '../../../src/signing/sigimage.js';
import { eventSink, MemoryTarget } from '../../helpers/fakes.js';

const SUBJECT = `sha256:${'5'.repeat(64)}`;

function bundleReferrer(t: MemoryTarget, subject: string, body: Buffer): Descriptor {
  const layer = t.addBlob(body);
  const config = t.addBlob(Buffer.from('{}'));
  return t.addManifest({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    config: { ...config, mediaType: 'application/vnd.oci.empty.v1+json' },
    layers: [{ ...layer, mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }],
    subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject, size: 1 },
  });
}

test('classic tag first, then referrers from the sha256-<hex> tag schema; missing payloads are unreadable, not fatal', async () => {
  const t = new MemoryTarget();
  const img = appendSignature({ payload: Buffer.from('{"p":1}'), signature: 'c2ln' });
  t.addBlob(Buffer.from('{"p":1}'));
  const second = appendSignature({ payload: Buffer.from('{"p":2}'), signature: 'c2ln' }, { manifest: JSON.parse(img.manifest.toString()), config: img.config });
  t.manifests.set(signatureTag(SUBJECT), second.manifest); // payload 2 is not stored
  const ref = bundleReferrer(t, SUBJECT, Buffer.from('{"bundle":true}'));
  const other = t.addManifest({ schemaVersion: 2, artifactType: 'application/spdx+json', config: { mediaType: 'x', digest: SUBJECT, size: 1 }, layers: [] });
  t.addManifest({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ ...other, artifactType: 'application/spdx+json' }, ref] }, SUBJECT.replace(':', '-'));
  const found = await discoverSignatures(t, SUBJECT);
  assert.deepEqual(found.map((c) => [c.kind, c.format]), [['simple', 'cosign'], ['unreadable', 'cosign'], ['bundle', 'sigstore-bundle']]);
  assert.equal(found[0]!.kind === 'simple' && found[0]!.signature?.toString(), 'sig');
  assert.match(found[1]!.kind === 'unreadable' ? found[1]!.reason : '', /no blob/);
  assert.equal(found[2]!.source, `referrer ${ref.digest}`);
});

test('a huge referrers index without artifact types is read only up to the cap', async () => {
  const t = new MemoryTarget();
  const entries: Descriptor[] = [];
  for (let i = 0; i < 50; i++) entries.push(t.addManifest({ schemaVersion: 2, config: { mediaType: 'x', digest: SUBJECT, size: i }, layers: [] }));
  t.addManifest({ schemaVersion: 2, manifests: entries }, SUBJECT.replace(':', '-'));
  const { events, onEvent } = eventSink();
  const found = await discoverSignatures(t, SUBJECT, { maxCandidates: 5, onEvent });
  assert.equal(found.length, 0);
  assert.ok(t.fetches <= 2 + 5, `fetched ${t.fetches} manifests`);
  assert.ok(events.some((e) => e.type === 'warning' && /more than 5 referrers/.test(e.message)));
});

test('an oversized payload is unreadable without being downloaded', async () => {
  const t = new MemoryTarget();
  const img = appendSignature({ payload: Buffer.alloc(64, 0x20), signature: 'c2ln' });
  t.manifests.set(signatureTag(SUBJECT), img.manifest);
  const found = await discoverSignatures(t, SUBJECT, { maxPayloadBytes: 63 });
  assert.equal(found[0]!.kind, 'unreadable');
  assert.match(found[0]!.kind === 'unreadable' ? found[0]!.reason : '', /64 bytes, more than the 63/);
});
