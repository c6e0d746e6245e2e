/** Output decisions of the CLI: colours, spinner, error lines, byte formats, and what each mode prints. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { wantsColor, wantsProgress, errorLine, reportError } from '../../../src/cli/run.js';
import { Ui, formatBytes } from '../../../src/cli/ui.js';
import { describeProgress } from '../../../src/cli/progress.js';
import { OcipackError, RegistryError, usageError } from '../../../src/core/errors.js';

test('wantsColor: TTY only, NO_COLOR and --no-color win, FORCE_COLOR forces (0/false turn it off)', () => {
  const table: Array<[{ color?: boolean }, Record<string, string>, boolean, boolean]> = [
    [{}, {}, true, true],
    [{}, {}, false, false],
    [{}, { TERM: 'dumb' }, true, false],
    [{}, { NO_COLOR: '1' }, true, false],
    [{}, { NO_COLOR: '' }, true, true],
    [{ color: false }, {}, true, false],
    [{}, { FORCE_COLOR: '1' }, false, true],
    [{}, { FORCE_COLOR: '' }, false, true],
    [{}, { FORCE_COLOR: '0' }, true, false],
    [{}, { FORCE_COLOR: 'false' }, true, false],
    [{}, { FORCE_COLOR: '1', NO_COLOR: '1' }, false, false],
    [{ color: false }, { FORCE_COLOR: '3' }, true, false],
  ];
  for (const [flags, env, tty, want] of table) assert.equal(wantsColor(flags, env, tty), want, JSON.stringify([flags, env, tty]));
  assert.equal(wantsProgress({}, true), true);
  assert.equal(wantsProgress({ TERM: 'dumb' }, true), false);
  assert.equal(wantsProgress({}, false), false);
});

test('errorLine: "<command> failed: <why>" for operations, input errors as they are, fallback hints by code', () => {
  assert.deepEqual(errorLine(new OcipackError('NETWORK', 'cannot reach ghcr.io (ENOTFOUND)'), 'pull'), {
    message: 'pull failed: cannot reach ghcr.io (ENOTFOUND)',
    hint: 'check the registry host name and your network or proxy (HTTPS_PROXY, NO_PROXY)',
  });
  assert.deepEqual(errorLine(usageError('invalid reference "X": repository must be lowercase'), 'push'), { message: 'invalid reference "X": repository must be lowercase' });
  assert.deepEqual(errorLine(new OcipackError('BAD_INPUT', 'Chart.yaml: version is not SemVer'), 'push'), { message: 'Chart.yaml: version is not SemVer' });
  assert.deepEqual(errorLine(new OcipackError('REGISTRY', 'tagging b failed (applied: a): 500'), 'tag'), { message: 'tagging b failed (applied: a): 500' });
  assert.equal(errorLine(new RegistryError('UNAUTHORIZED', 401, 'authentication required for r.io', [], { host: 'r.io', next: 'login' }), 'push').hint, 'run `ocipack login r.io` or pass --creds');
  assert.equal(errorLine(new RegistryError('UNAUTHORIZED', 401, 'authentication required for r.io'), 'push').hint, 'log in with `ocipack login <host>` or pass --creds');
  assert.equal(errorLine(new OcipackError('PLAIN_HTTP', 'r.io does not speak TLS'), 'pull').hint, 'use --insecure-registry for a plain-HTTP registry');
  assert.equal(errorLine(new OcipackError('TLS', 'certificate of r.io not trusted'), 'pull').hint, 'use --ca-file <pem> to trust a private CA');
  assert.equal(errorLine(new OcipackError('IO', 'disk full'), 'pull').hint, undefined);
  assert.deepEqual(errorLine(new Error('boom\n  second line'), 'list'), { message: 'list failed: boom' });
  assert.deepEqual(errorLine('a string', undefined), { message: 'a string' });
});

function capture(opts: ConstructorParameters<typeof Ui>[0] = {}): { ui: Ui; out: () => string; err: () => string } {
  const o = new PassThrough();
  const e = new PassThrough();
  const outs: Buffer[] = [];
  const errs: Buffer[] = [];
  o.on('data', (c: Buffer) => outs.push(c));
  e.on('data', (c: Buffer) => errs.push(c));
  const ui = new Ui({ ...opts, stdout: o, stderr: e, progress: false });
  return { ui, out: () => Buffer.concat(outs).toString(), err: () => Buffer.concat(errs).toString() };
}

test('Ui: flux-style lines on stderr, data on stdout; --quiet keeps only errors; --verbose adds ◎ lines; --debug adds traces', async () => {
  const events = (ui: Ui): void => {
    ui.onEvent({ type: 'step', message: 'pushing artifact to r/app:v1' });
    ui.onEvent({ type: 'warning', message: 'skipping symlink "a"' });
    ui.onEvent({ type: 'blob:start', action: 'upload', total: 10 });
    ui.onEvent({ type: 'blob:done', action: 'upload', digest: 'sha256:ab', size: 1536 });
    ui.onEvent({ type: 'debug', message: '> GET https://r/v2/' });
    ui.success('artifact successfully pushed');
    ui.data({ digest: 'sha256:ab' }, 'json');
  };
  const normal = capture();
  events(normal.ui);
  assert.equal(normal.err(), '► pushing artifact to r/app:v1\n⚠ skipping symlink "a"\n✔ artifact successfully pushed\n');
  assert.equal(normal.out(), '{\n  "digest": "sha256:ab"\n}\n');

  const quiet = capture({ quiet: true, verbose: true });
  events(quiet.ui);
  quiet.ui.error('push failed: x', 'do y');
  assert.equal(quiet.err(), '✗ push failed: x\n  hint: do y\n');
  assert.equal(quiet.out(), '{\n  "digest": "sha256:ab"\n}\n', '--quiet never hides machine output');

  const verbose = capture({ verbose: true });
  events(verbose.ui);
  assert.match(verbose.err(), /^◎ uploaded 1\.5 KiB \(sha256:ab\)$/m);
  assert.doesNotMatch(verbose.err(), /\[debug\]/);
  const debug = capture({ verbose: true, debug: true });
  events(debug.ui);
  assert.match(debug.err(), /^\[debug\] > GET https:\/\/r\/v2\/$/m);

  const coloured = capture({ color: true });
  await coloured.ui.init();
  coloured.ui.step('x');
  coloured.ui.error('y');
  assert.equal(coloured.err(), '\u001b[34m►\u001b[39m x\n\u001b[31m✗\u001b[39m y\n');
  const yaml = capture();
  yaml.ui.data({ a: 1, b: ['x'] }, 'yaml');
  yaml.ui.data({ a: 1 }, 'text');
  assert.match(yaml.out(), /^a: 1\nb:\n/);
});

test('reportError: exit codes by error code, the abort reason wins over what the aborted I/O threw, stacks only with debug', () => {
  const c = capture({ command: 'pull' });
  assert.equal(reportError(c.ui, usageError('bad flag'), undefined, false), 2);
  assert.equal(reportError(c.ui, new OcipackError('VERIFY', 'digest mismatch'), undefined, false), 3);
  assert.equal(reportError(c.ui, new Error('bug'), undefined, false), 1);
  const ac = new AbortController();
  ac.abort(new OcipackError('CANCELLED', 'timed out after 1s', { context: { option: 'timeoutMs', next: 'timeout' } }));
  assert.equal(reportError(c.ui, new DOMException('aborted', 'AbortError'), ac.signal, false), 1);
  assert.equal(c.err(), [
    '✗ bad flag', '✗ pull failed: digest mismatch', '✗ pull failed: bug',
    '✗ pull failed: timed out after 1s', '  hint: raise the deadline with --timeout, e.g. --timeout 15m', '',
  ].join('\n'));
  const d = capture({ command: 'pull' });
  reportError(d.ui, new Error('bug'), undefined, true);
  assert.match(d.err(), /^✗ pull failed: bug\nError: bug\n\s+at /);
});

test('formatBytes and spinner text use binary units with one decimal', () => {
  assert.deepEqual([0, 1023, 1024, 1536, 12.4 * 1024 * 1024, 3 * 1024 ** 3].map(formatBytes), ['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '12.4 MiB', '3.0 GiB']);
  assert.equal(describeProgress('upload', undefined, 30 * 1024 * 1024, 0), 'uploading 30.0 MiB…');
  assert.equal(describeProgress('pack', undefined, undefined, 0), 'packing…');
  assert.equal(describeProgress('download', 5 * 1024 * 1024, 10 * 1024 * 1024, 100), 'downloading 5.0 MiB / 10.0 MiB');
  assert.equal(describeProgress('upload', 8 * 1024 * 1024, 16 * 1024 * 1024, 1000), 'uploading 8.0 MiB / 16.0 MiB (8.0 MiB/s)');
  assert.equal(describeProgress('pack', 2048, undefined, 2000), 'packing 2.0 KiB', 'no rate for a few bytes: never `9 B (44 B/s)`');
  assert.equal(describeProgress('pack', 9, 9, 200), 'packing 9 B / 9 B');
  assert.equal(describeProgress('copy', 4 * 1024 * 1024, 8 * 1024 * 1024, 400), 'copying 4.0 MiB / 8.0 MiB', 'no rate in the first half second');
});
