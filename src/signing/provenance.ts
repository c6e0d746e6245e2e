/**
 * SLSA Provenance v1 (slsa.dev/spec/v1.0/provenance) for what `push --provenance` pushed, built from the
 * CI environment the way `npm publish --provenance` builds it (npm libnpmpublish/lib/provenance.js):
 * GitHub Actions (buildType github-actions-buildtypes/workflow/v1: workflow ref, repository and path;
 * event, repository and owner ids, runner environment; the commit as resolved dependency; builder
 * `https://github.com/actions/runner/<runner environment>`; invocation id from run id and attempt), GitLab
 * CI (npm's gitlab buildType: project, ref, sha, pipeline and job ids, runner), or elsewhere a minimal
 * document that says the artifact was built locally. The artifact's source and revision annotations are
 * recorded as the resolved dependency, so the two always agree. The environment comes in as `env`.
 */
import type { Env } from '../core/options.js';

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const GITHUB_BUILD_TYPE = 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1';
export const GITLAB_BUILD_TYPE = 'https://github.com/npm/cli/gitlab/v0alpha1';
/** No public home to point at, so a URN (a URI, as SLSA asks): built outside any CI, by ocipack. */
export const LOCAL_BUILD_TYPE = 'urn:ocipack:buildtype:local:v1';

/** The pushed artifact's source and revision annotations (org.opencontainers.image.source|revision). */
export interface SourceMetadata {
  source?: string;
  revision?: string;
}

/** The resolved dependency naming the source: `git+<source>@<ref>`, the commit from a Flux revision `<ref>@sha1:<commit>`. */
function sourceDependency(meta: SourceMetadata): Record<string, unknown>[] {
  if (meta.source === undefined && meta.revision === undefined) return [];
  const m = /^(?:(.*)@)?sha1:([0-9a-f]{7,64})$/.exec(meta.revision ?? '');
  const dep: Record<string, unknown> = {};
  if (meta.source !== undefined) dep.uri = `git+${meta.source}${m?.[1] ? `@${m[1]}` : ''}`;
  if (m) dep.digest = { gitCommit: m[2] };
  const annotations: Record<string, string> = {};
  if (meta.source !== undefined) annotations['org.opencontainers.image.source'] = meta.source;
  if (meta.revision !== undefined) annotations['org.opencontainers.image.revision'] = meta.revision;
  dep.annotations = annotations;
  return [dep];
}

function githubPredicate(env: Env, meta: SourceMetadata): Record<string, unknown> {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repo = env.GITHUB_REPOSITORY ?? '';
  const workflowRef = env.GITHUB_WORKFLOW_REF ?? '';
  const path = workflowRef.replace(`${repo}/`, '').split('@')[0] ?? '';
  const runner = env.RUNNER_ENVIRONMENT ?? 'unknown';
  return {
    buildDefinition: {
      buildType: GITHUB_BUILD_TYPE,
      externalParameters: { workflow: { ref: env.GITHUB_REF ?? '', repository: `${server}/${repo}`, path } },
      internalParameters: {
        github: { event_name: env.GITHUB_EVENT_NAME ?? '', repository_id: env.GITHUB_REPOSITORY_ID ?? '', repository_owner_id: env.GITHUB_REPOSITORY_OWNER_ID ?? '', runner_environment: runner },
      },
      resolvedDependencies: sourceDependency(meta),
    },
    runDetails: {
      builder: { id: `https://github.com/actions/runner/${runner}` },
      metadata: { invocationId: `${server}/${repo}/actions/runs/${env.GITHUB_RUN_ID ?? ''}/attempts/${env.GITHUB_RUN_ATTEMPT ?? ''}` },
    },
  };
}

function gitlabPredicate(env: Env, meta: SourceMetadata): Record<string, unknown> {
  const keys = ['CI', 'CI_PROJECT_URL', 'CI_PROJECT_PATH', 'CI_COMMIT_REF_NAME', 'CI_COMMIT_SHA', 'CI_PIPELINE_ID', 'CI_JOB_ID', 'CI_JOB_NAME', 'CI_CONFIG_PATH', 'CI_SERVER_URL', 'CI_RUNNER_ID', 'CI_RUNNER_DESCRIPTION'];
  const params: Record<string, string> = {};
  for (const k of keys) if (env[k] !== undefined) params[k] = env[k]!;
  return {
    buildDefinition: {
      buildType: GITLAB_BUILD_TYPE,
      externalParameters: params,
      internalParameters: {},
      resolvedDependencies: sourceDependency(meta),
    },
    runDetails: {
      builder: { id: `${env.CI_PROJECT_URL ?? ''}/-/runners/${env.CI_RUNNER_ID ?? ''}` },
      metadata: { invocationId: `${env.CI_PROJECT_URL ?? ''}/-/jobs/${env.CI_JOB_ID ?? ''}` },
    },
  };
}

/** Which CI this is, by its own marker variable. */
export function ciOf(env: Env): 'github-actions' | 'gitlab-ci' | 'local' {
  if (env.GITHUB_ACTIONS === 'true') return 'github-actions';
  if (env.GITLAB_CI === 'true') return 'gitlab-ci';
  return 'local';
}

/** The SLSA Provenance v1 predicate for a push in this environment. */
export function provenancePredicate(env: Env, meta: SourceMetadata): Record<string, unknown> {
  switch (ciOf(env)) {
    case 'github-actions':
      return githubPredicate(env, meta);
    case 'gitlab-ci':
      return gitlabPredicate(env, meta);
    case 'local':
      return {
        buildDefinition: { buildType: LOCAL_BUILD_TYPE, externalParameters: { builtLocally: true }, internalParameters: {}, resolvedDependencies: sourceDependency(meta) },
        runDetails: { builder: { id: 'urn:ocipack:builder:local' }, metadata: {} },
      };
  }
}
