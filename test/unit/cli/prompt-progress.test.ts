/** The hidden password prompt (a fake terminal on stdin) and the spinner drawn on a fake TTY stream. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { interruptedAtPrompt, passwordPrompt, promptHidden } from '../../../src/cli/password.js';
import { Progress } from '../../../src/cli/progress.js';
import { TransferBoard } from '../../../src/cli/transfers.js';

/** A terminal on stdin: raw mode recorded, the typed keys fed as data once the prompt listens. */
class FakeTty extends EventEmitter {
  isTTY = true;
  isRaw = false;
  modes: boolean[] = [];
  paused = true;
  setRawMode(on: boolean): this {
    this.isRaw = on;
    this.modes.push(on);
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
}

/** Run `fn` with `tty` as process.stdin, typing each of `answers` when a prompt listens; returns what went to stderr. */
async function withTty<T>(answers: string[], fn: () => Promise<T>): Promise<{ value?: T; error?: unknown; stderr: string; tty: FakeTty }> {
  const tty = new FakeTty();
  tty.on('newListener', (event: string) => {
    if (event !== 'data') return;
    const keys = answers.shift();
    if (keys !== undefined) setImmediate(() => tty.emit('data', Buffer.from(keys)));
  });
  const stdin = Object.getOwnPropertyDescriptor(process, 'stdin')!;
  const write = process.stderr.write;
  const err: string[] = [];
  Object.defineProperty(process, 'stdin', { value: tty, configurable: true });
  process.stderr.write = ((s: string | Uint8Array) => {
    err.push(String(s));
    return true;
  }) as typeof process.stderr.write;
  try {
    return { value: await fn(), stderr: err.join(''), tty };
  } catch (error) {
    return { error, stderr: err.join(''), tty };
  } finally {
    process.stderr.write = write;
    Object.defineProperty(process, 'stdin', stdin);
  }
}

test('promptHidden: the prompt on stderr, keys never echoed, backspace edits, Enter ends; raw mode restored and stdin paused', async () => {
  const r = await withTty(['paß\u007fss\bs\r'], () => promptHidden('Password: '));
  assert.equal(r.value, 'pass');
  assert.equal(r.stderr, 'Password: \n', 'nothing typed is echoed');
  assert.deepEqual(r.tty.modes, [true, false]);
  assert.equal(r.tty.paused, true);
  assert.equal(r.tty.listenerCount('data'), 0);
  const ctrl = await withTty(['a\u0001b\n'], () => promptHidden('P: '));
  assert.equal(ctrl.value, 'ab', 'control characters are not part of a password');
});

test('promptHidden: Ctrl-D on an empty line cancels; Ctrl-C counts as SIGINT for the run', async () => {
  const eof = await withTty(['\u0004'], () => promptHidden('P: '));
  assert.match(String(eof.error), /no password given/);
  assert.equal((eof.error as { code?: string }).code, 'CANCELLED');
  const heard: string[] = [];
  const onSig = (s: string): void => {
    heard.push(s);
  };
  process.on('SIGINT', onSig);
  try {
    const intr = await withTty(['ab\u0003'], () => promptHidden('P: '));
    assert.match(String(intr.error), /interrupted at the prompt/);
    assert.deepEqual(heard, ['SIGINT']);
    assert.equal(interruptedAtPrompt().code, 'CANCELLED');
  } finally {
    process.off('SIGINT', onSig);
  }
});

test('passwordPrompt: none without a terminal; with one, the password, asked twice when it must be confirmed', async () => {
  assert.equal(await withTty([], async () => {
    (process.stdin as unknown as FakeTty).isTTY = false;
    return passwordPrompt({ confirm: true });
  }).then((r) => r.value), undefined);
  const once = await withTty(['secret\r'], () => passwordPrompt({ confirm: false })!());
  assert.equal(once.value, 'secret');
  const twice = await withTty(['secret\r', 'secret\r'], () => passwordPrompt({ confirm: true })!());
  assert.equal(twice.value, 'secret');
  assert.match(twice.stderr, /Enter password for private key: \nEnter password for private key again: \n/);
  const differ = await withTty(['secret\r', 'secreT\r'], () => passwordPrompt({ confirm: true })!());
  assert.match(String(differ.error), /the passwords do not match/);
  assert.doesNotMatch(String(differ.error), /secre/);
});

test('Progress: on a TTY of 0 columns (taken as 80) the board is drawn at once, then cleared when idle', async () => {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 0, cursorTo: () => true, moveCursor: () => true, clearLine: () => true });
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  const board = new TransferBoard();
  const p = await Progress.create(stream, false, board);
  assert.equal(stream.columns, 80);
  board.apply({ type: 'blob:start', action: 'upload', digest: 'sha256:aa', total: 2048 }, 0);
  p.refresh(0, true);
  assert.match(chunks.join(''), /uploading 2\.0 KiB…/);
  const drawn = chunks.length;
  board.apply({ type: 'blob:progress', action: 'upload', digest: 'sha256:aa', bytes: 1024, total: 2048 }, 10);
  p.refresh(10, false);
  assert.equal(chunks.length, drawn, 'not urgent and soon after: not redrawn');
  p.refresh(10, true);
  assert.match(chunks.slice(drawn).join(''), /uploading 1\.0 KiB \/ 2\.0 KiB/);
  p.clear();
  p.resume(20);
  assert.match(chunks.slice(-3).join(''), /uploading/, 'the spinner comes back while work goes on');
  board.apply({ type: 'blob:done', action: 'upload', digest: 'sha256:aa', size: 2048 }, 30);
  const before = chunks.length;
  p.refresh(30, true);
  p.stop();
  assert.doesNotMatch(chunks.slice(before).join(''), /uploading/, 'an idle board is not drawn');
});
