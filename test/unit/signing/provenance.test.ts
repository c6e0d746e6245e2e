/** SLSA Provenance v1 from the environment: GitHub Actions, GitLab CI, local; the source dependency mirrors the annotations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ciOf, provenancePredicate } from '../../../src/signing/provenance.js';

const SHA = 'd'.repeat(40);

test('which CI: by its marker variable only', () => {
  assert.equal(ciOf({ GITHUB_ACTIONS: 'true' }), 'github-actions');
  assert.equal(ciOf({ GITLAB_CI: 'true' }), 'gitlab-ci');
  assert.equal(ciOf({ CI: 'true', GITHUB_REPOSITORY: 'x/y' }), 'local');
});

test('the resolved dependency: git+<source>@<ref> and the commit of a Flux revision; absent metadata, no dependency', () => {
  const p = provenancePredicate({}, { source: 'https://h/r', revision: `main@sha1:${SHA}` }) as any;
  assert.deepEqual(p.buildDefinition.resolvedDependencies, [{
    uri: 'git+https://h/r@main', digest: { gitCommit: SHA },
    annotations: { 'org.opencontainers.image.source': 'https://h/r', 'org.opencontainers.image.revision': `main@sha1:${SHA}` },
  }]);
  assert.deepEqual((provenancePredicate({}, { revision: `sha1:${SHA}` }) as any).buildDefinition.resolvedDependencies[0].digest, { gitCommit: SHA });
  assert.deepEqual((provenancePredicate({}, {}) as any).buildDefinition.resolvedDependencies, []);
  assert.equal((provenancePredicate({}, { revision: 'not-flux' }) as any).buildDefinition.resolvedDependencies[0].digest, undefined);
});

test('GitHub Actions: workflow path from GITHUB_WORKFLOW_REF, enterprise server URL honoured', () => {
  const p = provenancePredicate({
    GITHUB_ACTIONS: 'true', GITHUB_SERVER_URL: 'https://ghe.example', GITHUB_REPOSITORY: 'o/r', GITHUB_REF: 'refs/tags/v1',
    GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/ci.yml@refs/tags/v1', GITHUB_RUN_ID: '1', GITHUB_RUN_ATTEMPT: '3', RUNNER_ENVIRONMENT: 'self-hosted',
  }, {}) as any;
  assert.deepEqual(p.buildDefinition.externalParameters.workflow, { ref: 'refs/tags/v1', repository: 'https://ghe.example/o/r', path: '.github/workflows/ci.yml' });
  assert.equal(p.runDetails.builder.id, 'https://github.com/actions/runner/self-hosted');
  assert.equal(p.runDetails.metadata.invocationId, 'https://ghe.example/o/r/actions/runs/1/attempts/3');
});
