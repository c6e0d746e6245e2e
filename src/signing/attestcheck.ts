/**
 * The verified attestations of a digest, for `verify --attestation-type`: each candidate judged under
 * the policy with the predicate type required (policy.ts), and for each that counts, the predicate
 * it carries (what `cosign verify-attestation` prints).
 */
import { parseBundle } from './bundle.js';
import type { Candidate } from './discover.js';
import { judge, type SignatureVerdict, type VerifyPolicy } from './policy.js';

/** A verdict on an attestation: the signature verdict, plus the predicate type and predicate once verified. */
export interface AttestationVerdict extends SignatureVerdict {
  predicateType?: string;
  predicate?: unknown;
}

function statementOf(c: Candidate): { predicateType?: unknown; predicate?: unknown } | undefined {
  if (c.kind !== 'bundle') return undefined;
  try {
    const b = parseBundle(c.bundle);
    return b.content.kind === 'dsse' ? (JSON.parse(b.content.envelope.payload.toString('utf8')) as { predicateType?: unknown; predicate?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Judge every candidate as an attestation of `policy.predicateType`. Bundles of other predicate types
 * (signatures, other attestations) are left out rather than listed as failures.
 */
export async function judgeAttestations(candidates: Candidate[], digest: string, policy: VerifyPolicy): Promise<AttestationVerdict[]> {
  const out: AttestationVerdict[] = [];
  for (const c of candidates) {
    const st = statementOf(c);
    if (c.kind !== 'unreadable' && st?.predicateType !== policy.predicateType) continue;
    const v: AttestationVerdict = await judge(c, digest, policy);
    if (v.verified && st) {
      v.predicateType = String(st.predicateType);
      v.predicate = st.predicate;
    }
    out.push(v);
  }
  return out;
}
