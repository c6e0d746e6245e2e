/** placeInto's counts (issue 25): files added, replaced, kept from before, removed — what a merging pull and --clean say. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeInto } from '../../../../src/artifact/tar/place.js';

/** A directory holding `files` (paths with `/` make directories). */
function tree(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'ocipack-place-'));
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), f);
  }
  return root;
}

test('a merge counts files added, replaced and kept (in nested directories too); own staging names are not counted', () => {
  const dest = tree(['a.txt', 'deploy/app.yaml', 'deploy/old.yaml', '.git/HEAD', '.git/refs/main', '.ocipack-staging-1-ab/x']);
  const staged = tree(['a.txt', 'deploy/app.yaml', 'deploy/new.yaml', 'b/c.txt', 'b/d.txt']);
  const report = placeInto(staged, dest, join(dest, '.ocipack-backup-1-ab'));
  assert.deepEqual(report, { added: 3, replaced: 2, kept: 3, removed: 0 });
  assert.ok(readdirSync(dest).includes('.ocipack-staging-1-ab'));
});

test('--clean counts what it removed; a directory replaced by a file counts its files as removed', () => {
  const dest = tree(['a.txt', 'conf/one', 'conf/two', 'gone/x', 'gone/y', 'z', '.ocipack-backup-9-cd/kept']);
  const staged = tree(['a.txt', 'conf']);
  const report = placeInto(staged, dest, join(dest, '.ocipack-backup-2-ef'), { clean: true });
  assert.deepEqual(report, { added: 1, replaced: 1, kept: 0, removed: 5 });
  assert.deepEqual(readdirSync(dest).sort(), ['.ocipack-backup-2-ef', '.ocipack-backup-9-cd', 'a.txt', 'conf']);
});

test('the target is read as lstat sees it: a symlink (to a file or a directory) is replaced, never followed; a real directory/file clash is refused', () => {
  const outside = tree(['secret.txt', 'dir/inner.txt']);
  const dest = tree(['keep.txt']);
  symlinkSync(join(outside, 'secret.txt'), join(dest, 'a.txt'));
  symlinkSync(join(outside, 'dir'), join(dest, 'linked'));
  const staged = tree(['a.txt', 'linked/inner.txt']);
  const report = placeInto(staged, dest, join(dest, '.ocipack-backup-3-ab'));
  assert.deepEqual(report, { added: 1, replaced: 1, kept: 1, removed: 1 });
  assert.equal(readFileSync(join(dest, 'a.txt'), 'utf8'), 'a.txt');
  assert.ok(lstatSync(join(dest, 'linked')).isDirectory(), 'the link was replaced by the staged directory');
  assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'secret.txt', 'nothing written through the link');
  assert.deepEqual(readdirSync(join(outside, 'dir')), ['inner.txt']);
  const clash = tree(['x/y']);
  assert.throws(() => placeInto(tree(['x']), clash, join(clash, '.ocipack-backup-4-ab')), /refusing to replace directory "x" with a file/);
});
