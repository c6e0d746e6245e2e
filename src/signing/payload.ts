/**
 * What a signature claims. Classic cosign signatures sign a "simple signing" payload (sigstore
 * pkg/signature/payload: `{"critical":{"identity":{"docker-reference":…},"image":{"docker-manifest-digest":…},
 * "type":"cosign container image signature"},"optional":…}`, Go encoding/json bytes); the new bundle
 * format signs an in-toto Statement v1 whose subject digest is the image digest and whose predicate type
 * is `https://sigstore.dev/cosign/sign/v1` (cosign cmd/cosign/cli/sign/sign.go, signDigestBundle).
 */
import { parseDigest } from '../oci/digest.js';

export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const INTOTO_STATEMENT_TYPES = ['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1'];

/**
 * JSON as Go's encoding/json writes it: no whitespace, `<`, `>`, `&`, U+2028 and U+2029 escaped.
 * Object keys keep insertion order, so callers build structs in field order and sort maps.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function sortedMap(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k];
  return out;
}

/**
 * The payload `cosign sign` writes for `digest` in the repository `dockerReference`
 * (`registry/repository`, Docker Hub as `index.docker.io`): byte for byte what cosign produces.
 */
export function simpleSigningPayload(dockerReference: string, digest: string, annotations?: Record<string, string>): Buffer {
  parseDigest(digest);
  const optional = annotations && Object.keys(annotations).length > 0 ? sortedMap(annotations) : null;
  const doc = {
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': digest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional,
  };
  return Buffer.from(goJson(doc), 'utf8');
}

/** The outcome of checking what a signed payload claims against what we verify. */
export type ClaimCheck = { ok: true; dockerReference?: string; annotations: Record<string, unknown> } | { ok: false; reason: string };

function parseObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Every required annotation must be present with exactly that string value. */
export function missingAnnotation(have: Record<string, unknown>, required: Record<string, string>): string | undefined {
  for (const [k, v] of Object.entries(required)) {
    if (have[k] !== v) return have[k] === undefined ? `annotation ${k} is missing` : `annotation ${k} does not equal "${v}"`;
  }
  return undefined;
}

/**
 * A simple-signing payload counts for `digest` only when `critical.type` is cosign's and
 * `critical.image.docker-manifest-digest` equals `digest` (the swap-attack check), with the required annotations.
 */
export function checkSimpleSigning(payload: Uint8Array, digest: string, required: Record<string, string> = {}): ClaimCheck {
  const doc = parseObject(payload);
  const critical = asObject(doc?.critical);
  if (!doc || !critical) return { ok: false, reason: 'payload is not a simple-signing JSON document' };
  if (critical.type !== COSIGN_SIGNATURE_TYPE) return { ok: false, reason: `payload type is "${String(critical.type)}", not "${COSIGN_SIGNATURE_TYPE}"` };
  const signed = asObject(critical.image)?.['docker-manifest-digest'];
  if (signed !== digest) return { ok: false, reason: `payload signs ${typeof signed === 'string' ? signed : 'no digest'}, not ${digest}` };
  const annotations = asObject(doc.optional) ?? {};
  const missing = missingAnnotation(annotations, required);
  if (missing) return { ok: false, reason: missing };
  const ref = asObject(critical.identity)?.['docker-reference'];
  return typeof ref === 'string' ? { ok: true, dockerReference: ref, annotations } : { ok: true, annotations };
}

/**
 * An in-toto statement counts for `digest` when it is a Statement v1 (or v0.1) with cosign's sign
 * predicate type and a subject whose digest map holds `digest`; annotations come from that subject.
 */
export function checkStatement(payload: Uint8Array, digest: string, required: Record<string, string> = {}, predicateType: string = COSIGN_SIGN_PREDICATE_TYPE): ClaimCheck {
  const doc = parseObject(payload);
  if (!doc || !INTOTO_STATEMENT_TYPES.includes(String(doc._type))) return { ok: false, reason: 'payload is not an in-toto statement' };
  if (doc.predicateType !== predicateType) {
    const want = predicateType === COSIGN_SIGN_PREDICATE_TYPE ? `a cosign signature (${COSIGN_SIGN_PREDICATE_TYPE})` : predicateType;
    return { ok: false, reason: `predicate type is "${String(doc.predicateType)}", not ${want}` };
  }
  const { algorithm, hex } = parseDigest(digest);
  const subjects = Array.isArray(doc.subject) ? doc.subject.map(asObject) : [];
  const match = subjects.find((s) => asObject(s?.digest)?.[algorithm] === hex);
  if (!match) return { ok: false, reason: `statement subject does not name ${digest}` };
  const annotations = asObject(match.annotations) ?? {};
  const missing = missingAnnotation(annotations, required);
  return missing ? { ok: false, reason: missing } : { ok: true, annotations };
}

/**
 * The in-toto statement cosign 3 signs for an image digest (sign.go signDigestBundle; protojson field
 * order). cosign always sets the subject's annotations Struct, so an empty one is written as `{}`.
 */
export function cosignStatement(digest: string, annotations?: Record<string, string>): Buffer {
  const { algorithm, hex } = parseDigest(digest);
  const subject: Record<string, unknown> = { digest: { [algorithm]: hex }, annotations: sortedMap(annotations ?? {}) };
  const doc = { _type: INTOTO_STATEMENT_TYPES[0], subject: [subject], predicateType: COSIGN_SIGN_PREDICATE_TYPE, predicate: {} };
  return Buffer.from(JSON.stringify(doc), 'utf8');
}
