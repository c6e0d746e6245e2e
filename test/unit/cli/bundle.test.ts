/**
 * The CLI bundle (scripts/bundle.mjs, issue 26 "fixed cost"): the packages every push or pull loads
 * (undici, tar, yaml) and commander are inside it, so Node does not resolve and read their ~115 files
 * one by one on each run; `--help` and `--version` load none of undici, tar or yaml.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ocipack, tempDir } from '../../helpers/cli.js';

const CLI = fileURLToPath(new URL('../../../cli/', import.meta.url));

/** Every bare module a file imports or requires (node: built-ins left out). */
function bareImports(code: string): string[] {
  const found = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"'./][^"']*)["']/g)].map((m) => m[1]!);
  return found.filter((s) => !s.startsWith('node:'));
}

async function files(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(CLI, { recursive: true })) {
    if (name.endsWith('.js')) out.set(name, await readFile(join(CLI, name), 'utf8'));
  }
  return out;
}

test('undici, tar, yaml and commander are bundled: no chunk of the CLI loads them from node_modules', async () => {
  const all = await files();
  assert.ok(all.size > 1, `the bundle is built in ${CLI}`);
  for (const [name, code] of all) {
    const loaded = bareImports(code).filter((m) => /^(undici|tar|yaml|commander)(\/|$)/.test(m));
    assert.deepEqual(loaded, [], `${name} loads ${loaded.join(', ')} from node_modules`);
  }
});

test('the entry and the command definitions hold no undici, tar or yaml code (help and --version do not pay for them)', async () => {
  const all = await files();
  const start = [...all].filter(([name]) => name === 'ocipack.js' || /(^|\/)app-[A-Z0-9]+\.js$/.test(name));
  assert.equal(start.length, 2, [...all.keys()].join(' '));
  for (const [name, code] of start) assert.doesNotMatch(code, /node_modules\/(undici|tar|yaml)\//, name);
});

test('a pull that sends its request loads neither node:http2 (undici needs it only on a connection that negotiated h2; a plain-HTTP registry has none) nor process.report (node:process taken without its ES module facade) nor node:tls (a plain-HTTP loopback registry needs no TLS, its probe included) nor perf_hooks (undici\'s idle-socket clock is process.hrtime in the bundle)', async () => {
  const dir = await tempDir();
  const preload = join(dir, 'loaded.cjs');
  await writeFile(preload, "const has = (m) => process.moduleLoadList.includes(`NativeModule ${m}`);\nprocess.on('exit', () => require('node:fs').writeSync(2, `\\nhttp2 loaded: ${has('http2')}, report loaded: ${has('internal/process/report')}, tls loaded: ${has('tls')}, perf_hooks loaded: ${has('perf_hooks')}\\n`));\n");
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'content-length': '0' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const r = await ocipack(['pull', `oci://127.0.0.1:${port}/a/b:v1`, '-o', join(dir, 'out')], { env: { NODE_OPTIONS: `--require ${preload}` } });
    assert.deepEqual(seen, ['GET /v2/a/b/manifests/v1'], r.stderr);
    assert.match(r.stderr, /\nhttp2 loaded: false, report loaded: false, tls loaded: false, perf_hooks loaded: false\n/);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
});
