/**
 * SPEC §7, issue 24 item 5: identity, issuer and GitHub workflow claims come only from the leaf
 * certificate whose chain, verified time and signature @sigstore/verify checked. Bundles v0.1, v0.2
 * and v0.3 carrying other certificates (a decoy with the wanted SAN or workflow claims, in the chain or
 * beside it in `certificate`, leaf first or last) must not lend their claims: exit 3.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { artifactPusher } from '../helpers/artifacts.js';
import { startRegistry } from '../helpers/registry.js';
import { pushReferrer } from '../helpers/rawoci.js';
import { dsseBundle, makeCa, makeLeaf, statementFor, TestLog, trustedRoot, type BundleVersion, type Leaf, type TestCa } from '../helpers/sigstore.js';

const IDENTITY = 'https://github.com/org/app/.github/workflows/release.yaml@refs/heads/main';
const OTHER = 'https://github.com/mallory/fork/.github/workflows/release.yaml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const REPO_OID = '1.3.6.1.4.1.57264.1.5';
const VERSIONS: BundleVersion[] = ['0.1', '0.2', '0.3'];
const MEDIA: Record<BundleVersion, string> = {
  '0.1': 'application/vnd.dev.sigstore.bundle+json;version=0.1',
  '0.2': 'application/vnd.dev.sigstore.bundle+json;version=0.2',
  '0.3': 'application/vnd.dev.sigstore.bundle.v0.3+json',
};

let reg: Awaited<ReturnType<typeof startRegistry>>;
let ca: TestCa;
let log: TestLog;
let rootFile: string;
/** Signs, SAN IDENTITY, workflow repository org/app. */
let honest: Leaf;
/** Signs, SAN OTHER. */
let mallory: Leaf;
/** Signs, SAN IDENTITY, workflow repository mallory/fork. */
let fork: Leaf;
/** Never signs: the test CA's certificate for IDENTITY with workflow repository org/app, another key. */
let decoy: Leaf;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  ca = await makeCa();
  log = new TestLog();
  [honest, mallory, fork, decoy] = await Promise.all([
    makeLeaf(ca, { san: `URI:${IDENTITY}`, issuer: ISSUER, extensions: { [REPO_OID]: { raw: 'org/app' } } }),
    makeLeaf(ca, { san: `URI:${OTHER}`, issuer: ISSUER }),
    makeLeaf(ca, { san: `URI:${IDENTITY}`, issuer: ISSUER, extensions: { [REPO_OID]: { raw: 'mallory/fork' } } }),
    makeLeaf(ca, { san: `URI:${IDENTITY}`, issuer: ISSUER, extensions: { [REPO_OID]: { raw: 'org/app' } } }),
  ]);
  rootFile = join(await tempDir('ocipack-root-'), 'trusted_root.json');
  await writeFile(rootFile, trustedRoot([ca], [log]));
});
after(async () => {
  await reg?.stop();
});

const pushArtifact = artifactPusher(() => reg, 'claims/app');

