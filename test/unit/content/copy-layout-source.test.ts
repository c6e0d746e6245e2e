/** copyGraph from a layout to a retrying destination reopens the layout's blob file instead of spooling a copy. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { copyGraph } from '../../../src/content/copy.js';
import { OciLayoutStore } from '../../../src/content/layout.js';
import type { Body } from '../../../src/content/target.js';
import { OcipackError } from '../../../src/core/errors.js';
import type { Descriptor } from '../../../src/oci/descriptor.js';
import { digestOf } from '../../../src/oci/digest.js';
import { MT } from '../../../src/oci/mediatypes.js';
import { MemoryTarget, readAll, scratchLayout } from '../../helpers/fakes.js';

/** A destination that is not a layout: reads every body twice (a failed attempt, then the retry). */
class Replaying extends MemoryTarget {
  override readonly name = 'replaying';
  bodies: Body[] = [];
  override async pushBlob(d: Descriptor, body: Body): Promise<void> {
    this.bodies.push(body);
    const first = typeof body === 'function' ? await readAll(body()) : body;
    const second = typeof body === 'function' ? await readAll(body()) : body;
    assert.ok(first.equals(second), 'a replayed body gives the same bytes');
    this.blobs.set(d.digest, second);
  }
}

async function layoutWithBigLayer(): Promise<{ store: OciLayoutStore; root: Descriptor; layer: Descriptor; layerBytes: Buffer }> {
  const store = await scratchLayout('ocipack-copy-src-');
  const layerBytes = randomBytes(5 * 1024 * 1024 + 3);
  const layer = { mediaType: MT.fluxContent, digest: digestOf(layerBytes), size: layerBytes.length };
  const config = Buffer.from('{}');
  const configDesc = { mediaType: MT.fluxConfig, digest: digestOf(config), size: config.length };
  await store.pushBlob(layer, layerBytes);
  await store.pushBlob(configDesc, config);
  const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: configDesc, layers: [layer] }));
  const root = { mediaType: MT.ociManifest, digest: digestOf(m), size: m.length };
  await store.pushManifest(root, m, 'v1');
  return { store, root, layer, layerBytes };
}

describe('copyGraph from an OCI layout', () => {
  it('hands a big blob over as a replayable reader of the layout file, never spooling it', async () => {
    const { store, root, layer, layerBytes } = await layoutWithBigLayer();
    const dst = new Replaying();
    await copyGraph(store, dst, root);
    assert.ok(dst.blobs.get(layer.digest)?.equals(layerBytes));
    assert.ok(dst.bodies.some((b) => typeof b === 'function'));
  });

  it('fails with VERIFY when the layout file does not match its digest', async () => {
    const { store, root, layer } = await layoutWithBigLayer();
    await writeFile(store.blobPath(layer.digest), randomBytes(layer.size));
    await assert.rejects(copyGraph(store, new Replaying(), root), (e: unknown) => e instanceof OcipackError && e.code === 'VERIFY');
  });
});
