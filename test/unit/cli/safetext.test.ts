import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeSerialised, safeText } from '../../../src/cli/safetext.js';
import { toYaml } from '../../../src/cli/yaml.js';
import { Ui } from '../../../src/cli/ui.js';
import { PassThrough } from 'node:stream';

/** Every character a terminal may act on or reorder text by. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const TABLE: [string, string, string][] = [
  ['ESC colour', 'a\u001b[31mred', 'a\\u001b[31mred'],
  ['OSC 8 link', '\u001b]8;;https://evil\u0007x\u001b]8;;\u0007', '\\u001b]8;;https://evil\\u0007x\\u001b]8;;\\u0007'],
  ['C1 CSI', 'a\u009b2Jb', 'a\\u009b2Jb'],
  ['DEL', 'a\u007fb', 'a\\u007fb'],
  ['NUL and CR', 'a\u0000b\rc', 'a\\u0000b\\u000dc'],
  ['forged line', 'x\n✔ signature verified', 'x\\u000a✔ signature verified'],
  ['bidi override', 'abc\u202edcba\u202c', 'abc\\u202edcba\\u202c'],
  ['bidi isolates', '\u2066a\u2067b\u2068c\u2069', '\\u2066a\\u2067b\\u2068c\\u2069'],
  ['LRM/RLM', 'a\u200eb\u200fc', 'a\\u200eb\\u200fc'],
  ['plain text untouched', 'https://github.com/x/y@sha1:ab — ü 漢 ✔', 'https://github.com/x/y@sha1:ab — ü 漢 ✔'],
];

for (const [name, input, want] of TABLE) {
  test(`safeText: ${name}`, () => {
    const got = safeText(input);
    assert.equal(got, want);
    assert.doesNotMatch(got, UNSAFE);
  });
}

test('safeText keeps only the characters it is told to (tables keep line breaks and tabs)', () => {
  assert.equal(safeText('a\n\tb\u001b', '\n\t'), 'a\n\tb\\u001b');
});

test('YAML and JSON output escape what JSON.stringify leaves raw (C1, DEL, bidi), and parse back to the same text', () => {
  const value = 'a\u009b2J\u007f\u202e\u001b]8;;x\u0007';
  const yaml = toYaml({ source: value });
  assert.doesNotMatch(yaml.trimEnd(), UNSAFE);
  const json = escapeSerialised(JSON.stringify({ source: value }));
  assert.doesNotMatch(json, UNSAFE);
  assert.equal((JSON.parse(json) as { source: string }).source, value);
  assert.equal((JSON.parse(yaml.slice('source: '.length)) as string), value);
});

/** Everything written to the stream so far (read() may hand it over in several chunks: Node 26 does). */
function drain(stream: PassThrough): string {
  const parts: Buffer[] = [];
  for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read() as Buffer | null) parts.push(chunk);
  return Buffer.concat(parts).toString();
}

test('every Ui line and table print goes through safeText', () => {
  const err = new PassThrough();
  const out = new PassThrough();
  const ui = new Ui({ stderr: err, stdout: out, verbose: true, debug: true });
  const evil = 'x\u001b[2J\u009b31m\u202e\n✔ signature verified';
  ui.step(evil); ui.success(evil); ui.info(evil); ui.warn(evil); ui.error(evil, evil); ui.debugLine(evil);
  ui.print(evil); ui.data({ evil }, 'json'); ui.data({ evil }, 'yaml');
  const e = drain(err);
  const o = drain(out);
  assert.doesNotMatch(e.replace(/\n/g, ''), UNSAFE);
  assert.doesNotMatch(o.replace(/\n/g, ''), UNSAFE);
  assert.equal(e.split('\n').filter((l) => l.startsWith('✔')).length, 1, 'only ui.success itself starts a ✔ line');
  const raw = new PassThrough();
  new Ui({ stderr: raw }).raw(`Error: ${evil}\n    at x`);
  assert.doesNotMatch(drain(raw).replace(/\n/g, ''), UNSAFE, 'a --debug stack trace keeps its line breaks only');
});
