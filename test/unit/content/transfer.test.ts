/**
 * transferArtifact and its helpers over in-memory stores and a layout: the graph then the tag(s), referrers of
 * the root and of an index's children brought along, a rerun with keepPresent into a layout writing nothing,
 * a mount that fails meaning "transfer it" (a cancel still stops), an empty dry-run destination.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OcipackError } from '../../../src/core/errors.js';
import { childManifests, emptyTarget, mountFrom, transferArtifact } from '../../../src/content/transfer.js';
import type { Descriptor } from '../../../src/oci/descriptor.js';
import { referrersTag } from '../../../src/oci/digest.js';
import { MemoryTarget, scratchLayout } from '../../helpers/fakes.js';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';

/** An image (config + one layer) under `tag`, an index over it under `idx`, a referrer of the image listed in its fallback index. */
function source(): { src: MemoryTarget; image: Descriptor; index: Descriptor; referrer: Descriptor } {
  const src = new MemoryTarget();
  const config = src.addBlob(Buffer.from('{}'), 'application/vnd.oci.image.config.v1+json');
  const layer = src.addBlob(Buffer.from('layer bytes'), 'application/vnd.oci.image.layer.v1.tar+gzip');
  const image = src.addManifest({ schemaVersion: 2, mediaType: MANIFEST, config, layers: [layer] }, 'v1');
  const index = src.addManifest({ schemaVersion: 2, mediaType: INDEX, manifests: [image] }, 'idx', INDEX);
  const empty = src.addBlob(Buffer.from('{}'), 'application/vnd.oci.empty.v1+json');
  const referrer = src.addManifest({ schemaVersion: 2, mediaType: MANIFEST, artifactType: 'application/x-sig', config: { ...empty, mediaType: 'application/vnd.oci.empty.v1+json' }, layers: [], subject: image });
  src.addManifest({ schemaVersion: 2, mediaType: INDEX, manifests: [{ ...referrer, artifactType: 'application/x-sig' }] }, referrersTag(image.digest), INDEX);
  return { src, image, index, referrer };
}

describe('transferArtifact', () => {
  it('copies the graph and writes every tag', async () => {
    const { src, image } = source();
    const dst = new MemoryTarget();
    const r = await transferArtifact(src, dst, image, { tags: ['a', 'b'] });
    assert.equal(r.copied, 3);
    assert.equal(r.referrers, 0);
    assert.ok(dst.manifests.has('a') && dst.manifests.has('b'));
    assert.ok(!dst.manifests.has(referrersTag(image.digest)), 'no referrers unless asked');
  });

  it('an index: the referrers of its child manifests come along', async () => {
    const { src, index, image, referrer } = source();
    assert.deepEqual(await childManifests(src, index), [image.digest]);
    assert.deepEqual(await childManifests(src, image), []);
    const dst = new MemoryTarget();
    const r = await transferArtifact(src, dst, index, { tag: 'idx', includeReferrers: true });
    assert.equal(r.referrers, 1);
    assert.ok(dst.manifests.has(referrer.digest));
    assert.ok(dst.manifests.has(referrersTag(image.digest)), 'the destination lists it in its fallback index');
  });

  it('with referrers, the tags come last: the root by digest, then its referrers, then the tags', async () => {
    const { src, image, referrer } = source();
    const dst = new MemoryTarget();
    const writes: string[] = [];
    const push = dst.pushManifest.bind(dst);
    dst.pushManifest = async (d, bytes, tag) => {
      writes.push(tag ?? (d.digest === image.digest ? 'root' : d.digest === referrer.digest ? 'referrer' : d.digest));
      return push(d, bytes, tag);
    };
    const r = await transferArtifact(src, dst, image, { tags: ['v1', 'stable'], includeReferrers: true });
    assert.equal(r.referrers, 1);
    const at = (w: string): number => writes.indexOf(w);
    assert.ok(at('root') >= 0 && at('referrer') > at('root'), writes.join(' '));
    assert.ok(at('v1') > at('referrer') && at('stable') > at('referrer'), `no tag before the referrer: ${writes.join(' ')}`);
    assert.equal((await dst.resolve('stable')).digest, image.digest);
    // with keepPresent, a rerun writes no tag that already names the root
    writes.length = 0;
    await transferArtifact(src, dst, image, { tags: ['v1', 'stable'], includeReferrers: true, keepPresent: true });
    assert.deepEqual(writes.filter((w) => w === 'v1' || w === 'stable'), []);
  });

  it('a dry run counts and writes nothing', async () => {
    const { src, image } = source();
    const dst = new MemoryTarget();
    const r = await transferArtifact(src, dst, image, { tag: 'v1', includeReferrers: true, dryRun: true });
    assert.ok(r.copied >= 3 && r.bytes > 0);
    assert.equal(dst.manifests.size + dst.blobs.size, 0);
  });

  it('into a layout with keepPresent: a rerun writes nothing, the referrer included', async () => {
    const { src, image } = source();
    const dst = await scratchLayout();
    const first = await transferArtifact(src, dst, image, { tag: 'v1', includeReferrers: true, keepPresent: true });
    assert.equal(first.referrers, 1);
    const again = await transferArtifact(src, dst, image, { tag: 'v1', includeReferrers: true, keepPresent: true });
    assert.deepEqual({ copied: again.copied, bytes: again.bytes, referrers: again.referrers }, { copied: 0, bytes: 0, referrers: 0 });
    // a tag not yet there is still written
    const moved = await transferArtifact(src, dst, image, { tag: 'v2', keepPresent: true });
    assert.equal(moved.copied, 1);
    assert.equal((await dst.resolve('v2')).digest, image.digest);
  });
});

