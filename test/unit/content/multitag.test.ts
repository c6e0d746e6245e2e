/** pushManifestTagged: one write for a store that confirms every tag, then one PUT per tag it left out; one PUT per tag for a plain store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pushManifestTagged } from '../../../src/content/multitag.js';
import type { Descriptor } from '../../../src/oci/descriptor.js';
import { item, MemoryTarget } from '../../helpers/fakes.js';

/** A MemoryTarget that records its manifest writes and confirms the tags `confirm` picks when asked for several at once. */
class Recording extends MemoryTarget {
  readonly writes: string[] = [];
  constructor(private readonly confirm?: (tags: readonly string[]) => string[]) {
    super();
    if (confirm === undefined) (this as { pushManifestTags?: unknown }).pushManifestTags = undefined;
  }
  override async pushManifest(d: Descriptor, bytes: Buffer, tag?: string): Promise<void> {
    this.writes.push(tag ?? d.digest);
    await super.pushManifest(d, bytes, tag);
  }
  async pushManifestTags(d: Descriptor, bytes: Buffer, tags: readonly string[]): Promise<string[]> {
    this.writes.push(`${d.digest}?${tags.join(',')}`);
    const ok = this.confirm!(tags);
    for (const t of ok) await super.pushManifest(d, bytes, t);
    return ok;
  }
}

const m = item('{"schemaVersion":2}', 'application/vnd.oci.image.manifest.v1+json');

test('every tag confirmed: one write', async () => {
  const t = new Recording((tags) => [...tags]);
  assert.equal(await pushManifestTagged(t, m.desc, m.bytes, ['a', 'b', 'c']), 1);
  assert.deepEqual(t.writes, [`${m.desc.digest}?a,b,c`]);
  assert.deepEqual(await t.listTags(), ['a', 'b', 'c']);
});

test('some confirmed: one PUT for each of the rest, in the order given', async () => {
  const t = new Recording((tags) => tags.filter((x) => x === 'b'));
  assert.equal(await pushManifestTagged(t, m.desc, m.bytes, ['a', 'b', 'c']), 3);
  assert.deepEqual(t.writes, [`${m.desc.digest}?a,b,c`, 'a', 'c']);
});

test('a store without the capability: one PUT per tag; one tag or none: a single plain write', async () => {
  const plain = new Recording();
  assert.equal(await pushManifestTagged(plain, m.desc, m.bytes, ['a', 'b']), 2);
  assert.deepEqual(plain.writes, ['a', 'b']);
  const one = new Recording((tags) => [...tags]);
  await pushManifestTagged(one, m.desc, m.bytes, ['only']);
  await pushManifestTagged(one, m.desc, m.bytes, []);
  assert.deepEqual(one.writes, ['only', m.desc.digest]);
});
