/**
 * Keyless signing end to end, against real parts: the distribution registry, and @sigstore/mock's
 * Fulcio, Rekor (v1 and v2) and TSA served on loopback with their trusted root (helpers/sigstoremock.ts).
 * Tokens are minted with the claims a GitHub Actions or GitLab CI job carries; the GitHub Actions
 * token service is served on loopback too. What `sign --keyless` and `push --sign-keyless` write must
 * verify with `ocipack verify` and, independently, with @sigstore/verify (helpers/keylesscheck.ts).
 * Hostile cases: a hanging token service, Fulcio refusing, Rekor down, a plain-http Fulcio elsewhere.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { artifactPusher } from '../helpers/artifacts.js';
import { startRegistry } from '../helpers/registry.js';
import { registryReader } from '../helpers/bundlecheck.js';
import { keylessVerify } from '../helpers/keylesscheck.js';
import { githubClaims, gitlabClaims, mintToken, signingConfig, startSigstore, type SigstoreMock } from '../helpers/sigstoremock.js';

const GH_ID = 'https://github.com/org/app/.github/workflows/release.yaml@refs/heads/main';
const GH_ISS = 'https://token.actions.githubusercontent.com';
const GL_ID = 'https://gitlab.com/group/app//.gitlab-ci.yml@refs/heads/main';
const GL_ISS = 'https://gitlab.com';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let ss: SigstoreMock;
let dir: string;
let rootFile: string;

before(async () => {
  [reg, ss] = await Promise.all([startRegistry({ auth: 'none' }), startSigstore()]);
  dir = await tempDir('ocipack-keyless-');
  rootFile = join(dir, 'trusted_root.json');
  await writeFile(rootFile, ss.trustedRoot);
});
after(async () => {
  await Promise.all([reg?.stop(), ss?.close()]);
});

const pushArtifact = artifactPusher(() => reg, 'keyless/app');
const services = (): string[] => ['--fulcio-url', ss.url, '--rekor-url', ss.url];
const actionsEnv = (): Record<string, string> => ({ ACTIONS_ID_TOKEN_REQUEST_URL: ss.actionsUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: ss.actionsRequestToken });
const reader = (repo: string): ReturnType<typeof registryReader> => registryReader(reg.url, repo);

async function verifyCli(ref: string, id: string, iss: string): Promise<{ code: number; json: any; stderr: string }> {
  const r = await ocipack(['verify', ref, '--certificate-identity', id, '--certificate-oidc-issuer', iss, '--trusted-root', rootFile, '-o', 'json']);
  return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

test('sign --keyless with SIGSTORE_ID_TOKEN (GitLab CI), Rekor v1: cosign 3 bundle that verifies with ocipack and @sigstore/verify', async () => {
  const a = await pushArtifact();
  const token = mintToken(gitlabClaims());
  const r = await ocipack(['sign', a.ref, '--keyless', ...services(), '-o', 'json', '--debug'], { env: { SIGSTORE_ID_TOKEN: token } });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'the token is never printed, not even with --debug');
  const out = JSON.parse(r.stdout);
  assert.equal(out.digest, a.desc.digest);
  assert.equal(out.signature.identity, GL_ID);
  assert.equal(out.signature.issuer, GL_ISS);
  assert.match(out.signature.referrer, /^sha256:[0-9a-f]{64}$/);
  assert.equal(typeof out.signature.tlog.logIndex, 'number');
  assert.ok(out.signature.tlog.integratedTime > 0);
  const v = await verifyCli(a.ref, GL_ID, GL_ISS);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.json.signatures.find((s: any) => s.verified).identity, GL_ID);
  const found = await keylessVerify(reader(a.repo), a.desc.digest, ss.trustedRoot, { identity: GL_ID, issuer: GL_ISS });
  assert.deepEqual(found.map((f) => f.referrer), [out.signature.referrer]);
  assert.equal((found[0]!.bundle as any).verificationMaterial.tlogEntries[0].kindVersion.kind, 'dsse');
  const fulcio = ss.seen.filter((s) => s.path === '/api/v2/signingCert');
  assert.ok(fulcio.some((s) => s.body.includes(token)), 'the token went to Fulcio');
  assert.ok(ss.seen.filter((s) => s.body.includes(token)).every((s) => s.path === '/api/v2/signingCert'), 'and nowhere else');
  const wrong = await verifyCli(a.ref, GH_ID, GH_ISS);
  assert.equal(wrong.code, 3, 'another identity is not accepted');
});

test('sign --keyless in GitHub Actions (token service on loopback) with a signing config: Rekor v2 + TSA', async () => {
  const a = await pushArtifact();
  const cfg = join(dir, 'signing-config-v2.json');
  await writeFile(cfg, signingConfig(ss.url, 2));
  const before = ss.seen.length;
  const r = await ocipack(['sign', a.ref, '--keyless', '--signing-config', cfg, '-o', 'json'], { env: actionsEnv() });
  assert.equal(r.code, 0, r.stderr);
  const asked = ss.seen.slice(before).find((s) => s.path.startsWith('/actions/token'))!;
  assert.equal(asked.method, 'GET');
  assert.match(asked.path, /[?&]audience=sigstore/);
  assert.equal(asked.headers.authorization, `bearer ${ss.actionsRequestToken}`);
  assert.ok(!r.stdout.includes(ss.actionsToken) && !r.stderr.includes(ss.actionsToken));
  const out = JSON.parse(r.stdout);
  assert.equal(out.signature.identity, GH_ID);
  assert.equal(out.signature.issuer, GH_ISS);
  const v = await verifyCli(a.ref, GH_ID, GH_ISS);
  assert.equal(v.code, 0, v.stderr);
  const [found] = await keylessVerify(reader(a.repo), a.desc.digest, ss.trustedRoot, { identity: GH_ID, issuer: GH_ISS });
  const vm = (found!.bundle as any).verificationMaterial;
  assert.equal(vm.tlogEntries[0].kindVersion.version, '0.0.2', 'a Rekor v2 entry');
  assert.equal(vm.timestampVerificationData.rfc3161Timestamps.length, 1, 'and an RFC 3161 timestamp');
});

test('push --sign-keyless signs what it pushed (--identity-token @file, --timestamp-server-url)', async () => {
  const src = join(dir, 'push-src');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'deploy.yaml'), 'kind: ConfigMap\n');
  const tokenFile = join(dir, 'token.jwt');
  await writeFile(tokenFile, `${mintToken(githubClaims())}\n`);
  const ref = `oci://${reg.host}/keyless/pushed:v1`;
  const r = await ocipack(['push', ref, '--path', src, '--source', 'https://github.com/org/app', '--revision', 'main@sha1:abc',
    '--sign-keyless', '--identity-token', `@${tokenFile}`, ...services(), '--timestamp-server-url', ss.url, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.signature.identity, GH_ID);
  assert.equal(out.signature.digest, out.digest);
  const v = await verifyCli(ref, GH_ID, GH_ISS);
  assert.equal(v.code, 0, v.stderr);
  const [found] = await keylessVerify(reader('keyless/pushed'), out.digest, ss.trustedRoot, { identity: GH_ID, issuer: GH_ISS });
  assert.equal((found!.bundle as any).verificationMaterial.timestampVerificationData.rfc3161Timestamps.length, 1);
});

test('no identity token anywhere: exit 2 naming the three ways, before the registry is touched', async () => {
  const r = await ocipack(['sign', `oci://${reg.host}/keyless/none:v1`, '--keyless', ...services()]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--identity-token/);
  assert.match(r.stderr, /SIGSTORE_ID_TOKEN/);
  assert.match(r.stderr, /GitHub Actions/);
});

test('a token service that hangs is bounded by --timeout (exit 1)', async () => {
  const a = await pushArtifact();
  ss.faults.token = 'hang';
  try {
    const r = await ocipack(['sign', a.ref, '--keyless', ...services(), '--timeout', '2s'], { env: actionsEnv() });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /timed out/);
  } finally {
    ss.faults.token = 'ok';
  }
});

test('Fulcio refusing: exit 1 with an error naming Fulcio; Rekor down: exit 1; nothing written either way', async () => {
  const a = await pushArtifact();
  const env = { SIGSTORE_ID_TOKEN: mintToken(githubClaims()) };
  ss.faults.fulcio = 'refuse';
  try {
    const r = await ocipack(['sign', a.ref, '--keyless', ...services()], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Fulcio refused the request \(HTTP \(403\)/);
  } finally {
    ss.faults.fulcio = 'ok';
  }
  ss.faults.rekor = 'down';
  try {
    const r = await ocipack(['sign', a.ref, '--keyless', ...services()], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Rekor failed/);
  } finally {
    ss.faults.rekor = 'ok';
  }
  assert.equal(await reader(a.repo).manifest(a.desc.digest.replace(':', '-')), undefined, 'no referrer was written');
});

test('a signing config naming a plain-http Fulcio on another host: exit 2 before any request', async () => {
  const a = await pushArtifact();
  const cfg = join(dir, 'signing-config-http.json');
  await writeFile(cfg, signingConfig(ss.url, 1, { fulcio: 'http://fulcio.example.com' }));
  const before = ss.seen.length;
  const env = actionsEnv();
  const r = await ocipack(['sign', a.ref, '--keyless', '--signing-config', cfg], { env });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /must use https/);
  assert.equal(ss.seen.length, before, 'not even the token service was asked');
  const flag = await ocipack(['sign', a.ref, '--keyless', '--fulcio-url', 'http://10.0.0.1:5555'], { env });
  assert.equal(flag.code, 2, flag.stderr);
  assert.equal(ss.seen.length, before);
});
