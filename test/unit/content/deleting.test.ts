/** Deleting: the registries known to refuse deletes, a 405/UNSUPPORTED made plain, a delete of what is already gone. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deleteIfPresent, deletesRefused, deletesRefusedUpFront, refusesDeletes } from '../../../src/content/deleting.js';
import { OcipackError, RegistryError } from '../../../src/core/errors.js';

describe('deleting', () => {
  it('GHCR and Docker Hub refuse deletes; others are asked', () => {
    assert.equal(refusesDeletes('ghcr.io'), true);
    assert.equal(refusesDeletes('docker.io'), true);
    assert.equal(refusesDeletes('registry.example.com:5000'), false);
    const e = deletesRefusedUpFront('ghcr.io', 'prune ghcr.io/org/app');
    assert.equal(e.code, 'REGISTRY');
    assert.match(e.message, /ghcr\.io does not allow deletes.*cannot prune ghcr\.io\/org\/app/);
    assert.equal(e.context.next, 'deletes-refused');
  });

  it('a 405 or an UNSUPPORTED code becomes an error that says deletes are off', () => {
    for (const err of [new RegistryError('REGISTRY', 405, 'method not allowed'), new RegistryError('REGISTRY', 400, 'no', ['UNSUPPORTED'])]) {
      const out = deletesRefused(err, 'r.example', 'DELETE r.example/app@sha256:ab') as RegistryError;
      assert.ok(out instanceof RegistryError);
      assert.equal(out.status, err.status);
      assert.match(out.message, /r\.example does not allow deletes through the registry API: it answered \d+.* for DELETE r\.example\/app@sha256:ab/);
      assert.equal(out.context.next, 'deletes-refused');
    }
    assert.match((deletesRefused(new RegistryError('REGISTRY', 400, 'x', ['UNSUPPORTED']), 'h', 'r') as Error).message, /\(UNSUPPORTED\)/);
  });

  it('other failures, and any failure of a layout (no host), pass unchanged', () => {
    const denied = new RegistryError('REGISTRY', 403, 'denied', ['DENIED']);
    assert.equal(deletesRefused(denied, 'h', 'r'), denied);
    const e405 = new RegistryError('REGISTRY', 405, 'x');
    assert.equal(deletesRefused(e405, undefined, 'r'), e405);
    const plain = new Error('boom');
    assert.equal(deletesRefused(plain, 'h', 'r'), plain);
  });

  it('deleteIfPresent: true when deleted, false when already gone, other failures thrown', async () => {
    const gone = new Set<string>();
    const target = {
      async delete(d: string) {
        if (d === 'sha256:bad') throw new OcipackError('REGISTRY', 'broken');
        if (gone.has(d)) throw new OcipackError('NOT_FOUND', 'no such manifest');
        gone.add(d);
      },
    };
    assert.equal(await deleteIfPresent(target, 'sha256:aa'), true);
    assert.equal(await deleteIfPresent(target, 'sha256:aa'), false);
    await assert.rejects(deleteIfPresent(target, 'sha256:bad'), /broken/);
  });
});
