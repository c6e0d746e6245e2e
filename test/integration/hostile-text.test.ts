/**
 * Registry-controlled text reaches the terminal escaped (issue 13 §5): annotations carrying ESC/CSI
 * colour and screen codes, an OSC 8 link, C1 CSI (U+009B), DEL, bidi overrides and a forged
 * "✔ signature verified" line, pushed to the real registry, come back through pull/list/inspect of
 * the built CLI without a raw control byte on stdout or stderr.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';

type Registry = Awaited<ReturnType<typeof startRegistry>>;
let reg: Registry;
/** Control characters (line breaks and the table's tab separator aside) and bidi controls. */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const SOURCE = 'https://x/\u001b[2J\u001b[31mred\u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007\u009b2J\u007f';
const REVISION = 'main@sha1:\u202eabc\u202c\u2066x\u2069\n✔ signature verified';

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  const dir = await tempDir();
  await writeFile(join(dir, 'a.yaml'), 'kind: ConfigMap\n');
  const r = await ocipack(['push', `oci://${reg.host}/evil/app:v1`, '-f', dir, '--source', SOURCE, '--revision', REVISION]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await reg?.stop();
});

function clean(what: string, text: string): void {
  assert.doesNotMatch(text, RAW, `${what}: ${JSON.stringify(text)}`);
  assert.ok(!text.split('\n').some((l) => l.startsWith('✔ signature verified')), `${what} forged a line: ${text}`);
}

test('pull, list and inspect print hostile annotations escaped, in text, JSON and YAML', async () => {
  const out = await tempDir();
  const runs: [string, string[]][] = [
    ['pull', ['pull', `oci://${reg.host}/evil/app:v1`, '-o', out, '--verbose', '--debug']],
    ['list', ['list', `oci://${reg.host}/evil/app`]],
    ['list yaml', ['list', `oci://${reg.host}/evil/app`, '-o', 'yaml']],
    ['list json', ['list', `oci://${reg.host}/evil/app`, '-o', 'json']],
    ['inspect', ['inspect', `oci://${reg.host}/evil/app:v1`]],
    ['inspect yaml', ['inspect', `oci://${reg.host}/evil/app:v1`, '-o', 'yaml']],
  ];
  for (const [what, args] of runs) {
    const r = await ocipack(args);
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    clean(`${what} stdout`, r.stdout);
    clean(`${what} stderr`, r.stderr);
    if (what === 'list' || what === 'inspect') assert.match(r.stdout, /\\u001b\[2J/, `${what} shows the escape visibly`);
  }
  const json = await ocipack(['list', `oci://${reg.host}/evil/app`, '-o', 'json']);
  const rows = JSON.parse(json.stdout) as { source: string; revision: string }[];
  assert.equal(rows[0]?.source, SOURCE, 'JSON keeps the data exact');
  assert.equal(rows[0]?.revision, REVISION);
});

test('an error line quoting registry text is escaped too', async () => {
  const r = await ocipack(['pull', `oci://${reg.host}/evil/app:v1`, '-o', await tempDir(), '--semver', '>=1.0.0\u001b[2J']);
  assert.notEqual(r.code, 0);
  clean('error stderr', r.stderr);
});
