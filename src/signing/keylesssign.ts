/**
 * Keyless signing as cosign 3 does it, with @sigstore/sign 5 (the maintained sigstore-js signer; no
 * hand-written Fulcio or Rekor client): an ephemeral P-256 key, a Fulcio certificate for the OIDC
 * token's identity, the DSSE signature over an in-toto statement, then the Rekor entry (v1 `dsse`, or
 * v2 from a signing config) and/or an RFC 3161 timestamp, packed into a Sigstore bundle v0.3 whose
 * verification material is the certificate. The bundle is attached by bundlesign.ts's writer, the
 * same as a key signature; only the signer differs. @sigstore/sign (and its HTTP stack) is loaded
 * here, only when keyless signing is asked for. Nothing is written when any service fails.
 */
import { X509Certificate } from 'node:crypto';
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { Env } from '../core/options.js';
import { certificateExtensions, derString, FULCIO_OID } from './certext.js';
import { findIdentityToken, type IdentityToken } from './oidc.js';
import { INTOTO_PAYLOAD_TYPE } from './payload.js';
import { resolveServices, type ServiceFlags, type Services } from './services.js';

/** What keyless signing needs, gathered before the first write: the services (checked) and the token. */
export interface KeylessSigner {
  services: Services;
  token: IdentityToken;
  signal?: AbortSignal;
}

export interface KeylessRequest extends ServiceFlags {
  /** `--identity-token <jwt|@file>`. */
  identityToken?: string;
  env: Env;
  signal?: AbortSignal;
}

/** The transparency-log entry of a keyless signature, as `-o json` shows it. */
export interface TlogEntry {
  logIndex: number;
  integratedTime: number;
}

export interface KeylessSignature {
  /** The bundle v0.3 JSON bytes. */
  bundle: Buffer;
  /** The certificate's SAN (URI or e-mail) and OIDC issuer. */
  identity: string;
  issuer: string;
  tlog?: TlogEntry;
}

/** Services first (a bad URL is exit 2 before any request), then the token. */
export async function prepareKeyless(r: KeylessRequest): Promise<KeylessSigner> {
  const services = await resolveServices(r);
  const lookup: Parameters<typeof findIdentityToken>[0] = { env: r.env };
  if (r.identityToken !== undefined) lookup.flag = r.identityToken;
  if (r.signal) lookup.signal = r.signal;
  const token = await findIdentityToken(lookup);
  const out: KeylessSigner = { services, token };
  if (r.signal) out.signal = r.signal;
  return out;
}

/** The SAN and OIDC issuer (.1.8, or the legacy .1.1) of the Fulcio certificate. */
export function certificateIdentity(der: Buffer): { identity: string; issuer: string } {
  const cert = new X509Certificate(der);
  const san = (cert.subjectAltName ?? '').split(/,\s*/)[0] ?? '';
  const identity = san.replace(/^(URI|email):/, '');
  const exts = certificateExtensions(der);
  const v2 = exts.get(FULCIO_OID.issuer);
  const v1 = exts.get(FULCIO_OID.issuerV1);
  return { identity, issuer: v2 ? derString(v2) : v1 ? v1.toString('utf8') : '' };
}

const SERVICE: Record<string, string> = {
  CA_CREATE_SIGNING_CERTIFICATE_ERROR: 'Fulcio',
  TLOG_CREATE_ENTRY_ERROR: 'Rekor',
  TLOG_FETCH_ENTRY_ERROR: 'Rekor',
  TSA_CREATE_TIMESTAMP_ERROR: 'the timestamp authority',
  IDENTITY_TOKEN_READ_ERROR: 'the identity token',
  IDENTITY_TOKEN_PARSE_ERROR: 'the identity token',
};

