/**
 * Attestations as cosign 3 `attest` writes them with the new bundle format, against the distribution
 * registry and @sigstore/mock's services on loopback: `attest --key` and `attest --keyless`, checked
 * by `verify --attestation-type` (-o json carries the predicate) and, keyless, independently with
 * @sigstore/verify (helpers/keylesscheck.ts). An attestation is no signature, and a signature no attestation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { artifactPusher } from '../helpers/artifacts.js';
import { startRegistry } from '../helpers/registry.js';
import { registryReader } from '../helpers/bundlecheck.js';
import { keylessVerify } from '../helpers/keylesscheck.js';
import { githubClaims, mintToken, startSigstore, type SigstoreMock } from '../helpers/sigstoremock.js';

const GH_ID = 'https://github.com/org/app/.github/workflows/release.yaml@refs/heads/main';
const GH_ISS = 'https://token.actions.githubusercontent.com';
const SPDX = { spdxVersion: 'SPDX-2.3', name: 'app-manifests', packages: [{ name: 'podinfo', versionInfo: '6.0.0' }] };
const SLSA = { buildDefinition: { buildType: 'https://example.com/build/v1', externalParameters: { ref: 'main' } }, runDetails: { builder: { id: 'https://example.com/builder' } } };

let reg: Awaited<ReturnType<typeof startRegistry>>;
let ss: SigstoreMock;
let dir: string;
let rootFile: string;
const env = { COSIGN_PASSWORD: 'pw' };

before(async () => {
  [reg, ss] = await Promise.all([startRegistry({ auth: 'none' }), startSigstore()]);
  dir = await tempDir('ocipack-attest-');
  rootFile = join(dir, 'trusted_root.json');
  await writeFile(rootFile, ss.trustedRoot);
  await writeFile(join(dir, 'sbom.json'), JSON.stringify(SPDX));
  await writeFile(join(dir, 'slsa.json'), JSON.stringify(SLSA));
  assert.equal((await ocipack(['generate-key-pair'], { cwd: dir, env })).code, 0);
});
after(async () => {
  await Promise.all([reg?.stop(), ss?.close()]);
});

const pushArtifact = artifactPusher(() => reg, 'attest/app');
const keyless = ['--certificate-identity', GH_ID, '--certificate-oidc-issuer', GH_ISS];

async function verifyJson(args: string[]): Promise<{ code: number; json: any; stderr: string }> {
  const r = await ocipack(['verify', ...args, '-o', 'json']);
  return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

test('attest --key --type spdxjson: a bundle referrer carrying the predicate type; verify --attestation-type returns the predicate', async () => {
  const a = await pushArtifact();
  const r = await ocipack(['attest', a.ref, '--predicate', join(dir, 'sbom.json'), '--type', 'spdxjson', '--key', join(dir, 'cosign.key'), '-o', 'json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.digest, a.desc.digest);
  assert.equal(out.predicateType, 'https://spdx.dev/Document');
  const reader = registryReader(reg.url, a.repo);
  const m = JSON.parse((await reader.manifest(out.referrer))!.toString());
  assert.equal(m.annotations['dev.sigstore.bundle.predicateType'], 'https://spdx.dev/Document');
  assert.equal(m.subject.digest, a.desc.digest);
  const bundle = JSON.parse((await reader.blob(m.layers[0].digest)).toString());
  const st = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
  assert.equal(st._type, 'https://in-toto.io/Statement/v1');
  assert.deepEqual(st.subject, [{ name: `${reg.host}/${a.repo}`, digest: { sha256: a.desc.digest.slice(7) } }]);
  assert.deepEqual(st.predicate, SPDX);
  const v = await verifyJson([a.ref, '--key', join(dir, 'cosign.pub'), '--attestation-type', 'spdxjson']);
  assert.equal(v.code, 0, v.stderr);
  assert.deepEqual(v.json.attestations.map((x: any) => [x.verified, x.predicateType, x.predicate]), [[true, 'https://spdx.dev/Document', SPDX]]);
  const other = await verifyJson([a.ref, '--key', join(dir, 'cosign.pub'), '--attestation-type', 'cyclonedx']);
  assert.equal(other.code, 3, 'no CycloneDX attestation');
  const sig = await verifyJson([a.ref, '--key', join(dir, 'cosign.pub')]);
  assert.equal(sig.code, 3, 'an attestation is not a signature');
});

test('attest --keyless --type slsaprovenance1: verifies with ocipack and independently with @sigstore/verify', async () => {
  const a = await pushArtifact();
  const r = await ocipack(['attest', a.ref, '--predicate', join(dir, 'slsa.json'), '--type', 'slsaprovenance1', '--keyless',
    '--fulcio-url', ss.url, '--rekor-url', ss.url, '-o', 'json'], { env: { SIGSTORE_ID_TOKEN: mintToken(githubClaims()) } });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.identity, GH_ID);
  assert.equal(typeof out.tlog.logIndex, 'number');
  const v = await verifyJson([a.ref, ...keyless, '--trusted-root', rootFile, '--attestation-type', 'https://slsa.dev/provenance/v1']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.json.attestations[0].identity, GH_ID);
  assert.deepEqual(v.json.attestations[0].predicate, SLSA);
  const [found] = await keylessVerify(registryReader(reg.url, a.repo), a.desc.digest, ss.trustedRoot, { identity: GH_ID, issuer: GH_ISS, predicateType: 'https://slsa.dev/provenance/v1' });
  assert.deepEqual(found!.statement.predicate, SLSA);
  const signed = await ocipack(['sign', a.ref, '--keyless', '--fulcio-url', ss.url, '--rekor-url', ss.url], { env: { SIGSTORE_ID_TOKEN: mintToken(githubClaims()) } });
  assert.equal(signed.code, 0, signed.stderr);
  const both = await verifyJson([a.ref, ...keyless, '--trusted-root', rootFile]);
  assert.equal(both.code, 0, 'the signature verifies beside the attestation');
  assert.equal(both.json.signatures.filter((s: any) => s.verified).length, 1, 'and the attestation does not count as a signature');
});

test('attest usage errors: unknown type, no signer, both signers, missing predicate (exit 2)', async () => {
  const a = await pushArtifact();
  const p = join(dir, 'sbom.json');
  for (const args of [
    ['--predicate', p, '--type', 'nonsense', '--key', join(dir, 'cosign.key')],
    ['--predicate', p, '--type', 'spdxjson'],
    ['--predicate', p, '--type', 'spdxjson', '--key', join(dir, 'cosign.key'), '--keyless'],
    ['--predicate', join(dir, 'missing.json'), '--type', 'spdxjson', '--key', join(dir, 'cosign.key')],
  ]) {
    const r = await ocipack(['attest', a.ref, ...args], { env });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  const v = await ocipack(['verify', a.ref, '--attestation-type', 'spdxjson']);
  assert.equal(v.code, 2, v.stderr);
});
