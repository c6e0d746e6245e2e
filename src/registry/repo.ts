/** A repository on a registry client, with the scopes its requests ask for. */
import type { RegistryClient } from './client.js';
import type { FailureContext } from './failure.js';

export interface Repo {
  client: RegistryClient;
  /** Repository name, e.g. `org/app`. */
  name: string;
  /** Token scopes for every request of this repository (`repository:<name>:pull[,push]`). */
  scopes: readonly string[];
}

/** `/v2/<name>/<rest>` (OCI distribution-spec "Endpoints"). */
export function apiPath(repo: Repo, rest: string): string {
  return `/v2/${repo.name}/${rest}`;
}

/** The failure context for messages about this repository. */
export function ctxOf(repo: Repo, subject: string): FailureContext {
  return { host: repo.client.host, repository: repo.name, subject };
}