/** A fresh artifact with one bundle signed by `signer`, its material placed by `place`; then `verify -o json`. */
async function verifyWith(version: BundleVersion, signer: Leaf, place: { chain?: Buffer[]; certificate?: Buffer }, extra: string[] = []): Promise<{ code: number; json: any; stderr: string }> {
  const a = await pushArtifact();
  const bundle = dsseBundle({ payload: statementFor(a.desc.digest), key: signer.key, leaf: signer, log, version, ...place });
  await pushReferrer(reg.url, a.repo, a.desc, {
    artifactType: MEDIA[version],
    config: { mediaType: 'application/vnd.oci.empty.v1+json', bytes: Buffer.from('{}') },
    layers: [{ mediaType: MEDIA[version], bytes: bundle }],
  });
  const r = await ocipack(['verify', a.ref, '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER, '--trusted-root', rootFile, ...extra, '-o', 'json']);
  return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

const REPO_CLAIM = ['--certificate-github-workflow-repository', 'org/app'];

test('honest bundles v0.1 and v0.2 (chain, leaf first) and v0.3 (certificate) verify, workflow claim included', async () => {
  for (const version of VERSIONS) {
    const place = version === '0.3' ? {} : { chain: [honest.certDer, ca.certDer] };
    const v = await verifyWith(version, honest, place, REPO_CLAIM);
    assert.equal(v.code, 0, `${version}: ${v.stderr}`);
    assert.equal(v.json.signatures[0].identity, IDENTITY);
    assert.ok(v.json.signatures[0].matched.includes(`certificateGithubWorkflow.repository org/app (${REPO_OID})`), version);
  }
});

test('a decoy certificate with the wanted SAN lends nothing: leaf first, leaf last, or beside the chain', async () => {
  for (const version of ['0.1', '0.2'] as const) {
    const first = await verifyWith(version, mallory, { chain: [mallory.certDer, decoy.certDer, ca.certDer] });
    assert.equal(first.code, 3, `${version} leaf first: ${first.stderr}`);
    assert.equal(first.json.signatures[0].reason, `certificate identity "${OTHER}" is not "${IDENTITY}"`);
    const last = await verifyWith(version, mallory, { chain: [decoy.certDer, ca.certDer, mallory.certDer] });
    assert.equal(last.code, 3, `${version} leaf last: ${last.stderr}`);
    assert.match(last.json.signatures[0].reason, /signature verification failed/);
    const beside = await verifyWith(version, mallory, { chain: [mallory.certDer], certificate: decoy.certDer });
    assert.equal(beside.code, 3, `${version} beside: ${beside.stderr}`);
    assert.equal(beside.json.signatures[0].reason, `certificate identity "${OTHER}" is not "${IDENTITY}"`);
  }
  // v0.3 holds one certificate: a decoy in its place does not verify the signature; a chain beside it makes the bundle invalid
  const swapped = await verifyWith('0.3', mallory, { certificate: decoy.certDer });
  assert.equal(swapped.code, 3, swapped.stderr);
  assert.match(swapped.json.signatures[0].reason, /signature verification failed/);
  const both = await verifyWith('0.3', mallory, { certificate: mallory.certDer, chain: [decoy.certDer] });
  assert.equal(both.code, 3, both.stderr);
  assert.match(both.json.signatures[0].reason, /keyless verification failed/);
});

test('workflow claims come only from the verified leaf, not from a decoy in the bundle', async () => {
  const noClaim = `certificate has no GitHub workflow repository "org/app" (${REPO_OID} or 1.3.6.1.4.1.57264.1.12)`;
  for (const version of ['0.1', '0.2'] as const) {
    const beside = await verifyWith(version, fork, { chain: [fork.certDer, ca.certDer], certificate: decoy.certDer }, REPO_CLAIM);
    assert.equal(beside.code, 3, `${version} beside: ${beside.stderr}`);
    assert.equal(beside.json.signatures[0].reason, noClaim);
    const inChain = await verifyWith(version, fork, { chain: [fork.certDer, decoy.certDer, ca.certDer] }, REPO_CLAIM);
    assert.equal(inChain.code, 3, `${version} in chain: ${inChain.stderr}`);
    assert.equal(inChain.json.signatures[0].reason, noClaim);
  }
  const v3 = await verifyWith('0.3', fork, {}, REPO_CLAIM);
  assert.equal(v3.code, 3, v3.stderr);
  assert.equal(v3.json.signatures[0].reason, noClaim);
});

test('the CA first and the leaf last is no chain sigstore accepts, even an honest one', async () => {
  for (const version of ['0.1', '0.2'] as const) {
    const v = await verifyWith(version, honest, { chain: [ca.certDer, honest.certDer] });
    assert.equal(v.code, 3, `${version}: ${v.stderr}`);
    assert.equal(v.json.signatures[0].verified, false);
  }
});
