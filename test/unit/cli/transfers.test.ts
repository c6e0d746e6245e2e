import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shortDigest, TransferBoard, type TransferEvent } from '../../../src/cli/transfers.js';

const MiB = 1024 * 1024;
const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const C = `sha256:${'c'.repeat(64)}`;

function board(events: Array<[number, TransferEvent]>): TransferBoard {
  const b = new TransferBoard();
  for (const [t, e] of events) b.apply(e, t);
  return b;
}

test('pack: the total the walk found is shown from the start; no rate for a tiny tree', () => {
  const b = board([[0, { type: 'blob:start', action: 'pack' }], [5, { type: 'blob:progress', action: 'pack', bytes: 0, total: 9 }]]);
  assert.equal(b.text(5), 'packing 9 B…');
  b.apply({ type: 'blob:progress', action: 'pack', bytes: 9, total: 9 }, 300);
  assert.equal(b.text(300), 'packing 9 B / 9 B');
  b.apply({ type: 'blob:done', action: 'pack', digest: A, size: 120 }, 310);
  assert.ok(b.idle, 'a finished pack leaves nothing to show');
});

test('copy: bytes and blobs done of the plan, one line per blob in flight, skipped blobs leave the plan', () => {
  const b = board([
    [0, { type: 'blob:plan', action: 'copy', blobs: 3, bytes: 64 * MiB + 32 * MiB + 10 }],
    [0, { type: 'blob:skip', digest: C, reason: 'exists', size: 10 }],
    [0, { type: 'blob:start', action: 'copy', digest: A, total: 64 * MiB }],
    [0, { type: 'blob:start', action: 'copy', digest: B, total: 32 * MiB }],
    [1000, { type: 'blob:progress', action: 'copy', digest: A, bytes: 16 * MiB, total: 64 * MiB }],
    [1000, { type: 'blob:progress', action: 'copy', digest: B, bytes: 8 * MiB, total: 32 * MiB }],
  ]);
  assert.equal(b.text(1000), [
    'copying 24.0 MiB / 96.0 MiB (24.0 MiB/s), 0/2 blobs',
    `  ${shortDigest(A)} 16.0 MiB / 64.0 MiB (16.0 MiB/s)`,
    `  ${shortDigest(B)} 8.0 MiB / 32.0 MiB (8.0 MiB/s)`,
  ].join('\n'));
  const since = b.startedAt(B, 2000);
  b.apply({ type: 'blob:done', action: 'copy', digest: B, size: 32 * MiB }, 2000);
  assert.equal(b.doneLine({ type: 'blob:done', action: 'copy', digest: B, size: 32 * MiB }, since, 2000), `copied blob 1/2 (32.0 MiB, 16.0 MiB/s) ${B}`);
  assert.match(b.text(2000), /^copying 48\.0 MiB \/ 96\.0 MiB \(24\.0 MiB\/s\), 1\/2 blobs\n {2}sha256:aaaaaaaaaaaa 16\.0 MiB/);
  b.apply({ type: 'blob:done', action: 'copy', digest: A, size: 64 * MiB }, 3000);
  assert.ok(b.idle);
});

test('more blobs in flight than lines: the rest are summed up', () => {
  const events: Array<[number, TransferEvent]> = [[0, { type: 'blob:plan', action: 'copy', blobs: 6, bytes: 6 * MiB }]];
  for (let i = 0; i < 6; i++) events.push([0, { type: 'blob:start', action: 'copy', digest: `sha256:${String(i).repeat(64)}`, total: MiB }]);
  const lines = board(events).text(0).split('\n');
  assert.equal(lines.length, 1 + 4 + 1);
  assert.equal(lines.at(-1), '  and 2 more');
});

test('pull: download bytes with the files extracted so far, then the move into place', () => {
  const b = board([
    [0, { type: 'blob:start', action: 'download', digest: A, total: 10 * MiB }],
    [600, { type: 'blob:progress', action: 'download', bytes: 3 * MiB, total: 10 * MiB }],
    [600, { type: 'blob:progress', action: 'extract', bytes: 9 * MiB, files: 1234 }],
  ]);
  assert.equal(b.text(600), 'downloading 3.0 MiB / 10.0 MiB (5.0 MiB/s), 1234 files (9.0 MiB) extracted');
  b.apply({ type: 'blob:done', action: 'download', digest: A, size: 10 * MiB }, 700);
  assert.ok(b.idle);
  b.apply({ type: 'activity', message: 'moving 1234 files into out' }, 800);
  assert.ok(!b.idle);
  assert.equal(b.text(800), 'moving 1234 files into out');
  b.endActivity();
  assert.ok(b.idle);
});

test('push: the upload line sums the plan (layer and config) without a blob count; a new action starts a new group', () => {
  const b = board([
    [0, { type: 'blob:start', action: 'pack' }],
    [0, { type: 'blob:done', action: 'pack', size: 5 }],
    [10, { type: 'blob:plan', action: 'upload', blobs: 2, bytes: 6 * MiB + 200 }],
    [10, { type: 'blob:start', action: 'upload', digest: A, total: 6 * MiB }],
  ]);
  assert.equal(b.text(10), 'uploading 6.0 MiB…');
  b.apply({ type: 'blob:progress', action: 'upload', digest: A, bytes: 3 * MiB, total: 6 * MiB }, 1010);
  assert.equal(b.text(1010), 'uploading 3.0 MiB / 6.0 MiB (3.0 MiB/s)');
});

test('verify: several downloads at once, each counted under its digest; all done leaves nothing to show', () => {
  const b = board([
    [0, { type: 'blob:start', action: 'download', digest: A, total: 2 * MiB }],
    [0, { type: 'blob:start', action: 'download', digest: B, total: 2 * MiB }],
    [10, { type: 'blob:progress', action: 'download', digest: A, bytes: MiB, total: 2 * MiB }],
    [10, { type: 'blob:progress', action: 'download', digest: B, bytes: MiB, total: 2 * MiB }],
  ]);
  assert.equal(b.text(10), 'downloading 2.0 MiB / 4.0 MiB');
  b.apply({ type: 'blob:done', action: 'download', digest: A, size: 2 * MiB }, 20);
  b.apply({ type: 'blob:done', action: 'download', digest: B, size: 2 * MiB }, 20);
  assert.ok(b.idle);
});

test('a download that ends without completing (verify: a missing or corrupt blob) leaves the line', () => {
  const b = board([
    [0, { type: 'blob:start', action: 'download', digest: A, total: MiB }],
    [0, { type: 'blob:start', action: 'download', digest: B, total: MiB }],
    [5, { type: 'blob:done', action: 'download', digest: A, size: MiB }],
  ]);
  assert.ok(!b.idle);
  b.apply({ type: 'blob:skip', digest: B, reason: 'failed its check', size: MiB }, 6);
  assert.ok(b.idle, 'nothing left in flight');
});
