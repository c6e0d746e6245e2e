/**
 * scanTags/tagsNaming: a paged store's pages in order with only the selected tags resolved (a tag gone
 * meanwhile left out), a layout's index read once without a resolve per tag (a tag listed twice once).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanTags, tagPagesOf, tagsNaming, type TagDigest } from '../../../src/content/tagscan.js';
import { MemoryTarget, scratchLayout, item } from '../../helpers/fakes.js';

/** A MemoryTarget answering its tags in pages of `size`; `vanish` tags are listed but no longer resolve. */
class Paged extends MemoryTarget {
  constructor(private readonly size: number, private readonly vanish: string[] = []) {
    super();
  }
  async *tagPages(): AsyncGenerator<string[]> {
    const all = (await this.listTags()).concat(this.vanish).sort();
    for (let i = 0; i < all.length; i += this.size) yield all.slice(i, i + this.size);
  }
}

async function collect(t: MemoryTarget, select?: (tag: string) => boolean): Promise<Array<{ resolved: TagDigest[]; others: string[] }>> {
  const pages: Array<{ resolved: TagDigest[]; others: string[] }> = [];
  await scanTags(t, { concurrency: 2, ...(select ? { select } : {}) }, (resolved, others) => pages.push({ resolved, others }));
  return pages;
}

describe('scanTags', () => {
  it('a paged store: every page in order, selected tags resolved, the rest handed over by name', async () => {
    const t = new Paged(2, ['b-gone']);
    const a = t.addManifest({ n: 'a' }, 'a');
    const c = t.addManifest({ n: 'c' }, 'c.sig');
    t.addManifest({ n: 'd' }, 'd');
    const pages = await collect(t, (tag) => !tag.endsWith('.sig'));
    // pages [a, b-gone] and [c.sig, d]: b-gone no longer resolves and is left out
    assert.deepEqual(pages.map((p) => p.resolved.map((r) => r.tag)), [['a'], ['d']]);
    assert.deepEqual(pages.map((p) => p.others), [[], ['c.sig']]);
    assert.equal(pages[0]!.resolved[0]!.digest, a.digest);
    assert.ok(c.digest.startsWith('sha256:'));
  });

  it('a store without pages is one page', async () => {
    const t = new MemoryTarget();
    t.addManifest({ n: 1 }, 'x');
    t.addManifest({ n: 2 }, 'y');
    const pages = [];
    for await (const p of tagPagesOf(t)) pages.push(p);
    assert.deepEqual(pages, [['x', 'y']]);
    assert.equal((await collect(t)).length, 1);
  });

  it('a layout answers from its index entries, each tag once, without resolving', async () => {
    const store = await scratchLayout();
    const m1 = item('{"schemaVersion":2,"n":1}', 'application/vnd.oci.image.manifest.v1+json');
    const m2 = item('{"schemaVersion":2,"n":2}', 'application/vnd.oci.image.manifest.v1+json');
    await store.pushManifest(m1.desc, m1.bytes, 'v1');
    await store.pushManifest(m2.desc, m2.bytes, 'v2');
    await store.pushManifest(m2.desc, m2.bytes, 'v2.sig');
    let resolves = 0;
    const resolve = store.resolve.bind(store);
    store.resolve = async (r) => {
      resolves++;
      return resolve(r);
    };
    const pages: Array<{ resolved: TagDigest[]; others: string[] }> = [];
    await scanTags(store, { concurrency: 1, select: (tag) => !tag.endsWith('.sig') }, (resolved, others) => pages.push({ resolved, others }));
    assert.equal(pages.length, 1);
    assert.deepEqual(pages[0]!.resolved.map((r) => [r.tag, r.digest]).sort(), [['v1', m1.desc.digest], ['v2', m2.desc.digest]]);
    assert.deepEqual(pages[0]!.others, ['v2.sig']);
    assert.equal(resolves, 0);
    assert.deepEqual((await tagsNaming(store, m2.desc.digest, { concurrency: 1 })).sort(), ['v2', 'v2.sig']);
  });

  it('tagsNaming: the tags of one digest across pages', async () => {
    const t = new Paged(1);
    const shared = t.addManifest({ n: 's' }, 'one');
    t.manifests.set('two', t.manifests.get('one')!);
    t.addManifest({ n: 'other' }, 'three');
    assert.deepEqual(await tagsNaming(t, shared.digest, { concurrency: 3 }), ['one', 'two']);
  });

  it('a failing page fails the scan', async () => {
    const t = new MemoryTarget();
    (t as unknown as { tagPages: () => AsyncGenerator<string[]> }).tagPages = async function* () {
      yield ['a'];
      throw new Error('page 2 broke');
    };
    t.addManifest({ n: 'a' }, 'a');
    await assert.rejects(collect(t), /page 2 broke/);
  });
});
