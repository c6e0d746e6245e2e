/** The credential-helper protocol with the real spawn-based exec against small shell-script helpers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultExec, helperErase, helperGet, helperProgram, helperStore, parseGetAnswer } from '../../../src/credentials/helper.js';
import { hintFor } from '../../../src/cli/hints.js';

/** One turn of the event loop (I/O included), no clock involved. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** True while a process with this pid exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A directory with `docker-credential-<name>` scripts, and an env whose PATH finds them (and sh). */
async function helpers(scripts: Record<string, string>): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-helpers-'));
  for (const [name, body] of Object.entries(scripts)) {
    const path = join(dir, `docker-credential-${name}`);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
  }
  return { dir, env: { PATH: `${dir}:/usr/bin:/bin`, HELPER_LOG: join(dir, 'log') } };
}

test('get/store/erase speak the protocol: action as argument, server URL or JSON on stdin', async () => {
  const h = await helpers({
    rec: 'input=$(cat); echo "$1 $input" >> "$HELPER_LOG"; if [ "$1" = get ]; then printf \'{"ServerURL":"%s","Username":"u","Secret":"s"}\' "$input"; fi',
  });
  assert.deepEqual(await helperGet('rec', 'ghcr.io', { env: h.env }), { username: 'u', password: 's' });
  await helperStore('rec', 'ghcr.io', 'alice', 'pw', { env: h.env });
  assert.equal(await helperErase('rec', 'ghcr.io', { env: h.env }), true);
  const log = (await readFile(h.env.HELPER_LOG as string, 'utf8')).trim().split('\n');
  assert.deepEqual(log, ['get ghcr.io', 'store {"ServerURL":"ghcr.io","Username":"alice","Secret":"pw"}', 'erase ghcr.io']);
});

test('a helper that hangs is killed after the timeout', { timeout: 60_000 }, async (t) => {
  // The helper becomes `sleep 3600` under the pid it wrote: only a kill ends it while this test runs
  // (the test's timeout catches one left running). The kill timer is mocked: it fires when we tick.
  const h = await helpers({ hang: 'echo $$ > "$HELPER_LOG.tmp"; mv "$HELPER_LOG.tmp" "$HELPER_LOG"; exec sleep 3600' });
  const pidFile = h.env.HELPER_LOG as string;
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const answer = helperGet('hang', 'ghcr.io', { env: h.env, timeoutMs: 300 });
  while (!existsSync(pidFile)) await turn();
  t.mock.timers.tick(300);
  await assert.rejects(answer, (e: Error & { code?: string }) =>
    e.code === 'CREDENTIALS' && /^credential helper docker-credential-hang did not answer within 300 ms; it was stopped$/.test(e.message));
  const pid = Number(await readFile(pidFile, 'utf8'));
  assert.ok(pid > 0);
  while (alive(pid)) await turn();
});

test('a missing helper binary is an error naming it, with a hint', async () => {
  const h = await helpers({});
  await assert.rejects(helperGet('missing', 'ghcr.io', { env: h.env }), (e: Error & { code?: string }) =>
    e.code === 'CREDENTIALS' && e.message === 'credential helper docker-credential-missing not found on PATH' && /credsStore/.test(hintFor(e) ?? ''));
});

test('failures quote the helper (stdout, else stderr), one line, bounded', async () => {
  const h = await helpers({
    out: 'echo "error getting credentials - err: exit status 2"; exit 1',
    err: 'echo "boom\nsecond line" >&2; exit 3',
    long: 'head -c 1000 /dev/zero | tr "\\0" x; exit 1',
    quiet: 'exit 4',
  });
  await assert.rejects(helperGet('out', 's', { env: h.env }), /^OcipackError: credential helper docker-credential-out failed: error getting credentials - err: exit status 2$|failed: error getting credentials - err: exit status 2$/);
  await assert.rejects(helperStore('err', 's', 'u', 'p', { env: h.env }), /could not store the credentials: boom second line$/);
  await assert.rejects(helperGet('long', 's', { env: h.env }), (e: Error) => e.message.length < 300 && e.message.endsWith('…'));
  await assert.rejects(helperErase('quiet', 's', { env: h.env }), /could not erase the credentials: exit status 4$/);
});

test('erase of something the helper never stored is "not removed", not an error', async () => {
  const h = await helpers({ nf: 'echo "credentials not found in native keychain"; exit 1' });
  assert.equal(await helperErase('nf', 's', { env: h.env }), false);
});

test('parseGetAnswer table', () => {
  const p = (code: number | null, stdout: string, stderr = ''): unknown => parseGetAnswer({ code, stdout, stderr }, 'docker-credential-x');
  assert.equal(p(0, ''), undefined);
  assert.equal(p(0, '  \n'), undefined);
  assert.equal(p(0, '{"ServerURL":"a","Username":"","Secret":""}'), undefined);
  assert.equal(p(1, 'credentials not found in native keychain'), undefined);
  assert.equal(p(1, '', 'Credentials not found'), undefined);
  assert.deepEqual(p(0, '{"ServerURL":"a","Username":"<token>","Secret":"idt"}'), { identityToken: 'idt' });
  assert.deepEqual(p(0, '{"Username":"u","Secret":""}'), { username: 'u', password: '' });
  assert.deepEqual(p(0, '{"Username":"","Secret":"s"}'), { username: '', password: 's' });
  assert.throws(() => p(0, 'user=alice secret=hunter2'), (e: Error) => e.message === 'credential helper docker-credential-x printed something that is not JSON');
  assert.throws(() => p(null, ''), /failed: killed by a signal/);
});

test('helper names are one safe path component', () => {
  assert.equal(helperProgram('pass'), 'docker-credential-pass');
  assert.equal(helperProgram('ecr-login'), 'docker-credential-ecr-login');
  for (const bad of ['', '../x', 'a/b', '-rf', 'a b', 'x;rm']) assert.throws(() => helperProgram(bad), /invalid credential helper name/, bad);
});

test('defaultExec reports ENOENT for a program not on PATH', async () => {
  await assert.rejects(defaultExec('docker-credential-none', ['get'], { input: '', env: { PATH: '/nonexistent' }, timeoutMs: 1000 }), (e: Error & { code?: string }) => e.code === 'ENOENT');
});
