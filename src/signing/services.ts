/**
 * Which Sigstore services keyless signing talks to, decided before any request: cosign's flags
 * `--fulcio-url`, `--rekor-url`, `--timestamp-server-url`, or `--signing-config <file>` (cosign 3's
 * signing config, protobuf-specs SigningConfig v0.2 JSON: CA, Rekor v1 or v2 and TSA URLs), else the
 * Sigstore public-good instance (Fulcio and Rekor v1). Every URL must be https, or plain http on a
 * loopback address (tests); anything else is a usage error (exit 2) before the token is even looked
 * up, so the token never goes anywhere the user did not name (SPEC §7).
 */
import { readFile } from 'node:fs/promises';
import { DEFAULTS } from '../core/defaults.js';
import { usageError } from '../core/errors.js';

export interface ServiceFlags {
  fulcioUrl?: string;
  rekorUrl?: string;
  timestampServerUrl?: string;
  /** `--signing-config`: a file path; excludes the three URL flags. */
  signingConfig?: string;
}

/** The services, checked: either explicit URLs or a parsed signing config (JSON, for @sigstore/sign). */
export type Services =
  | { kind: 'urls'; fulcio: string; rekor?: string; tsa?: string }
  | { kind: 'config'; config: Record<string, unknown>; name: string; fulcio: string };

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** An https URL, or http on loopback; the trailing slash dropped. */
export function serviceUrl(value: string, what: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw usageError(`${what} "${value}" is not a URL`);
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopback(u.hostname))) {
    throw usageError(`${what} ${u.protocol}//${u.host} must use https (plain http only on a loopback address)`);
  }
  if (u.username !== '' || u.password !== '') throw usageError(`${what} must not carry credentials`);
  return u.toString().replace(/\/+$/, '');
}

interface ConfigService { url?: unknown }

function urlsOf(v: unknown): ConfigService[] {
  return Array.isArray(v) ? (v as ConfigService[]) : [];
}

async function loadConfig(file: string): Promise<Services> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(`\`signingConfig\` ${file}: ${code === 'ENOENT' ? 'no such file' : 'cannot be read'}`, { option: 'signingConfig', path: file });
  }
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(text) as Record<string, unknown>;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new Error('not an object');
  } catch {
    throw usageError(`\`signingConfig\` ${file} is not a JSON signing config`, { option: 'signingConfig', path: file });
  }
  const cas = urlsOf(config.caUrls);
  if (cas.length === 0) throw usageError(`\`signingConfig\` ${file} names no caUrls (Fulcio)`, { option: 'signingConfig', path: file });
  const what = { caUrls: 'Fulcio', rekorTlogUrls: 'Rekor', tsaUrls: 'timestamp authority' } as const;
  for (const [field, name] of Object.entries(what)) {
    for (const s of urlsOf(config[field])) serviceUrl(String(s.url), `the ${name} URL in ${file}`);
  }
  return { kind: 'config', config, name: file, fulcio: serviceUrl(String(cas[0]!.url), `the Fulcio URL in ${file}`) };
}

/** The services to use, every URL checked (exit 2 on a bad one, before any request). */
export async function resolveServices(f: ServiceFlags): Promise<Services> {
  if (f.signingConfig !== undefined && f.signingConfig !== '') {
    if (f.fulcioUrl || f.rekorUrl || f.timestampServerUrl) throw usageError('`signingConfig` excludes `fulcioUrl`, `rekorUrl` and `timestampServerUrl`', { option: 'signingConfig' });
    return loadConfig(f.signingConfig);
  }
  const out: Services = { kind: 'urls', fulcio: serviceUrl(f.fulcioUrl || DEFAULTS.sigstore.fulcioUrl, '`fulcioUrl`') };
  out.rekor = serviceUrl(f.rekorUrl || DEFAULTS.sigstore.rekorUrl, '`rekorUrl`');
  if (f.timestampServerUrl) out.tsa = serviceUrl(f.timestampServerUrl, '`timestampServerUrl`');
  return out;
}
