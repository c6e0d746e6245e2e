/**
 * Per-registry credentials and honest credential errors (issue 14 §3, §4), end to end with the built
 * CLI: copy between a real Basic-auth registry and a real token-auth registry with one credential each,
 * neither sent to the other host; refused credentials named by their source, the token server's own
 * words quoted, the secret never printed; missing credentials keep the login hint.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startTokenRegistry, type TokenRegistry } from '../helpers/tokenserver.js';

const BOB = 'bob-b4sic:pw';
const ALICE = 'alice-t0ken-pw';
let basic: RunningRegistry;
let tok: TokenRegistry;
let src: string;

before(async () => {
  basic = await startRegistry({ auth: 'htpasswd', users: { bob: BOB } });
  tok = await startTokenRegistry({ users: { alice: ALICE }, grant: (user, _r, asked) => (user === 'alice' ? asked : asked.filter((a) => a === 'pull')) });
  src = await tempDir();
  await writeFile(join(src, 'app.yaml'), 'kind: ConfigMap\n');
  const pushed = await cli(['push', `oci://${basic.host}/team/app:v1`, '--path', src, '--creds', `bob:${BOB}`]);
  assert.equal(pushed.code, 0, pushed.stderr);
});
after(async () => {
  await basic?.stop();
  await tok?.stop();
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function cli(args: string[], opts: { home?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return ocipack(args, { env: { HOME: opts.home ?? (await tempDir('ocipack-home-')), NODE_EXTRA_CA_CERTS: tok.tokens.certFile, ...opts.env } });
}

/** What a secret looks like anywhere in the output: as typed, or base64 inside a header. */
function assertNoSecret(r: CliResult, ...secrets: string[]): void {
  for (const s of secrets) for (const form of [s, b64(s)]) assert.ok(!r.stdout.includes(form) && !r.stderr.includes(form), `secret leaked: ${form}`);
}

test('copy Basic-auth → token-auth registry with --from-creds/--to-creds: each credential goes to its own host only', async () => {
  const n = tok.tokens.requests.length;
  const r = await cli(['copy', `oci://${basic.host}/team/app:v1`, `oci://${tok.registry.host}/mirror/app`, '--from-creds', `bob:${BOB}`, '--to-creds', `alice:${ALICE}`, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { digest: string; tag: string };
  assert.equal(out.tag, 'v1');
  const seen = tok.tokens.requests.slice(n);
  assert.ok(seen.length >= 1);
  for (const q of seen) {
    assert.equal(q.authorization, `Basic ${b64(`alice:${ALICE}`)}`, 'the token server sees alice only');
    assert.ok(!JSON.stringify(q).includes(b64(`bob:${BOB}`)));
  }
  const pulled = await tempDir();
  const p = await cli(['pull', `oci://${tok.registry.host}/mirror/app:v1`, '--output', pulled]);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(await readFile(join(pulled, 'app.yaml'), 'utf8'), 'kind: ConfigMap\n');
});

test('--creds-for host=user:pass, repeatable, does the same for any command; --creds alone cannot serve both', async () => {
  const r = await cli(['copy', `oci://${basic.host}/team/app:v1`, `oci://${tok.registry.host}/mirror/app2:v1`,
    '--creds-for', `${basic.host}=bob:${BOB}`, '--creds-for', `${tok.registry.host}=alice:${ALICE}`]);
  assert.equal(r.code, 0, r.stderr);
  const one = await cli(['copy', `oci://${basic.host}/team/app:v1`, `oci://${tok.registry.host}/mirror/app3:v1`, '--creds', `bob:${BOB}`]);
  assert.equal(one.code, 1);
  assert.match(one.stderr, new RegExp(`✗ (?:copy failed: )?credentials for ${esc(tok.registry.host)} were rejected \\(from --creds\\): UNAUTHORIZED bad credentials\\n  hint: check the value of --creds`));
  assertNoSecret(one, BOB);
  const bad = await cli(['copy', `oci://${basic.host}/team/app:v1`, 'x:v1', '--to-oci-layout', '--to-creds', 'a:b']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--to-creds needs a registry destination/);
  const malformed = await cli(['pull', `oci://${basic.host}/team/app:v1`, '-o', await tempDir(), '--creds-for', 'no-equals-sign']);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /--creds-for expects host=user:pass/);
});

test('refused credentials say "rejected" and name their source; the hint follows the source; no secret is printed', async () => {
  const wrong = 'not-the-Pa55word';
  const flag = await cli(['pull', `oci://${basic.host}/team/app:v1`, '-o', await tempDir(), '--creds', `bob:${wrong}`]);
  assert.equal(flag.code, 1);
  assert.match(flag.stderr, new RegExp(`✗ pull failed: credentials for ${esc(basic.host)} were rejected \\(from --creds\\)\\n  hint: check the value of --creds`));
  assertNoSecret(flag, wrong);

  const home = await tempDir('ocipack-home-');
  await mkdir(join(home, '.docker'), { recursive: true });
  await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [tok.registry.host]: { auth: b64(`alice:${wrong}`) } } }));
  const stale = await cli(['push', `oci://${tok.registry.host}/team/stale:v1`, '--path', src], { home });
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, new RegExp(`✗ push failed: credentials for ${esc(tok.registry.host)} were rejected \\(from config\\.json auths entry "${esc(tok.registry.host)}"\\): UNAUTHORIZED bad credentials\\n  hint: run \`ocipack login ${esc(tok.registry.host)}\` to replace the stored credentials`));
  assertNoSecret(stale, wrong);

  // A correct podman entry behind the stale docker one: the message names the docker entry that was used.
  const authFile = join(home, 'podman-auth.json');
  await writeFile(authFile, JSON.stringify({ auths: { [tok.registry.host]: { auth: b64(`alice:${ALICE}`) } } }));
  const shadowed = await cli(['push', `oci://${tok.registry.host}/team/stale:v1`, '--path', src], { home, env: { REGISTRY_AUTH_FILE: authFile } });
  assert.equal(shadowed.code, 1);
  assert.match(shadowed.stderr, /rejected \(from config\.json auths entry "127\.0\.0\.1:\d+"\)/);
  await writeFile(join(home, '.docker', 'config.json'), '{}');
  const podman = await cli(['push', `oci://${tok.registry.host}/team/stale:v1`, '--path', src], { home, env: { REGISTRY_AUTH_FILE: authFile } });
  assert.equal(podman.code, 0, podman.stderr);
  await writeFile(authFile, JSON.stringify({ auths: { [basic.host]: { auth: b64(`bob:${wrong}`) } } }));
  const badPodman = await cli(['pull', `oci://${basic.host}/team/app:v1`, '-o', await tempDir()], { home, env: { REGISTRY_AUTH_FILE: authFile } });
  assert.equal(badPodman.code, 1);
  assert.match(badPodman.stderr, new RegExp(`rejected \\(from podman auth file ${esc(authFile)}\\)\\n  hint: run \`podman login ${esc(basic.host)}\``));
  assertNoSecret(badPodman, wrong);
});

test('missing credentials keep the login hint', async () => {
  const r = await cli(['pull', `oci://${basic.host}/team/app:v1`, '-o', await tempDir()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`✗ pull failed: authentication required for ${esc(basic.host)}\\n  hint: run \`ocipack login ${esc(basic.host)}\` or pass --creds`));
});
