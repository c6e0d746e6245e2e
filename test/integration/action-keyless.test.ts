/**
 * The GitHub Action signing keylessly (issue 28 "done when", beside issue 24): `command: push` with
 * `sign-keyless: true` and `provenance: true` through @github/local-action, the job's OIDC token fetched from
 * the Actions token service (served on loopback by the Sigstore stand-in), Fulcio and Rekor from @sigstore/mock;
 * the digest output names what was pushed, and @sigstore/verify (importing nothing from src/) accepts both the
 * signature and the SLSA provenance for the workflow's identity; a later action step verifies by the ref output.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { localAction } from '../helpers/localaction.js';
import { registryReader } from '../helpers/bundlecheck.js';
import { keylessVerify } from '../helpers/keylesscheck.js';
import { startSigstore, type SigstoreMock } from '../helpers/sigstoremock.js';

/** The identity githubClaims() gives the Actions token service's token (test/helpers/sigstoremock.ts). */
const GH_ID = 'https://github.com/org/app/.github/workflows/release.yaml@refs/heads/main';
const GH_ISS = 'https://token.actions.githubusercontent.com';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let ss: SigstoreMock;
let work: string;

before(async () => {
  [reg, ss] = await Promise.all([startRegistry({ auth: 'none' }), startSigstore()]);
  work = await tempDir('ocipack-action-keyless-');
  await mkdir(join(work, 'deploy'));
  await writeFile(join(work, 'deploy', 'app.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n');
  await writeFile(join(work, 'trusted_root.json'), ss.trustedRoot);
});
after(async () => {
  await Promise.all([reg?.stop(), ss?.close()]);
});


test('the action pushes, signs keylessly with the job\'s OIDC token and attests provenance; the next step verifies by the ref output', async () => {
  const output = join(work, 'output');
  const runner = {
    GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: work, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: join(work, 'summary'),
    ACTIONS_ID_TOKEN_REQUEST_URL: ss.actionsUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: ss.actionsRequestToken,
    GITHUB_REPOSITORY: 'org/app', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_WORKFLOW_REF: 'org/app/.github/workflows/release.yaml@refs/heads/main', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com', RUNNER_ENVIRONMENT: 'github-hosted',
  };
  const push = await localAction(work, 'push', {
    ...runner, INPUT_COMMAND: 'push', INPUT_REF: `oci://${reg.host}/action/signed:v1`, INPUT_PATH: join(work, 'deploy'),
    'INPUT_SIGN-KEYLESS': 'true', INPUT_PROVENANCE: 'true', INPUT_ARGS: `--fulcio-url ${ss.url}\n--rekor-url ${ss.url}`,
  });
  assert.equal(push.code, 0, `${push.stdout}\n${push.stderr}`);
  assert.ok(!(push.stdout + push.stderr).includes(ss.actionsToken), 'the OIDC token is never printed');
  const text = await readFile(output, 'utf8');
  const digest = /^digest<<(\S+)\n(sha256:[0-9a-f]{64})\n\1$/m.exec(text)?.[2] ?? '';
  assert.match(digest, /^sha256:[0-9a-f]{64}$/, text);

  const reader = registryReader(reg.url, 'action/signed');
  const signatures = await keylessVerify(reader, digest, ss.trustedRoot, { identity: GH_ID, issuer: GH_ISS });
  assert.equal(signatures.length, 1, 'one keyless signature of the pushed digest, for the workflow identity');
  const provenance = await keylessVerify(reader, digest, ss.trustedRoot, { identity: GH_ID, issuer: GH_ISS, predicateType: 'https://slsa.dev/provenance/v1' });
  assert.equal(provenance.length, 1, 'and its SLSA provenance');

  const ref = /^ref<<(\S+)\n(.+)\n\1$/m.exec(text)?.[2] ?? '';
  const verify = await localAction(work, 'verify', {
    ...runner, INPUT_COMMAND: 'verify', INPUT_REF: ref,
    INPUT_ARGS: `--certificate-identity ${GH_ID}\n--certificate-oidc-issuer ${GH_ISS}\n--trusted-root ${join(work, 'trusted_root.json')}`,
  });
  assert.equal(verify.code, 0, `${verify.stdout}\n${verify.stderr}`);
});
