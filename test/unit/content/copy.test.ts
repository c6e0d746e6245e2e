import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { copyGraph } from '../../../src/content/copy.js';
import { OciLayoutStore } from '../../../src/content/layout.js';
import type { Body, FetchedManifest, Target } from '../../../src/content/target.js';
import { OcipackError } from '../../../src/core/errors.js';
import type { Descriptor } from '../../../src/oci/descriptor.js';
import { digestOf } from '../../../src/oci/digest.js';
import { MT } from '../../../src/oci/mediatypes.js';
import { eventSink, item, readAll, scratchLayout, type Item } from '../../helpers/fakes.js';

const layout = (): Promise<OciLayoutStore> => scratchLayout('ocipack-copy-');

async function putBlobs(store: Target, ...items: Item[]): Promise<void> {
  for (const i of items) await store.pushBlob(i.desc, i.bytes);
}

/** An image (config + layers) stored in `store`; returns the manifest. */
async function image(store: Target, name: string, layers: Item[], extra: Record<string, unknown> = {}): Promise<Item> {
  const config = item(JSON.stringify({ name }), MT.ociConfig);
  await putBlobs(store, config, ...layers);
  const m = item(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: config.desc, layers: layers.map((l) => l.desc), ...extra }), MT.ociManifest);
  await store.pushManifest(m.desc, m.bytes);
  return m;
}

/** A Target that is not an OciLayoutStore (so copy must give it a replayable body), recording the order of writes. */
class Recording implements Target {
  readonly name = 'recording';
  readonly writes: string[] = [];
  readonly fetches: string[] = [];
  afterFirstFetch: (() => Promise<void>) | undefined;
  constructor(private readonly inner: OciLayoutStore, private readonly replays = 1) {}
  resolve(r: string): Promise<Descriptor> { return this.inner.resolve(r); }
  fetchManifest(r: string): Promise<FetchedManifest> { return this.inner.fetchManifest(r); }
  async fetchBlob(d: Descriptor): Promise<Readable> {
    this.fetches.push(d.digest);
    const stream = await this.inner.fetchBlob(d);
    const hook = this.afterFirstFetch;
    this.afterFirstFetch = undefined;
    await hook?.();
    return stream;
  }
  exists(d: Descriptor): Promise<boolean> { return this.inner.exists(d); }
  listTags(): Promise<string[]> { return this.inner.listTags(); }
  async pushBlob(d: Descriptor, body: Body): Promise<void> {
    // Simulate failed attempts that read the body partly, as a retrying registry client would.
    if (typeof body === 'function') for (let i = 0; i < this.replays; i++) body().destroy();
    await this.inner.pushBlob(d, body);
    this.writes.push(d.digest);
  }
  async pushManifest(d: Descriptor, bytes: Buffer, tag?: string): Promise<void> {
    await this.inner.pushManifest(d, bytes, tag);
    this.writes.push(d.digest);
  }
}

