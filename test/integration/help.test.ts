/** Subcommand help (issue 17): the global flags that apply, defaults (the default ignore list) and examples. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ocipack } from '../helpers/cli.js';
import { FLUX_DEFAULT_IGNORE } from '../../src/core/defaults.js';

const GLOBAL = ['--creds', '--insecure-registry', '--ca-file', '--timeout', '--format', '--quiet'];

for (const cmd of ['push', 'pull']) {
  test(`${cmd} --help lists the global flags with defaults, and has examples`, async () => {
    const r = await ocipack([cmd, '--help']);
    assert.equal(r.code, 0, r.stderr);
    const globals = r.stdout.split('\nGlobal Options:\n')[1];
    assert.ok(globals !== undefined, `no Global Options section:\n${r.stdout}`);
    for (const flag of GLOBAL) assert.match(globals, new RegExp(`^\\s+(-\\w, )?${flag}\\b`, 'm'), `${flag} in ${cmd} --help`);
    assert.match(globals, /--timeout <duration>\s+deadline for the whole operation \(default:\s+"5m"\)/);
    assert.match(r.stdout, new RegExp(`\\nExample:\\n  ocipack ${cmd} oci://`));
  });
}

test('push --help shows the default ignore list on --ignore-paths', async () => {
  const r = await ocipack(['push', '--help']);
  assert.equal(r.code, 0, r.stderr);
  const line = r.stdout.split('--ignore-paths <patterns>')[1]?.split('--add-ignore-paths')[0]?.replace(/\s+/g, ' ') ?? '';
  assert.ok(line.includes(`default: ${FLUX_DEFAULT_IGNORE.join(', ')}`), line);
});

test('offline commands leave the registry flags out of their help; registry commands list them', async () => {
  for (const cmd of ['build', 'generate-key-pair', 'logout']) {
    const r = await ocipack([cmd, '--help']);
    assert.equal(r.code, 0, r.stderr);
    const globals = r.stdout.split('\nGlobal Options:\n')[1] ?? '';
    for (const flag of ['--creds', '--insecure-registry', '--ca-file', '--provider']) assert.doesNotMatch(globals, new RegExp(`${flag}\\b`), `${flag} in ${cmd} --help`);
    assert.match(globals, /--quiet/, `${cmd} --help still lists the output flags`);
  }
  const version = await ocipack(['version', '--help']);
  assert.doesNotMatch(version.stdout.split('\nGlobal Options:\n')[1] ?? '', /--timeout|--verbose/);
  for (const cmd of ['list', 'tag', 'copy', 'verify', 'sign', 'diff', 'inspect', 'delete', 'login']) {
    const r = await ocipack([cmd, '--help']);
    for (const flag of ['--creds', '--insecure-registry', '--ca-file', '--timeout']) assert.match(r.stdout, new RegExp(`\\n\\s+${flag}\\b`), `${flag} in ${cmd} --help`);
  }
});

test('--version and -v (answered before the program loads) print the version `ocipack version` reports', async () => {
  const full = await ocipack(['version', '-o', 'json']);
  assert.equal(full.code, 0, full.stderr);
  const { version } = JSON.parse(full.stdout) as { version: string };
  for (const flag of ['--version', '-v']) {
    const r = await ocipack([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${version}\n`);
  }
  const withOther = await ocipack(['--version', '--no-color']);
  assert.equal(withOther.stdout, `${version}\n`, 'with other flags commander answers, the same way');
});
