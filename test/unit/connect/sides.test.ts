/** parseSides and friends: both references checked before any I/O, tag lists, side credentials bound to their registry, mounts and same-store. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mountSource, parseSides, sameStore, sideCreds } from '../../../src/connect/sides.js';
import { OcipackError } from '../../../src/core/errors.js';

const usage = (option?: string) => (e: unknown) => e instanceof OcipackError && e.code === 'USAGE' && (option === undefined || e.context.option === option);

describe('parseSides', () => {
  it('a destination tag list: every tag, the first as the tag', () => {
    const { src, dst, tags } = parseSides({ source: 'oci://r.example/app:1.4.2', destination: 'oci://r.example/prod:1.4.2,1.4,latest' }, 'copy');
    assert.equal(src.kind, 'remote');
    assert.deepEqual(tags, ['1.4.2', '1.4', 'latest']);
    assert.equal(dst.kind === 'remote' && dst.tag, '1.4.2');
  });

  it('a registry destination without a tag has none (not latest); a layout keeps its own', () => {
    const r = parseSides({ source: 'oci://r.example/app:v1', destination: 'oci://r.example/prod' }, 'copy');
    assert.deepEqual(r.tags, []);
    assert.equal(r.dst.tag, undefined);
    const l = parseSides({ source: 'oci://r.example/app:v1', destination: '/tmp/layout', toOciLayout: true }, 'copy');
    assert.equal(l.dst.kind, 'layout');
  });

  it('missing references, a bad concurrency and side credentials on a layout are usage errors', () => {
    assert.throws(() => parseSides({ source: '', destination: 'oci://r/x' }, 'copy'), /copy needs a source reference/);
    assert.throws(() => parseSides({ source: 'oci://r/x', destination: '' }, 'promote'), /promote needs a destination reference/);
    for (const concurrency of [0, -1, 1.5]) {
      assert.throws(() => parseSides({ source: 'oci://r/x:1', destination: 'oci://r/y:1', concurrency }, 'copy'), usage('concurrency'));
    }
    assert.throws(() => parseSides({ source: '/tmp/src:v1', fromOciLayout: true, destination: 'oci://r/y:1', fromCreds: 'u:p' }, 'copy'), usage('fromCreds'));
    assert.throws(() => parseSides({ source: 'oci://r/x:1', destination: '/tmp/dst:v1', toOciLayout: true, toCreds: 'u:p' }, 'copy'), usage('toCreds'));
    // the same credentials on registry sides are fine
    assert.doesNotThrow(() => parseSides({ source: 'oci://r/x:1', destination: 'oci://s/y:1', fromCreds: 'u:p', toCreds: 'v:q' }, 'copy'));
  });
});

describe('sideCreds, mountSource, sameStore', () => {
  const remote = (ref: string) => parseSides({ source: ref, destination: 'oci://other.example/x:1' }, 't').src;
  const layout = (dir: string) => parseSides({ source: `${dir}:v1`, fromOciLayout: true, destination: 'oci://other.example/x:1' }, 't').src;

  it('each side\'s credentials bound to its own registry; none for a layout', () => {
    const a = remote('oci://a.example/app:1');
    const b = remote('oci://b.example/app:1');
    assert.deepEqual(sideCreds({ fromCreds: 'u:p', toCreds: 'v:q' }, a, b), [
      { registry: 'a.example', creds: 'u:p', flag: 'fromCreds' },
      { registry: 'b.example', creds: 'v:q', flag: 'toCreds' },
    ]);
    assert.deepEqual(sideCreds({ fromCreds: 'u:p' }, layout('/tmp/l'), b), []);
    assert.deepEqual(sideCreds({}, a, b), []);
  });

  it('a mount only between two repositories of one registry', () => {
    assert.equal(mountSource(remote('oci://r.example/a:1'), remote('oci://r.example/b:1')), 'a');
    assert.equal(mountSource(remote('oci://r.example/a:1'), remote('oci://r.example/a:2')), undefined);
    assert.equal(mountSource(remote('oci://r.example/a:1'), remote('oci://s.example/b:1')), undefined);
    assert.equal(mountSource(layout('/tmp/l'), remote('oci://r.example/b:1')), undefined);
  });

  it('the same repository, or the same layout directory, is one store', () => {
    assert.equal(sameStore(remote('oci://r.example/a:1'), remote('oci://r.example/a:2')), true);
    assert.equal(sameStore(remote('oci://r.example/a:1'), remote('oci://r.example/b:1')), false);
    assert.equal(sameStore(layout('/tmp/l'), layout('/tmp/l')), true);
    assert.equal(sameStore(layout('/tmp/l'), layout('/tmp/m')), false);
    assert.equal(sameStore(layout('/tmp/l'), remote('oci://r.example/a:1')), false);
  });
});
