/** The keyless fields of a use-case's options, as the request keyless signing takes (one place for sign, push and attest). */
import type { Env } from '../core/options.js';
import type { KeylessRequest } from './keylesssign.js';

/** The keyless option fields sign, push and attest share. */
export interface KeylessFields {
  identityToken?: string;
  fulcioUrl?: string;
  rekorUrl?: string;
  timestampServerUrl?: string;
  signingConfig?: string;
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