describe('copyGraph', () => {
  it('copies an image layout to layout and skips the blobs the destination has', async () => {
    const src = await layout();
    const dst = await layout();
    const l1 = item('layer one', MT.ociLayerTarGzip);
    const l2 = item('layer two', MT.ociLayerTarGzip);
    const m = await image(src, 'app', [l1, l2]);
    await putBlobs(dst, l1);
    const { events, onEvent } = eventSink();
    const result = await copyGraph(src, dst, m.desc, { tag: 'v1', onEvent });
    assert.deepEqual(events.filter((e) => e.type === 'blob:skip'), [{ type: 'blob:skip', digest: l1.desc.digest, reason: 'exists', size: l1.desc.size }]);
    const config = JSON.parse(m.bytes.toString()).config as { size: number };
    assert.deepEqual(events.filter((e) => e.type === 'blob:plan'), [{ type: 'blob:plan', action: 'upload', blobs: 3, bytes: l1.desc.size + l2.desc.size + config.size }], 'one plan for the manifest\'s blobs');
    const l2Progress = events.filter((e) => e.type === 'blob:progress' && e.digest === l2.desc.digest);
    assert.deepEqual(l2Progress.at(-1), { type: 'blob:progress', action: 'upload', digest: l2.desc.digest, bytes: l2.desc.size, total: l2.desc.size }, 'a layout blob counts its bytes as the destination reads them');
    assert.deepEqual(events.filter((e) => e.type === 'blob:done').map((e) => e.type === 'blob:done' && e.digest).sort(), [l2.desc.digest, JSON.parse(m.bytes.toString()).config.digest].sort());
    assert.deepEqual(events.at(-1), { type: 'manifest:pushed', digest: m.desc.digest, tag: 'v1' });
    assert.equal(result.copied, 3);
    assert.equal(result.skipped, 1);
    assert.equal((await dst.resolve('v1')).digest, m.desc.digest);
    assert.deepEqual(await readAll(await dst.fetchBlob(l2.desc)), l2.bytes);

    const again = eventSink();
    const second = await copyGraph(src, dst, m.desc, { tag: 'v2', onEvent: again.onEvent });
    // A layout destination's graph is always walked (its blobs are checked, not assumed): 3 blobs skipped.
    assert.deepEqual(second, { copied: 1, skipped: 3, bytes: m.desc.size });
    assert.equal(again.events.filter((e) => e.type === 'blob:done').length, 0);
    assert.deepEqual(await dst.listTags(), ['v1', 'v2']);
  });

  it('copies an index with two child manifests completely, children before the root', async () => {
    const src = await layout();
    const shared = item('shared layer', MT.ociLayerTarGzip);
    const a = await image(src, 'amd64', [shared, item('amd64 layer', MT.ociLayerTarGzip)]);
    const b = await image(src, 'arm64', [shared, item('arm64 layer', MT.ociLayerTarGzip)]);
    const idx = item(JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociIndex,
      manifests: [{ ...a.desc, platform: { architecture: 'amd64', os: 'linux' } }, { ...b.desc, platform: { architecture: 'arm64', os: 'linux' } }],
    }), MT.ociIndex);
    await src.pushManifest(idx.desc, idx.bytes, 'multi');
    const dst = new Recording(await layout());
    const result = await copyGraph(src, dst, idx.desc, { tag: 'multi', concurrency: 2 });
    assert.equal(result.copied, 8); // 2 configs + 3 distinct layers + 2 manifests + the index
    assert.equal(dst.writes.at(-1), idx.desc.digest);
    assert.ok(dst.writes.indexOf(a.desc.digest) > dst.writes.indexOf(shared.desc.digest));
    for (const child of [a, b]) {
      const fetched = await dst.fetchManifest(child.desc.digest);
      assert.deepEqual(fetched.bytes, child.bytes);
      const parsed = JSON.parse(fetched.bytes.toString()) as { config: Descriptor; layers: Descriptor[] };
      for (const d of [parsed.config, ...parsed.layers]) assert.ok((await readAll(await dst.fetchBlob(d))).length === d.size);
    }
    assert.equal((await dst.resolve('multi')).digest, idx.desc.digest);
  });

  it('streams big blobs to a layout, and to a retrying destination refetches them from the source (no temp copy)', async () => {
    const src = await layout();
    const big = item(randomBytes(5 * 1024 * 1024), MT.ociLayerTarGzip);
    const m = await image(src, 'big', [big]);
    const direct = await layout();
    assert.equal((await copyGraph(src, direct, m.desc)).bytes, m.desc.size + big.desc.size + JSON.parse(m.bytes.toString()).config.size);
    assert.deepEqual(await readAll(await direct.fetchBlob(big.desc)), big.bytes);
    // A source that is not a layout (a registry's stand-in): each retry of the destination fetches the blob again.
    const remoteLike = new Recording(src);
    const replaying = new Recording(await layout(), 2);
    await copyGraph(remoteLike, replaying, m.desc);
    assert.deepEqual(await readAll(await replaying.fetchBlob(big.desc)), big.bytes);
    // The first attempt's open stream, then one new fetch for the retry that reads (an attempt dropped unread costs no request).
    assert.equal(remoteLike.fetches.filter((d) => d === big.desc.digest).length, 2);
  });

  it('a retry that refetches a blob whose source now serves other bytes fails with VERIFY and stores nothing', async () => {
    const src = await layout();
    const big = item(randomBytes(5 * 1024 * 1024), MT.ociLayerTarGzip);
    const m = await image(src, 'big', [big]);
    const remoteLike = new Recording(src);
    const dst = await layout();
    const replaying = new Recording(dst, 1);
    remoteLike.afterFirstFetch = async () => writeFile(src.blobPath(big.desc.digest), randomBytes(big.desc.size));
    await assert.rejects(copyGraph(remoteLike, replaying, m.desc), { code: 'VERIFY' });
    assert.equal(await dst.exists(big.desc), false);
  });

  it('does not follow subject and leaves out a foreign layer the source lacks', async () => {
    const src = await layout();
    const foreign = item('not here', 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', { urls: ['https://example.invalid/layer'] });
    const subject = item('{"not":"stored"}', MT.ociManifest);
    const config = item('{}', MT.ociConfig);
    await putBlobs(src, config);
    const m = item(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: config.desc, layers: [foreign.desc], subject: subject.desc }), MT.ociManifest);
    await src.pushManifest(m.desc, m.bytes);
    const dst = await layout();
    const { events, onEvent } = eventSink();
    const result = await copyGraph(src, dst, m.desc, { onEvent });
    assert.deepEqual(result, { copied: 2, skipped: 1, bytes: config.desc.size + m.desc.size });
    assert.ok(events.some((e) => e.type === 'warning' && e.message.includes(foreign.desc.digest)));
    assert.equal(await dst.exists(subject.desc), false);
  });

  it('counts a mounted blob as skipped', async () => {
    const src = await layout();
    const layer = item('mount me', MT.ociLayerTarGzip);
    const m = await image(src, 'm', [layer]);
    const dst = await layout();
    const mounted: string[] = [];
    const mount = async (d: Descriptor): Promise<boolean> => {
      if (d.digest !== layer.desc.digest) return false;
      mounted.push(d.digest);
      await dst.pushBlob(layer.desc, layer.bytes);
      return true;
    };
    const { events, onEvent } = eventSink();
    const result = await copyGraph(src, dst, m.desc, { mount, onEvent });
    assert.deepEqual(mounted, [layer.desc.digest]);
    assert.equal(result.skipped, 1);
    assert.ok(events.some((e) => e.type === 'blob:skip' && e.reason === 'mounted'));
  });

  it('fails with VERIFY on a corrupted source blob and does not push the root', async () => {
    const src = await layout();
    const layer = item('good bytes', MT.ociLayerTarGzip);
    const m = await image(src, 'c', [layer]);
    await writeFile(join(src.dir, 'blobs', 'sha256', layer.desc.digest.slice(7)), 'evil bytes');
    const dst = await layout();
    await assert.rejects(copyGraph(src, dst, m.desc, { tag: 'v1' }), (err: unknown) => err instanceof OcipackError && err.code === 'VERIFY');
    assert.equal(await dst.exists(layer.desc), false);
    await assert.rejects(dst.resolve('v1'), (err: unknown) => err instanceof OcipackError && err.code === 'NOT_FOUND');
  });

  it('aborts a blob transfer in flight and leaves no blob file', async () => {
    const src = await layout();
    const stalled = { mediaType: MT.ociLayerTarGzip, digest: digestOf('never completes'), size: 8 * 1024 * 1024 };
    const config = item('{}', MT.ociConfig);
    await putBlobs(src, config);
    const m = item(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: config.desc, layers: [stalled] }), MT.ociManifest);
    await src.pushManifest(m.desc, m.bytes);
    const ac = new AbortController();
    const hanging = Object.create(src) as OciLayoutStore;
    hanging.fetchBlob = async (d: Descriptor) => {
      if (d.digest !== stalled.digest) return src.fetchBlob(d);
      // One chunk, then nothing: abort once the destination asks for more (it holds the stalled stream),
      // not after a guessed delay (deterministic, whether it pipes or iterates).
      let sent = false;
      return new Readable({
        read() {
          if (sent) return void setImmediate(() => ac.abort());
          sent = true;
          this.push(Buffer.alloc(1024));
        },
      });
    };
    const dst = await layout();
    await assert.rejects(copyGraph(hanging, dst, m.desc, { signal: ac.signal }), (err: unknown) => err instanceof OcipackError && err.code === 'CANCELLED');
    const left = await readdir(join(dst.dir, 'blobs', 'sha256')).catch(() => [] as string[]);
    assert.deepEqual(left.filter((n) => !n.startsWith(config.desc.digest.slice(7))), []);
    assert.deepEqual((await readdir(dst.dir)).filter((n) => n.includes('tmp') || n.startsWith('.')), []);
  });

  it('stops with CANCELLED when the signal is aborted', async () => {
    const src = await layout();
    const m = await image(src, 'x', [item('l', MT.ociLayerTarGzip)]);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(copyGraph(src, await layout(), m.desc, { signal: ac.signal }), (err: unknown) => err instanceof OcipackError && err.code === 'CANCELLED');
  });

  it('keepPresent: a root the destination holds under its tag is not written again; under another tag only the manifest is', async () => {
    const src = await layout();
    const m = await image(src, 'kept', [item('kept layer', MT.ociLayerTarGzip)]);
    const dst = new Recording(await layout());
    assert.equal((await copyGraph(src, dst, m.desc, { tag: 'v1', keepPresent: true })).copied, 3);
    dst.writes.length = 0;
    assert.deepEqual(await copyGraph(src, dst, m.desc, { tag: 'v1', keepPresent: true }), { copied: 0, skipped: 1, bytes: 0 });
    assert.deepEqual(await copyGraph(src, dst, m.desc, { keepPresent: true }), { copied: 0, skipped: 1, bytes: 0 });
    assert.deepEqual(dst.writes, []);
    assert.equal((await copyGraph(src, dst, m.desc, { tag: 'v2', keepPresent: true })).copied, 1);
    assert.deepEqual(dst.writes, [m.desc.digest], 'the new tag is one manifest write, no blob');
    assert.equal((await dst.resolve('v2')).digest, m.desc.digest);
  });
});
