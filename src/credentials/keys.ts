/**
 * Registry names as docker's config.json, podman's auth.json and credential helpers spell them
 * (SPEC §2, §6): keys match after normalisation, with or without `https://`, a trailing `/v1/` or any
 * path; Docker Hub lives under `https://index.docker.io/v1/` whichever alias the user wrote.
 */
import { usageError } from '../core/errors.js';

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_HOST = 'registry-1.docker.io';
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', DOCKER_HUB_HOST, 'registry.hub.docker.com']);

const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::[0-9]{1,5})?$/;

/** A registry a user logs in to: the name, the host on the wire, and the key credentials are stored under. */
export interface ServerName {
  /** `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  /** host[:port] on the wire: `registry-1.docker.io` for Docker Hub. */
  host: string;
  /** The config.json / helper key: `https://index.docker.io/v1/` for Docker Hub, else the registry. */
  key: string;
}

/**
 * The host[:port] a config key names, lower case: scheme, userinfo, path and a trailing `/v1/` are
 * dropped (docker's ConvertToHostname, plus podman's `host/namespace` keys). Docker Hub aliases become `docker.io`.
 */
export function hostOfKey(key: string): string {
  let s = key.trim().toLowerCase();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(s);
  if (scheme) s = s.slice(scheme[0].length);
  const slash = s.indexOf('/');
  if (slash >= 0) s = s.slice(0, slash);
  const at = s.lastIndexOf('@');
  if (at >= 0) s = s.slice(at + 1);
  return DOCKER_HUB_ALIASES.has(s) ? DOCKER_HUB : s;
}

/** True when a config key is for `registry` (both normalised). */
export function keyMatches(key: string, registry: string): boolean {
  return key.trim() !== '' && hostOfKey(key) === hostOfKey(registry);
}

/** The server URL handed to credential helpers and used as the config.json key for a registry. */
export function serverKey(registry: string): string {
  const host = hostOfKey(registry);
  return host === DOCKER_HUB ? DOCKER_HUB_KEY : host;
}

/** Parses the argument of `login`/`logout` (`ghcr.io`, `https://index.docker.io/v1/`, `oci://localhost:5000`). */
export function parseServer(input: string): ServerName {
  const trimmed = input.trim();
  if (trimmed === '') throw usageError('missing registry host, e.g. `ocipack login ghcr.io`');
  const host = hostOfKey(trimmed);
  if (!HOST.test(host)) throw usageError(`invalid registry host "${input}": expected host[:port], e.g. ghcr.io or localhost:5000`);
  if (host === DOCKER_HUB) return { registry: DOCKER_HUB, host: DOCKER_HUB_HOST, key: DOCKER_HUB_KEY };
  return { registry: host, host, key: host };
}
