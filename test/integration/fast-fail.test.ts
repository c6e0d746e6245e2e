/** A registry nobody listens on fails the first contact at once (one retry at most), naming the host and a way out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { freePort } from '../helpers/registry.js';

test('push to a closed loopback port: exit 1, host and a way out, two tries at most, nothing uploaded', async () => {
  const src = await tempDir();
  await writeFile(join(src, 'a.yaml'), 'kind: ConfigMap\n');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const r = await ocipack(['push', `oci://${host}/fast/fail:v1`, '--path', src, '--debug']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`cannot reach ${host.replace(/\./g, '\\.')} \\(ECONNREFUSED\\)`));
  assert.match(r.stderr, /hint: check the host and port of 127\.0\.0\.1:\d+ and that the registry is running/);
  const tries = r.stderr.split('\n').filter((l) => l.startsWith('[debug] > GET') && l.includes(`${host}/v2/`));
  assert.ok(tries.length >= 1 && tries.length <= 2, `tries of /v2/: ${tries.length}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\[debug\] > (POST|PUT|PATCH|HEAD) /, 'nothing is uploaded or asked for after the refused first contact');
});
