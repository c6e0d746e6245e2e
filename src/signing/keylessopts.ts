/** The keyless fields of a use-case's options, as the request keyless signing takes (one place for sign, push and attest). */
import type { Env } from '../core/options.js';
import type { KeylessRequest } from './keylesssign.js';

/** The keyless options sign, push and attest share, declared once. */
export interface KeylessServiceOptions {
  /** Keyless: an OIDC token (`<jwt>` or `@file`); else `SIGSTORE_ID_TOKEN` or the GitHub Actions token service in `env`. */
  identityToken?: string;
  /** Keyless services (default: the Sigstore public-good instance); URLs https, or http on loopback. */
  fulcioUrl?: string;
  rekorUrl?: string;
  timestampServerUrl?: string;
  /** Keyless: cosign 3's signing config file, instead of the three URLs. */
  signingConfig?: string;
}

/** What keyless signing reads from a use-case's options: the services, `env` and the run's signal. */
export interface KeylessFields extends KeylessServiceOptions {
  env?: Env;
  signal?: AbortSignal;
}

/** Copy the keyless fields that are set (exactOptionalPropertyTypes-safe). */
export function keylessSignOptions(o: KeylessFields): KeylessRequest {
  const r: KeylessRequest = { env: o.env ?? {} };
  if (o.identityToken !== undefined) r.identityToken = o.identityToken;
  if (o.fulcioUrl !== undefined) r.fulcioUrl = o.fulcioUrl;
  if (o.rekorUrl !== undefined) r.rekorUrl = o.rekorUrl;
  if (o.timestampServerUrl !== undefined) r.timestampServerUrl = o.timestampServerUrl;
  if (o.signingConfig !== undefined) r.signingConfig = o.signingConfig;
  if (o.signal) r.signal = o.signal;
  return r;
}
