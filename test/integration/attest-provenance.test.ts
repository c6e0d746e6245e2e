/**
 * `push --provenance`: a signed SLSA Provenance v1 attestation of what the push wrote, built from the CI
 * environment (a GitHub Actions job with its token service on loopback and keyless signing; a GitLab CI
 * job with a key; a local build), whose recorded source and revision agree with the artifact's
 * annotations. Checked with `verify --attestation-type slsaprovenance1` and, keyless, independently
 * with @sigstore/verify. Registry and Sigstore services are real processes/handlers on loopback.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { registryReader } from '../helpers/bundlecheck.js';
import { keylessVerify } from '../helpers/keylesscheck.js';
import { startSigstore, type SigstoreMock } from '../helpers/sigstoremock.js';

const GH_ID = 'https://github.com/org/app/.github/workflows/release.yaml@refs/heads/main';
const GH_ISS = 'https://token.actions.githubusercontent.com';
const SLSA = 'https://slsa.dev/provenance/v1';
const SHA = 'c'.repeat(40);

let reg: Awaited<ReturnType<typeof startRegistry>>;
let ss: SigstoreMock;
let dir: string;
let src: string;
let rootFile: string;

before(async () => {
  [reg, ss] = await Promise.all([startRegistry({ auth: 'none' }), startSigstore()]);
  dir = await tempDir('ocipack-provenance-');
  src = join(dir, 'deploy');
  await mkdir(src);
  await writeFile(join(src, 'app.yaml'), 'kind: Deployment\n');
  rootFile = join(dir, 'trusted_root.json');
  await writeFile(rootFile, ss.trustedRoot);
  assert.equal((await ocipack(['generate-key-pair'], { cwd: dir, env: { COSIGN_PASSWORD: 'pw' } })).code, 0);
});
after(async () => {
  await Promise.all([reg?.stop(), ss?.close()]);
});

async function annotationsOf(repo: string, digest: string): Promise<Record<string, string>> {
  return JSON.parse((await registryReader(reg.url, repo).manifest(digest))!.toString()).annotations;
}

async function verifyProvenance(ref: string, signer: string[]): Promise<any> {
  const r = await ocipack(['verify', ref, ...signer, '--attestation-type', 'slsaprovenance1', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const [a] = JSON.parse(r.stdout).attestations.filter((x: any) => x.verified);
  assert.equal(a.predicateType, SLSA);
  return a.predicate;
}

test('GitHub Actions: push --sign-keyless --provenance, one step; signature and provenance verify, source and revision agree', async () => {
  const env = {
    GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'org/app', GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main',
    GITHUB_WORKFLOW_REF: 'org/app/.github/workflows/release.yaml@refs/heads/main', GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '2',
    GITHUB_EVENT_NAME: 'push', GITHUB_REPOSITORY_ID: '11', GITHUB_REPOSITORY_OWNER_ID: '22', RUNNER_ENVIRONMENT: 'github-hosted',
    ACTIONS_ID_TOKEN_REQUEST_URL: ss.actionsUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: ss.actionsRequestToken,
  };
  const ref = `oci://${reg.host}/provenance/gh:v1`;
  const r = await ocipack(['push', ref, '--path', src, '--sign-keyless', '--provenance', '--fulcio-url', ss.url, '--rekor-url', ss.url, '-o', 'json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.signature.identity, GH_ID);
  assert.equal(out.provenance.predicateType, SLSA);
  const keyless = ['--certificate-identity', GH_ID, '--certificate-oidc-issuer', GH_ISS, '--trusted-root', rootFile];
  const sig = await ocipack(['verify', ref, ...keyless]);
  assert.equal(sig.code, 0, sig.stderr);
  const p = await verifyProvenance(ref, keyless);
  assert.equal(p.buildDefinition.buildType, 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1');
  assert.deepEqual(p.buildDefinition.externalParameters.workflow, { ref: 'refs/heads/main', repository: 'https://github.com/org/app', path: '.github/workflows/release.yaml' });
  assert.equal(p.buildDefinition.internalParameters.github.runner_environment, 'github-hosted');
  assert.equal(p.runDetails.builder.id, 'https://github.com/actions/runner/github-hosted');
  assert.equal(p.runDetails.metadata.invocationId, 'https://github.com/org/app/actions/runs/4242/attempts/2');
  const ann = await annotationsOf('provenance/gh', out.digest);
  assert.equal(ann['org.opencontainers.image.source'], 'https://github.com/org/app');
  assert.equal(ann['org.opencontainers.image.revision'], `main@sha1:${SHA}`);
  const [dep] = p.buildDefinition.resolvedDependencies;
  assert.deepEqual(dep, {
    uri: 'git+https://github.com/org/app@main', digest: { gitCommit: SHA },
    annotations: { 'org.opencontainers.image.source': ann['org.opencontainers.image.source'], 'org.opencontainers.image.revision': ann['org.opencontainers.image.revision'] },
  });
  const [found] = await keylessVerify(registryReader(reg.url, 'provenance/gh'), out.digest, ss.trustedRoot, { identity: GH_ID, issuer: GH_ISS, predicateType: SLSA });
  assert.deepEqual(found!.statement.predicate, p);
});

test('GitLab CI: push --sign-key --provenance records project, ref, sha, pipeline and job', async () => {
  const env = {
    COSIGN_PASSWORD: 'pw', GITLAB_CI: 'true', CI: 'true', CI_PROJECT_URL: 'https://gitlab.com/group/app', CI_PROJECT_PATH: 'group/app',
    CI_COMMIT_REF_NAME: 'main', CI_COMMIT_SHA: SHA, CI_PIPELINE_ID: '777', CI_JOB_ID: '888', CI_RUNNER_ID: '5',
  };
  const ref = `oci://${reg.host}/provenance/gl:v1`;
  const r = await ocipack(['push', ref, '--path', src, '--sign-key', join(dir, 'cosign.key'), '--provenance', '-o', 'json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const p = await verifyProvenance(ref, ['--key', join(dir, 'cosign.pub')]);
  assert.equal(p.buildDefinition.buildType, 'https://github.com/npm/cli/gitlab/v0alpha1');
  assert.equal(p.buildDefinition.externalParameters.CI_PIPELINE_ID, '777');
  assert.equal(p.buildDefinition.externalParameters.CI_JOB_ID, '888');
  assert.equal(p.runDetails.metadata.invocationId, 'https://gitlab.com/group/app/-/jobs/888');
  const ann = await annotationsOf('provenance/gl', out.digest);
  assert.equal(p.buildDefinition.resolvedDependencies[0].annotations['org.opencontainers.image.source'], ann['org.opencontainers.image.source']);
  assert.equal(p.buildDefinition.resolvedDependencies[0].annotations['org.opencontainers.image.revision'], `main@sha1:${SHA}`);
});

test('outside CI: a minimal provenance that says it was built locally, with the --source/--revision given', async () => {
  const ref = `oci://${reg.host}/provenance/local:v1`;
  const r = await ocipack(['push', ref, '--path', src, '--source', 'https://example.com/app.git', '--revision', `v1@sha1:${SHA}`,
    '--sign-key', join(dir, 'cosign.key'), '--provenance'], { env: { COSIGN_PASSWORD: 'pw' } });
  assert.equal(r.code, 0, r.stderr);
  const p = await verifyProvenance(ref, ['--key', join(dir, 'cosign.pub')]);
  assert.deepEqual(p.buildDefinition.externalParameters, { builtLocally: true });
  assert.deepEqual(p.buildDefinition.resolvedDependencies[0].digest, { gitCommit: SHA });
  assert.equal(p.buildDefinition.resolvedDependencies[0].uri, 'git+https://example.com/app.git@v1');
});

test('--provenance without a signer is exit 2, before anything is pushed', async () => {
  const r = await ocipack(['push', `oci://${reg.host}/provenance/none:v1`, '--path', src, '--provenance']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--provenance needs --sign-key or --sign-keyless/);
  assert.equal(await registryReader(reg.url, 'provenance/none').manifest('v1'), undefined);
});
