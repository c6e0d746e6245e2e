/** connect(): one deadline per run for every store it opens, the run's error for a stopped run, options read where declared. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../../src/connect/connect.js';
import { parseTargetRef } from '../../../src/connect/open.js';
import { OciLayoutStore } from '../../../src/content/layout.js';
import type { HelperExec } from '../../../src/core/credential.js';
import { OcipackError } from '../../../src/core/errors.js';

async function server(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); }));
  return `127.0.0.1:${(s.address() as AddressInfo).port}`;
}

function codeOf(e: unknown): string | undefined {
  return e instanceof OcipackError ? e.code : undefined;
}

test('one deadline for the run: every store it opened stops on it, and the run reports it once, as its own error', async () => {
  const requests: string[] = [];
  const host = await server((req) => { requests.push(req.url ?? ''); }); // never answers
  const conn = connect({ timeoutMs: 1 }, {});
  try {
    const [a, b] = await Promise.all([conn.open(parseTargetRef(`${host}/team/a`)), conn.open(parseTargetRef(`${host}/team/b`))]);
    const results = await Promise.allSettled([a.listTags(), b.listTags()]);
    assert.ok(conn.signal.aborted);
    const reason = conn.signal.reason as OcipackError;
    assert.match(reason.message, /^timed out after 1ms( connecting to 127\.0\.0\.1:\d+| waiting for a TLS handshake with .*)?$/);
    assert.deepEqual(reason.context, { option: 'timeoutMs', next: 'timeout' });
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.equal(codeOf(r.reason), 'CANCELLED');
      assert.equal(conn.failure(r.reason), reason, 'both sides report the one deadline');
    }
  } finally {
    await conn.close();
  }
});

test("the caller's signal stops the run; a failure of the run's own is kept, a cancellation becomes the caller's reason", async () => {
  const ac = new AbortController();
  const conn = connect({ signal: ac.signal, timeoutMs: 0 }, {});
  try {
    const plain = new OcipackError('CANCELLED', 'copy cancelled');
    assert.equal(conn.failure(plain), plain, 'nothing stopped the run yet: errors pass through');
    const interrupted = new OcipackError('CANCELLED', 'interrupted by SIGINT');
    const aborted = once(conn.signal, 'abort');
    ac.abort(interrupted);
    await aborted;
    assert.equal(conn.failure(new OcipackError('CANCELLED', 'packing cancelled')), interrupted);
    assert.equal(conn.failure(new OcipackError('NETWORK', 'connection to x broke')), interrupted);
    const own = new OcipackError('VERIFY', 'digest mismatch');
    assert.equal(conn.failure(own), own);
  } finally {
    await conn.close();
  }
});

test('a layout reference needs no registry session: a malformed --creds is not even read', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'ocipack-connect-')), 'layout');
  const conn = connect({}, { creds: ':p', maxManifestBytes: 1024 });
  try {
    const target = await conn.open(parseTargetRef(dir, true), { create: true });
    assert.ok(target instanceof OciLayoutStore);
    await assert.rejects(conn.open(parseTargetRef('127.0.0.1:1/x/y')), (e) => codeOf(e) === 'USAGE');
  } finally {
    await conn.close();
  }
});

test('RegistryOptions.credentialHelperExec runs the helper the docker config names (what push and pull use)', async () => {
  const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;
  const host = await server((req, res) => {
    if (req.headers.authorization !== basic) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"a/b","tags":["v1"]}');
  });
  const home = await mkdtemp(join(tmpdir(), 'ocipack-connect-'));
  await mkdir(join(home, '.docker'));
  await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ credsStore: 'fake' }));
  const calls: string[] = [];
  const credentialHelperExec: HelperExec = async (program, args, o) => {
    calls.push(`${program} ${args.join(' ')} ${o.input.trim()}`);
    return { code: 0, stdout: JSON.stringify({ Username: 'u', Secret: 'p' }), stderr: '' };
  };
  const conn = connect({ homeDir: home, env: {} }, { credentialHelperExec });
  try {
    const repo = await conn.open(parseTargetRef(`${host}/a/b`), { push: true });
    assert.deepEqual(await repo.listTags(), ['v1']);
    assert.deepEqual(await repo.listTags(), ['v1']);
  } finally {
    await conn.close();
  }
  assert.deepEqual(calls, [`docker-credential-fake get ${host}`], 'one helper run per registry and run');
});
