import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { LAYOUT_DEFAULT_REFERENCE, OciLayoutStore, isLayoutDir } from '../../../src/content/layout.js';
import { OcipackError } from '../../../src/core/errors.js';
import type { Descriptor } from '../../../src/oci/descriptor.js';
import { digestOf } from '../../../src/oci/digest.js';
import { MT } from '../../../src/oci/mediatypes.js';
import { item, readAll, scratchDir } from '../../helpers/fakes.js';

const tempDir = (): Promise<string> => scratchDir('ocipack-layout-');
const blob = item;

function manifest(config: Descriptor, layers: Descriptor[], note = ''): { desc: Descriptor; bytes: Buffer } {
  const m = { schemaVersion: 2, mediaType: MT.ociManifest, config, layers, annotations: { note } };
  return blob(JSON.stringify(m), MT.ociManifest);
}

/** A layout with one config, one layer and one manifest stored under `tag`. */
async function seeded(tag = 'v1', note = ''): Promise<{ store: OciLayoutStore; dir: string; m: ReturnType<typeof manifest>; layer: ReturnType<typeof blob> }> {
  const dir = join(await tempDir(), 'layout');
  const store = await OciLayoutStore.open(dir, { create: true });
  const config = blob('{}', MT.ociConfig);
  const layer = blob(`layer bytes ${note}`, MT.ociLayerTarGzip);
  await store.pushBlob(config.desc, config.bytes);
  await store.pushBlob(layer.desc, () => Readable.from([layer.bytes]));
  const m = manifest(config.desc, [layer.desc], note);
  await store.pushManifest(m.desc, m.bytes, tag);
  return { store, dir, m, layer };
}

