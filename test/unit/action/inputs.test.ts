/** The action's inputs → the ocipack command line (issue 28 §1): word splitting, the mapping, refusals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argvFor, inputsOf, splitArgs } from '../../../src/action/inputs.js';

test('splitArgs: words as a shell splits them, nothing expanded', () => {
  const cases: Array<[string, string[]]> = [
    ['', []],
    ['  --reproducible  ', ['--reproducible']],
    ['-a "team=platform ops"\n--oci-layout', ['-a', 'team=platform ops', '--oci-layout']],
    [`-a 'x="y"' -a "q\\"r"`, ['-a', 'x="y"', '-a', 'q"r']],
    ['$HOME `id` a\\ b ""', ['$HOME', '`id`', 'a b', '']],
  ];
  for (const [text, want] of cases) assert.deepEqual(splitArgs(text), want, text);
  assert.throws(() => splitArgs('"open'), /unclosed "/);
});

test('inputsOf + argvFor: INPUT_* (hyphens kept) become the command, its reference and flags; args last', () => {
  const env = { INPUT_COMMAND: 'push', INPUT_REF: 'oci://h/r:v1', INPUT_PATH: './deploy', INPUT_SOURCE: 's', INPUT_REVISION: 'r', INPUT_ARGS: '--reproducible', 'INPUT_SIGN-KEYLESS': 'true', INPUT_PROVENANCE: 'True' };
  assert.deepEqual(argvFor(inputsOf(env)), ['push', 'oci://h/r:v1', '--path', './deploy', '--source', 's', '--revision', 'r', '--sign-keyless', '--provenance', '--reproducible']);
  assert.deepEqual(argvFor(inputsOf({ INPUT_REF: 'oci://h/r:v1', INPUT_PATH: 'x' })), ['push', 'oci://h/r:v1', '--path', 'x'], 'push is the default');
  assert.deepEqual(argvFor(inputsOf({ INPUT_COMMAND: 'pull', INPUT_REF: 'oci://h/r:v1', INPUT_PATH: 'out' })), ['pull', 'oci://h/r:v1', '--output', 'out']);
  assert.deepEqual(argvFor(inputsOf({ INPUT_COMMAND: 'sign', INPUT_REF: 'oci://h/r:v1', 'INPUT_SIGN-KEYLESS': 'true' })), ['sign', 'oci://h/r:v1', '--keyless']);
  assert.deepEqual(argvFor(inputsOf({ INPUT_COMMAND: 'copy', INPUT_REF: 'oci://a/b:v1', INPUT_ARGS: 'oci://c/d' })), ['copy', 'oci://a/b:v1', 'oci://c/d']);
});

test('an input a command cannot use, or a boolean that is not one, is a usage error', () => {
  assert.throws(() => argvFor(inputsOf({ INPUT_COMMAND: 'tag', INPUT_SOURCE: 'x' })), /input source does not apply to the tag command/);
  assert.throws(() => argvFor(inputsOf({ INPUT_COMMAND: 'copy', INPUT_PATH: 'x' })), /input path does not apply/);
  assert.throws(() => argvFor(inputsOf({ INPUT_COMMAND: 'pull', INPUT_PROVENANCE: 'true' })), /input provenance does not apply/);
  assert.throws(() => inputsOf({ 'INPUT_SIGN-KEYLESS': 'yes' }), /input sign-keyless must be true or false/);
});
