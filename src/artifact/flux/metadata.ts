/** Source, revision and creation time for an artifact: from flags, CI variables, or the git checkout. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Env } from '../../core/options.js';
import { OcipackError } from '../../core/errors.js';

const run = promisify(execFile);

export interface Metadata {
  source?: string;
  revision?: string;
}

/** Flux's revision format: `<ref>@sha1:<commit>` (or just `sha1:<commit>` without a ref name). */
export function fluxRevision(refName: string | undefined, sha: string): string {
  return refName ? `${refName}@sha1:${sha}` : `sha1:${sha}`;
}

/** Strip user info from a URL (a git remote may embed a token) so it never lands in an annotation. */
export function stripUserInfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}

/** Source and revision from GitHub Actions or GitLab CI variables, when present. */
export function metadataFromCI(env: Env): Metadata {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_REPOSITORY && env.GITHUB_SHA) {
    const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
    return {
      source: `${server}/${env.GITHUB_REPOSITORY}`,
      revision: fluxRevision(env.GITHUB_REF_NAME, env.GITHUB_SHA),
    };
  }
  if (env.GITLAB_CI === 'true' && env.CI_COMMIT_SHA) {
    const md: Metadata = { revision: fluxRevision(env.CI_COMMIT_REF_NAME, env.CI_COMMIT_SHA) };
    if (env.CI_PROJECT_URL) md.source = env.CI_PROJECT_URL;
    return md;
  }
  return {};
}

async function git(cwd: string, args: string[], env: Env): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', args, { cwd, timeout: 5000, env: { ...env, GIT_TERMINAL_PROMPT: '0' } as NodeJS.ProcessEnv });
    const out = stdout.trim();
    return out === '' ? undefined : out;
  } catch {
    return undefined;
  }
}

/** Source (remote.origin.url without credentials) and revision (`branch@sha1:HEAD`) of a git checkout. */
export async function metadataFromGit(dir: string, env: Env = {}): Promise<Metadata> {
  const sha = await git(dir, ['rev-parse', 'HEAD'], env);
  if (!sha) return {};
  const branch = await git(dir, ['symbolic-ref', '--short', '-q', 'HEAD'], env);
  const origin = await git(dir, ['config', '--get', 'remote.origin.url'], env);
  const md: Metadata = { revision: fluxRevision(branch, sha) };
  if (origin) md.source = stripUserInfo(origin);
  return md;
}

/** Flags win, then CI variables, then git; each field is filled independently. */
export async function resolveMetadata(flags: Metadata, dir: string, env: Env): Promise<Metadata> {
  const out: Metadata = { ...flags };
  if (out.source !== undefined && out.revision !== undefined) return out;
  const ci = metadataFromCI(env);
  const fromGit = ci.source && ci.revision ? {} : await metadataFromGit(dir, env);
  out.source ??= ci.source ?? fromGit.source;
  out.revision ??= ci.revision ?? fromGit.revision;
  return out;
}

/** RFC 3339 UTC with seconds; `--reproducible` pins the epoch, SOURCE_DATE_EPOCH always wins. */
export function createdTime(reproducible: boolean, env: Env, now: Date = new Date()): string {
  const sde = env.SOURCE_DATE_EPOCH;
  let date = reproducible ? new Date(0) : now;
  if (sde !== undefined && sde !== '') {
    if (!/^\d+$/.test(sde)) throw new OcipackError('USAGE', `SOURCE_DATE_EPOCH must be a number of seconds, got "${sde}"`);
    date = new Date(Number(sde) * 1000);
  }
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const CREATED = 'org.opencontainers.image.created';

/**
 * The three annotations push sets itself, when the user also gave them with `-a`: flux lets a user annotation
 * win, and so does ocipack, but never silently against a flag that says otherwise. `created` must be RFC 3339
 * and cannot be combined with --reproducible or SOURCE_DATE_EPOCH (each would pin another time); a `source` or
 * `revision` annotation that disagrees with --source/--revision is refused.
 */
export function userMetadata(user: Record<string, string>, flags: Metadata, reproducible: boolean, env: Env): Metadata & { created?: string } {
  const out: Metadata & { created?: string } = {};
  const created = user[CREATED];
  if (created !== undefined) {
    if (!RFC3339.test(created) || Number.isNaN(Date.parse(created))) {
      throw new OcipackError('USAGE', `annotation ${CREATED}="${created}" is not an RFC 3339 time such as 2026-01-02T15:04:05Z`);
    }
    if (reproducible) throw new OcipackError('USAGE', `\`annotations\` ${CREATED}=… conflicts with \`reproducible\`, which sets it to 1970-01-01T00:00:00Z: give one of them`, { context: { option: 'annotations' } });
    if ((env.SOURCE_DATE_EPOCH ?? '') !== '') throw new OcipackError('USAGE', `\`annotations\` ${CREATED}=… conflicts with SOURCE_DATE_EPOCH, which sets the creation time: give one of them`, { context: { option: 'annotations' } });
    out.created = created;
  }
  for (const field of ['source', 'revision'] as const) {
    const key = `org.opencontainers.image.${field}`;
    const value = user[key];
    if (value === undefined) continue;
    const flag = flags[field];
    if (flag !== undefined && flag !== value) throw new OcipackError('USAGE', `\`annotations\` ${key}="${value}" disagrees with \`${field}\` "${flag}": give one of them`, { context: { option: 'annotations' } });
    out[field] = value;
  }
  return out;
}
