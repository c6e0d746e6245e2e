/**
 * verify: integrity of every blob of an artifact, and its cosign signatures (SPEC §3; issue 5).
 * The reference is resolved to a digest once; everything after that is fetched by digest. A
 * signature counts when its cryptography verifies with a `--key` (any of them), or keyless: the certificate
 * chains to `--trusted-root` and names the identity and issuer (exactly, or by anchored regexp) and the
 * GitHub workflow claims asked for (signing/identity.ts) AND
 * it signs that digest. Not verified is a result (`verified: false`, exit 3), not an exception;
 * bad input is a usage error (exit 2) raised before any network call; network trouble throws (exit 1),
 * and so does a place that could hold a signature but did not answer, when nothing else verified (SPEC §7).
 */
import { emitter } from '../core/events.js';
import type { RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import { parseAnnotations } from '../artifact/flux/manifest.js';
import { parseTargetRef, referenceIn, repositoryOf } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import type { IntegrityReport } from '../signing/integrity.js';
import type { Lookup } from '../signing/lookups.js';
import type { SignatureVerdict, VerifyPolicy } from '../signing/policy.js';
import type { AttestationVerdict } from '../signing/attestcheck.js';
import { preparePolicy, verifyArtifact, type TrustOptions } from '../signing/verifyartifact.js';

export type { SignatureVerdict } from '../signing/policy.js';
export type { Lookup, LookupPlace } from '../signing/lookups.js';
export type { AttestationVerdict } from '../signing/attestcheck.js';
export type { TrustOptions } from '../signing/verifyartifact.js';

export interface VerifyOptions extends RunOptions, RegistryOptions, TargetCaps, TrustOptions {
  /** `oci://host/repo:tag|@digest`, or `<dir>[:tag|@digest]` with `ociLayout`. */
  reference: string;
  /** `-a key=value`: required annotations in the signed payload. */
  annotations?: string[] | Record<string, string>;
}

export interface VerifyResult {
  /** The reference as given, normalised. */
  url: string;
  repository: string;
  digest: string;
  /** Integrity held and, when keys or an identity were given, at least one signature counted. */
  verified: boolean;
  integrity: IntegrityReport;
  /** Every candidate found, verified or not (empty when no key or identity was given). */
  signatures: SignatureVerdict[];
  /** With a key or identity: each place looked in for signatures and its answer (SPEC §7). */
  lookups?: Lookup[];
  /** With `attestationType`: every attestation of that type found, each verified one with its predicate. */
  attestations?: AttestationVerdict[];
}

interface Prepared {
  policy: VerifyPolicy | undefined;
}

/** Everything verify needs that involves no network: keys, trusted root, flags. Bad input fails here (exit 2). */
export async function prepareVerify(opts: VerifyOptions): Promise<Prepared> {
  const annotations = Array.isArray(opts.annotations) ? parseAnnotations(opts.annotations) : { ...(opts.annotations ?? {}) };
  return { policy: await preparePolicy(opts, annotations) };
}

/** Verify integrity (and signatures when keys or an identity are given) of the artifact at `reference`. */
export async function verify(opts: VerifyOptions): Promise<VerifyResult> {
  const emit = emitter(opts.onEvent);
  const t = parseTargetRef(opts.reference, opts.ociLayout);
  const { policy } = await prepareVerify(opts);
  const conn = connect(opts, opts);
  try {
    const target = await conn.open(t);
    emit({ type: 'step', message: `verifying ${t.display}` });
    const root = await target.resolve(referenceIn(t));
    const digest = root.digest;
    emit({ type: 'info', message: `resolved to ${digest}` });
    const v = await verifyArtifact(target, root, policy, opts);
    const out: VerifyResult = {
      ...(v.attestations ? { attestations: v.attestations } : {}),
      url: t.kind === 'remote' ? `oci://${t.display}` : t.display,
      repository: repositoryOf(t),
      digest,
      verified: v.verified,
      integrity: v.integrity,
      signatures: v.signatures,
    };
    if (v.lookups) out.lookups = v.lookups;
    return out;
  } catch (err) {
    throw conn.failure(err);
  } finally {
    await conn.close();
  }
}