describe('mountFrom', () => {
  const d: Descriptor = { mediaType: 'application/octet-stream', digest: `sha256:${'a'.repeat(64)}`, size: 1 };

  it('undefined for a store that cannot mount', () => {
    assert.equal(mountFrom(new MemoryTarget(), 'other', () => undefined), undefined);
  });

  it('a mount answered, refused or failed; a cancel stops', async () => {
    const debug: string[] = [];
    let answer: () => Promise<boolean> = async () => true;
    const dst = Object.assign(new MemoryTarget(), { mountBlob: (_d: Descriptor, _from: string) => answer() });
    const mount = mountFrom(dst, 'team/app', (m) => debug.push(m))!;
    assert.equal(await mount(d), true);
    assert.match(debug.pop()!, /mounted sha256:a+ from team\/app/);
    answer = async () => false;
    assert.equal(await mount(d), false);
    assert.equal(debug.length, 0);
    answer = async () => { throw new Error('boom'); };
    assert.equal(await mount(d), false);
    assert.match(debug.pop()!, /mount of .* from team\/app failed \(boom\); copying it/);
    answer = async () => { throw new OcipackError('CANCELLED', 'interrupted'); };
    await assert.rejects(mount(d), /interrupted/);
  });
});

describe('emptyTarget', () => {
  it('holds nothing and refuses writes', async () => {
    const t = emptyTarget('./new-layout');
    assert.deepEqual(await t.listTags(), []);
    assert.equal(await t.exists({ mediaType: MANIFEST, digest: 'sha256:x', size: 1 }), false);
    for (const p of [t.resolve('v1'), t.fetchManifest('v1'), t.fetchBlob({ mediaType: MANIFEST, digest: 'sha256:b', size: 1 })]) {
      await assert.rejects(p, (e: unknown) => e instanceof OcipackError && e.code === 'NOT_FOUND' && e.message.includes('./new-layout'));
    }
    await assert.rejects(t.pushManifest({ mediaType: MANIFEST, digest: 'sha256:x', size: 1 }, Buffer.from('{}')), /a dry run writes nothing/);
    await assert.rejects(t.pushBlob({ mediaType: MANIFEST, digest: 'sha256:x', size: 1 }, Buffer.from('{}')), /a dry run writes nothing/);
  });
});
