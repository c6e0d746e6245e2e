/** copyGraph from a layout to a retrying destination reopens the layout's blob file instead of spooling a copy. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { copyGraph } from '../../../src/content/copy.js';
import { OciLayoutStore } from '../../../src/content/layout.js';
import type { Body, FetchedManifest, Target } from '../../../src/content/target.js';
import { OcipackError } from '../../../src/core/errors.js';
import type { Descriptor } from '../../../src/oci/descriptor.js';
import { digestOf } from '../../../src/oci/digest.js';
import { MT } from '../../../src/oci/mediatypes.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ocipack-copy-src-'));
  dirs.push(d);
  return d;
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A destination that is not a layout: reads every body twice (a failed attempt, then the retry). */
class Replaying implements Target {
  readonly name = 'replaying';
  readonly blobs = new Map<string, Buffer>();
  bodies: Body[] = [];
  resolve(): Promise<Descriptor> { throw new Error('unused'); }
  fetchManifest(): Promise<FetchedManifest> { throw new Error('unused'); }
  fetchBlob(): Promise<Readable> { throw new Error('unused'); }
  async exists(d: Descriptor): Promise<boolean> { return this.blobs.has(d.digest); }
  listTags(): Promise<string[]> { return Promise.resolve([]); }
  async pushBlob(d: Descriptor, body: Body): Promise<void> {
    this.bodies.push(body);
    const first = typeof body === 'function' ? await readAll(body()) : body;
    const second = typeof body === 'function' ? await readAll(body()) : body;
    assert.ok(first.equals(second), 'a replayed body gives the same bytes');
    this.blobs.set(d.digest, second);
  }
  async pushManifest(d: Descriptor, bytes: Buffer): Promise<void> { this.blobs.set(d.digest, bytes); }
}

async function layoutWithBigLayer(): Promise<{ store: OciLayoutStore; root: Descriptor; layer: Descriptor; layerBytes: Buffer }> {
  const store = await OciLayoutStore.open(join(await tmp(), 'layout'), { create: true });
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
