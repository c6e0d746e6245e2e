/**
 * Issue 25 "Bounded, whatever the input": --timeout bounds the whole command, connect included, and its
 * message says what was waited for. Peers: a server whose kernel accept queue is full (its process listens
 * with a backlog of 1 and never runs its event loop again, so further SYNs are dropped: a connect that never
 * completes), and plain net servers that accept and then never answer.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';

const cleanups: Array<() => void> = [];
after(() => { for (const c of cleanups) c(); });

const BLOCKED = `
const s = require('node:net').createServer();
s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write(String(s.address().port) + '\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
});`;

/** A port whose SYNs go unanswered: the listener never accepts, and two held connections fill its queue. */
async function neverAccepts(): Promise<number> {
  const child: ChildProcess = spawn(process.execPath, ['-e', BLOCKED], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill('SIGKILL'));
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  // Linux holds backlog + 1 completed connections; once they are queued, new SYNs are dropped.
  for (let i = 0; i < 2; i++) {
    const held: Socket = connect(port, '127.0.0.1');
    held.on('error', () => {});
    cleanups.push(() => held.destroy());
    await once(held, 'connect');
  }
  return port;
}

/** A server that accepts and never writes; with `plain`, it refuses TLS at once (so the client speaks plain HTTP) and then stays silent. */
async function silent(plain: boolean): Promise<number> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (first: Buffer) => {
      if (plain && first[0] === 0x16) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => server.close());
  return (server.address() as { port: number }).port;
}

async function tree(): Promise<string> {
  const src = await tempDir();
  await writeFile(join(src, 'a.yaml'), 'kind: ConfigMap\n');
  return src;
}

function assertDeadline(r: { code: number; stderr: string }, command: string, waited: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  const line = r.stderr.split('\n').find((l) => l.startsWith('✗')) ?? '';
  assert.match(line, new RegExp(`^✗ ${command} failed: timed out after 2s `), r.stderr);
  assert.match(line, waited, r.stderr);
  assert.match(r.stderr, /hint: raise the deadline with --timeout/);
}

const slow = { timeout: 60_000 };

test('a registry that never accepts the connection: the deadline ends push, naming the connect', slow, async () => {
  const port = await neverAccepts();
  const r = await ocipack(['push', `oci://127.0.0.1:${port}/d/app:v1`, '--path', await tree(), '--timeout', '2s']);
  assertDeadline(r, 'push', new RegExp(`connecting to 127\\.0\\.0\\.1:${port}$`));
});

test('a proxy that never accepts: the deadline ends pull, not the 15 s connect timeout, naming host and proxy', slow, async () => {
  const port = await neverAccepts();
  const out = join(await tempDir(), 'o');
  const r = await ocipack(['pull', 'oci://registry.example/d/app:v1', '-o', out, '--timeout', '2s'], { env: { HTTPS_PROXY: `http://127.0.0.1:${port}` } });
  assertDeadline(r, 'pull', new RegExp(`connecting to registry\\.example:443 through the proxy http://127\\.0\\.0\\.1:${port}/$`));
});

test('a proxy that accepts and never answers CONNECT: the deadline ends list (it used to wait for the proxy for minutes)', slow, async () => {
  const port = await silent(false);
  const r = await ocipack(['list', 'oci://registry.example/d/app', '--timeout', '2s'], { env: { HTTPS_PROXY: `http://127.0.0.1:${port}` } });
  assertDeadline(r, 'list', /connecting to registry\.example:443 through the proxy/);
});

test('a registry that accepts and never answers a TLS handshake: the deadline names the handshake', slow, async () => {
  const port = await silent(false);
  const r = await ocipack(['push', `oci://127.0.0.1:${port}/d/app:v1`, '--path', await tree(), '--timeout', '2s']);
  assertDeadline(r, 'push', new RegExp(`waiting for a TLS handshake with 127\\.0\\.0\\.1:${port}$`));
});

test('a plain-HTTP registry that accepts and never answers: the deadline names the request whose headers it waited for', slow, async () => {
  const port = await silent(true);
  const out = join(await tempDir(), 'o');
  const r = await ocipack(['pull', `oci://127.0.0.1:${port}/d/app:v1`, '-o', out, '--timeout', '2s']);
  // no /v2/ ping: the tag's manifest GET is the first request, and the one waited for
  assertDeadline(r, 'pull', new RegExp(`waiting for the response headers of GET http://127\\.0\\.0\\.1:${port}/v2/d/app/manifests/v1$`));
});