/** A @sigstore/sign failure as an OcipackError naming the service; the token is scrubbed from every text. */
function failure(err: unknown, k: KeylessSigner): OcipackError {
  if (err instanceof OcipackError) return err;
  const scrub = (s: string): string => s.split(k.token.token).join('<redacted>');
  const e = err as { code?: string; message?: string; cause?: { statusCode?: number; message?: string; code?: string } };
  const service = SERVICE[e.code ?? ''] ?? 'Sigstore';
  const where = k.services.kind === 'config' ? ` (signing config ${k.services.name})` : '';
  const cause = e.cause?.message ?? e.message ?? String(err);
  if (service === 'the identity token') return new OcipackError('CREDENTIALS', `the OIDC identity token was not accepted: ${scrub(cause)}`);
  const status = e.cause?.statusCode;
  if (status !== undefined && status < 500 && status !== 408 && status !== 429) {
    return new OcipackError('CREDENTIALS', `${service}${where} refused the request (HTTP ${scrub(cause)}); nothing was written`);
  }
  return new OcipackError('NETWORK', `${service}${where} failed: ${scrub(cause)}; nothing was written`);
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const stop = (): void => reject(signal.reason instanceof Error ? signal.reason : new OcipackError('CANCELLED', 'cancelled'));
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

/** Sign `statement` (an in-toto Statement v1) keylessly; the bundle and who it names. */
export async function keylessBundle(statement: Buffer, k: KeylessSigner): Promise<KeylessSignature> {
  const [sign, { bundleToJSON }] = await Promise.all([import('@sigstore/sign'), import('@sigstore/bundle')]);
  const identityProvider = { getToken: async (): Promise<string> => k.token.token };
  const fetchOptions = { timeout: DEFAULTS.sigstore.requestTimeoutMs, retry: { ...DEFAULTS.sigstore.retry } };
  let builder: InstanceType<typeof sign.DSSEBundleBuilder> | ReturnType<typeof sign.bundleBuilderFromSigningConfig>;
  const s = k.services;
  if (s.kind === 'config') {
    const { SigningConfig } = await import('@sigstore/protobuf-specs');
    try {
      builder = sign.bundleBuilderFromSigningConfig({ signingConfig: SigningConfig.fromJSON(s.config), identityProvider, bundleType: 'dsseEnvelope', fetchOptions });
    } catch (err) {
      throw usageError(`\`signingConfig\` ${s.name}: ${(err as Error).message}`, { option: 'signingConfig', path: s.name });
    }
  } else {
    const witnesses: ConstructorParameters<typeof sign.DSSEBundleBuilder>[0]['witnesses'] = [];
    if (s.rekor) witnesses.push(new sign.RekorWitness({ rekorBaseURL: s.rekor, entryType: 'dsse', majorApiVersion: 1, ...fetchOptions }));
    if (s.tsa) witnesses.push(new sign.TSAWitness({ tsaBaseURL: s.tsa, ...fetchOptions }));
    const signer = new sign.FulcioSigner({ fulcioBaseURL: s.fulcio, identityProvider, ...fetchOptions });
    builder = new sign.DSSEBundleBuilder({ signer, witnesses });
  }
  let json: ReturnType<typeof bundleToJSON>;
  try {
    json = bundleToJSON(await abortable(builder.create({ data: statement, type: INTOTO_PAYLOAD_TYPE }), k.signal));
  } catch (err) {
    throw failure(err, k);
  }
  const vm = json.verificationMaterial;
  const material = vm as { certificate?: { rawBytes: string }; x509CertificateChain?: { certificates: { rawBytes: string }[] } };
  const raw = material.certificate?.rawBytes ?? material.x509CertificateChain?.certificates[0]?.rawBytes;
  if (raw === undefined) throw new OcipackError('VERIFY', 'Fulcio returned no certificate');
  const out: KeylessSignature = { bundle: Buffer.from(JSON.stringify(json)), ...certificateIdentity(Buffer.from(raw, 'base64')) };
  const entry = vm.tlogEntries[0];
  if (entry) out.tlog = { logIndex: Number(entry.logIndex ?? 0), integratedTime: Number(entry.integratedTime ?? 0) };
  return out;
}
