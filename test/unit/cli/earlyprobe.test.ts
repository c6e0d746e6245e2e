/** Which argument lists name a first registry for the early TLS probe (src/cli/earlyprobe.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstRegistryRef } from '../../../src/cli/earlyprobe.js';

const argv = (...args: string[]): string[] => ['node', 'ocipack', ...args];

describe('firstRegistryRef', () => {
  it('is the first oci:// reference of a run', () => {
    assert.equal(firstRegistryRef(argv('pull', 'oci://127.0.0.1:5000/a/b:v1', '-o', 'out'))?.host, '127.0.0.1:5000');
    assert.equal(firstRegistryRef(argv('push', '--path', '.', 'oci://localhost:5000/app:v1'))?.host, 'localhost:5000');
    assert.equal(firstRegistryRef(argv('copy', 'oci://[::1]:5000/a:v1', 'oci://ghcr.io/o/a:v1'))?.host, '[::1]:5000');
    assert.equal(firstRegistryRef(argv('copy', 'oci://ghcr.io/o/a:v1', 'oci://127.0.0.1:5000/a:v1'))?.host, 'ghcr.io');
  });

  it('is nothing for help, after `--`, for a malformed reference or a layout', () => {
    assert.equal(firstRegistryRef(argv('pull', 'oci://127.0.0.1:5000/a:v1', '--help')), undefined);
    assert.equal(firstRegistryRef(argv('pull', 'oci://127.0.0.1:5000/a:v1', '-h')), undefined);
    assert.equal(firstRegistryRef(argv('help', 'pull', 'oci://127.0.0.1:5000/a:v1')), undefined);
    assert.equal(firstRegistryRef(argv('pull', '--', 'oci://127.0.0.1:5000/a:v1')), undefined);
    assert.equal(firstRegistryRef(argv('pull', 'oci://127.0.0.1:5000/UPPER:v1')), undefined);
    assert.equal(firstRegistryRef(argv('pull', './layout', '--oci-layout')), undefined);
  });
});