function hasCode(code: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof OcipackError, `expected OcipackError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

async function indexJson(dir: string): Promise<{ schemaVersion: number; mediaType: string; manifests: Descriptor[] }> {
  return JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { schemaVersion: number; mediaType: string; manifests: Descriptor[] };
}

describe('OciLayoutStore.open', () => {
  it('rejects a missing directory for reading with NOT_FOUND', async () => {
    await assert.rejects(OciLayoutStore.open(join(await tempDir(), 'nope'), { create: false }), hasCode('NOT_FOUND'));
  });

  it('rejects a directory that is not a layout with BAD_INPUT', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'README'), 'hi');
    await assert.rejects(OciLayoutStore.open(dir, { create: false }), hasCode('BAD_INPUT'));
    await assert.rejects(OciLayoutStore.open(dir, { create: true }), hasCode('BAD_INPUT'));
    await assert.rejects(OciLayoutStore.open(join(dir, 'README'), { create: true }), hasCode('BAD_INPUT'));
  });

  it('rejects an unsupported imageLayoutVersion', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await assert.rejects(OciLayoutStore.open(dir, { create: false }), hasCode('BAD_INPUT'));
  });

  it('creates the layout files only on the first push', async () => {
    const dir = join(await tempDir(), 'new');
    const store = await OciLayoutStore.open(dir, { create: true });
    assert.equal(await isLayoutDir(dir), false);
    assert.deepEqual(await store.listTags(), []);
    const b = blob('x');
    await store.pushBlob(b.desc, b.bytes);
    assert.equal(await isLayoutDir(dir), true);
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    assert.deepEqual(await indexJson(dir), { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] });
    await OciLayoutStore.open(dir, { create: false });
  });
});

describe('OciLayoutStore push and resolve', () => {
  it('stores a tagged manifest that resolves by tag and by digest', async () => {
    const { store, dir, m, layer } = await seeded('v1');
    const index = await indexJson(dir);
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, MT.ociIndex);
    assert.deepEqual(index.manifests, [{ ...m.desc, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }]);
    assert.deepEqual(await store.resolve('v1'), m.desc);
    assert.deepEqual(await store.resolve(m.desc.digest), m.desc);
    const fetched = await store.fetchManifest('v1');
    assert.deepEqual(fetched.bytes, m.bytes);
    assert.deepEqual(fetched.descriptor, m.desc);
    const hex = layer.desc.digest.slice('sha256:'.length);
    assert.deepEqual(await readFile(join(dir, 'blobs', 'sha256', hex)), layer.bytes);
    assert.deepEqual(await readAll(await store.fetchBlob(layer.desc)), layer.bytes);
    assert.equal(await store.exists(layer.desc), true);
    assert.equal(await store.exists({ ...layer.desc, size: layer.desc.size + 1 }), false);
  });

  it('resolves an unlisted manifest by digest from its content', async () => {
    const { store } = await seeded();
    const child = manifest(blob('{}', MT.ociConfig).desc, [], 'child');
    await store.pushBlob(child.desc, child.bytes);
    assert.deepEqual(await store.resolve(child.desc.digest), { mediaType: MT.ociManifest, digest: child.desc.digest, size: child.desc.size });
  });

  it('reports a missing tag, a missing digest and a malformed digest', async () => {
    const { store } = await seeded();
    await assert.rejects(store.resolve('nope'), hasCode('NOT_FOUND'));
    await assert.rejects(store.resolve(digestOf('missing')), hasCode('NOT_FOUND'));
    await assert.rejects(store.resolve('sha256:abc'), hasCode('USAGE'));
    await assert.rejects(store.fetchBlob(blob('missing').desc), hasCode('NOT_FOUND'));
  });

  it('moves a tag, drops the entry it left and keeps untagged entries', async () => {
    const { store, dir, m } = await seeded('v1', 'one');
    const untagged = manifest(blob('{}', MT.ociConfig).desc, [], 'untagged');
    await store.pushManifest(untagged.desc, untagged.bytes);
    const two = manifest(blob('{}', MT.ociConfig).desc, [], 'two');
    await store.pushManifest(two.desc, two.bytes, 'v1');
    assert.equal((await store.resolve('v1')).digest, two.desc.digest);
    const digests = (await indexJson(dir)).manifests.map((e) => e.digest);
    assert.deepEqual(digests, [two.desc.digest, untagged.desc.digest]);
    // The old manifest's blob stays; only its index entry is gone.
    assert.deepEqual((await store.fetchManifest(m.desc.digest)).bytes, m.bytes);
  });

  it('gives one manifest several tags and lists them in index order', async () => {
    const { store, dir, m } = await seeded('v1');
    await store.pushManifest(m.desc, m.bytes, 'latest');
    await store.pushManifest(m.desc, m.bytes, 'latest');
    await store.pushManifest(m.desc, m.bytes);
    assert.deepEqual(await store.listTags(), ['v1', 'latest']);
    assert.equal((await indexJson(dir)).manifests.length, 2);
  });

  it('writes several tags of one manifest in one call (pushManifestTags), untagged entries folded in', async () => {
    const { store, dir, m } = await seeded('v1');
    const other = manifest(blob('{}', MT.ociConfig).desc, [], 'other');
    await store.pushManifest(other.desc, other.bytes);
    await store.pushManifest(other.desc, other.bytes, 'c');
    const single = store.pushManifest.bind(store);
    let singles = 0;
    store.pushManifest = async (...args) => { singles++; return single(...args); };
    assert.deepEqual(await store.pushManifestTags(other.desc, other.bytes, ['a', 'b', 'v1']), ['a', 'b', 'v1']);
    assert.equal(singles, 0);
    const entries = (await indexJson(dir)).manifests.map((e) => [e.annotations?.['org.opencontainers.image.ref.name'], e.digest]);
    assert.deepEqual(entries, [['v1', other.desc.digest], ['c', other.desc.digest], ['a', other.desc.digest], ['b', other.desc.digest]]);
    assert.notEqual(m.desc.digest, other.desc.digest);
    await assert.rejects(store.pushManifestTags(other.desc, other.bytes, ['ok', 'bad tag']), hasCode('USAGE'));
    assert.deepEqual(await store.listTags(), ['v1', 'c', 'a', 'b'], 'a bad tag writes none of the list');
  });

  it('folds an untagged entry into the tag given later', async () => {
    const dir = join(await tempDir(), 'l');
    const store = await OciLayoutStore.open(dir, { create: true });
    const m = manifest(blob('{}', MT.ociConfig).desc, []);
    await store.pushManifest(m.desc, m.bytes);
    assert.equal((await indexJson(dir)).manifests.length, 1);
    await store.pushManifest(m.desc, m.bytes, 'v2');
    assert.deepEqual((await indexJson(dir)).manifests.map((e) => e.annotations), [{ 'org.opencontainers.image.ref.name': 'v2' }]);
  });

  it('serialises concurrent index updates, even from two store instances', async () => {
    const dir = join(await tempDir(), 'l');
    const a = await OciLayoutStore.open(dir, { create: true });
    const b = await OciLayoutStore.open(dir, { create: true });
    const tags = Array.from({ length: 20 }, (_, i) => `t${i}`);
    await Promise.all(tags.map((t, i) => {
      const m = manifest(blob('{}', MT.ociConfig).desc, [], t);
      return (i % 2 ? a : b).pushManifest(m.desc, m.bytes, t);
    }));
    assert.deepEqual([...(await a.listTags())].sort(), [...tags].sort());
  });

  it('rejects an invalid tag and a manifest whose bytes do not match the descriptor', async () => {
    const { store } = await seeded();
    const m = manifest(blob('{}', MT.ociConfig).desc, [], 'x');
    await assert.rejects(store.pushManifest(m.desc, m.bytes, 'bad tag'), hasCode('USAGE'));
    await assert.rejects(store.pushManifest(m.desc, Buffer.from('{}'), 'ok'), hasCode('VERIFY'));
  });

  it('stores and resolves a full reference as ref.name (podman, Helm cache); no tag means latest, else the only image', async () => {
    const { store, m } = await seeded('localhost/app:latest');
    assert.equal((await store.resolve('localhost/app:latest')).digest, m.desc.digest);
    assert.equal((await store.resolve(LAYOUT_DEFAULT_REFERENCE)).digest, m.desc.digest, 'the only image, although not tagged latest');
    await assert.rejects(store.resolve('latest'), hasCode('NOT_FOUND'), 'an explicit latest does not fall back');
    const other = manifest(blob('{}', MT.ociConfig).desc, [], 'other');
    await store.pushManifest(other.desc, other.bytes);
    await assert.rejects(store.resolve(LAYOUT_DEFAULT_REFERENCE), (err: unknown) => {
      assert.ok(err instanceof OcipackError && err.code === 'NOT_FOUND');
      assert.match(err.message, /holds 2 images \(ref names "localhost\/app:latest"\)/);
      return true;
    });
    await store.pushManifest(other.desc, other.bytes, 'latest');
    assert.equal((await store.resolve(LAYOUT_DEFAULT_REFERENCE)).digest, other.desc.digest, 'latest wins when there');
    await assert.rejects(store.pushManifest(other.desc, other.bytes, 'a//b'), hasCode('USAGE'));
  });

  it('caps manifest reads', async () => {
    const { dir } = await seeded('v1');
    const small = await OciLayoutStore.open(dir, { create: false, maxManifestBytes: 16 });
    await assert.rejects(small.fetchManifest('v1'), hasCode('CAP'));
  });
});

describe('OciLayoutStore verification', () => {
  it('detects a corrupted blob on fetch', async () => {
    const { store, dir, m, layer } = await seeded();
    const path = join(dir, 'blobs', 'sha256', layer.desc.digest.slice(7));
    const corrupt = Buffer.from(layer.bytes);
    corrupt[0] = corrupt[0]! ^ 0xff;
    await writeFile(path, corrupt);
    await assert.rejects(readAll(await store.fetchBlob(layer.desc)), hasCode('VERIFY'));
    const mpath = join(dir, 'blobs', 'sha256', m.desc.digest.slice(7));
    await writeFile(mpath, Buffer.from(m.bytes.toString().replace('"schemaVersion":2', '"schemaVersion":3')));
    await assert.rejects(store.fetchManifest('v1'), hasCode('VERIFY'));
  });

  it('rejects a pushBlob with the wrong digest or size and leaves no file behind', async () => {
    const dir = join(await tempDir(), 'l');
    const store = await OciLayoutStore.open(dir, { create: true });
    const good = blob('the real content');
    const lie = { ...good.desc, digest: digestOf('something else') };
    await assert.rejects(store.pushBlob(lie, good.bytes), hasCode('VERIFY'));
    await assert.rejects(store.pushBlob(lie, () => Readable.from([good.bytes])), hasCode('VERIFY'));
    const tooLong = () => Readable.from([good.bytes, Buffer.from('more')]);
    await assert.rejects(store.pushBlob(good.desc, tooLong), hasCode('VERIFY'));
    const short = { ...good.desc, size: good.desc.size + 1 };
    await assert.rejects(store.pushBlob(short, () => Readable.from([good.bytes])), hasCode('VERIFY'));
    assert.deepEqual(await readdir(join(dir, 'blobs', 'sha256')), []);
    assert.equal(await store.exists(good.desc), false);
  });

  it('stores sha512 blobs under blobs/sha512', async () => {
    const { createHash } = await import('node:crypto');
    const bytes = Buffer.from('sha512 content');
    const desc = { mediaType: 'application/octet-stream', digest: `sha512:${createHash('sha512').update(bytes).digest('hex')}`, size: bytes.length };
    const dir = join(await tempDir(), 'l');
    const store = await OciLayoutStore.open(dir, { create: true });
    await store.pushBlob(desc, () => Readable.from([bytes]));
    assert.deepEqual(await readAll(await store.fetchBlob(desc)), bytes);
  });

  it('refuses to read an index.json that is not an index', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(join(dir, 'index.json'), '{"manifests":"nope"}');
    await mkdir(join(dir, 'blobs'));
    const store = await OciLayoutStore.open(dir, { create: false });
    await assert.rejects(store.listTags(), hasCode('BAD_INPUT'));
  });
});
