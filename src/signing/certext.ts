/**
 * The Fulcio extensions of a signing certificate (fulcio docs/oid-info.md), read from its DER with a
 * minimal walker (RFC 5280 §4.1: Certificate → tbsCertificate → [3] extensions). The deprecated
 * GitHub extensions 1.3.6.1.4.1.57264.1.2–.6 (and the issuer .1.1) hold the raw string as the
 * extension value; the v2 extensions (.1.8 onward) hold a DER UTF8String.
 */

/** Fulcio OIDs ocipack matches on. */
export const FULCIO_OID = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  githubWorkflowTrigger: '1.3.6.1.4.1.57264.1.2',
  githubWorkflowSha: '1.3.6.1.4.1.57264.1.3',
  githubWorkflowName: '1.3.6.1.4.1.57264.1.4',
  githubWorkflowRepository: '1.3.6.1.4.1.57264.1.5',
  githubWorkflowRef: '1.3.6.1.4.1.57264.1.6',
  issuer: '1.3.6.1.4.1.57264.1.8',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  buildTrigger: '1.3.6.1.4.1.57264.1.20',
} as const;

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function tlv(buf: Buffer, at: number): Tlv {
  if (at + 2 > buf.length) throw new Error('truncated DER');
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  if (start + len > buf.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
}

function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end;) {
    const t = tlv(buf, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

function oidString(b: Buffer): string {
  const parts: number[] = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** Every extension's OID and value bytes (the OCTET STRING's content); throws on malformed DER. */
export function certificateExtensions(der: Buffer): Map<string, Buffer> {
  const cert = tlv(der, 0);
  const tbs = children(der, cert)[0];
  if (!tbs) throw new Error('no tbsCertificate');
  const out = new Map<string, Buffer>();
  const wrapper = children(der, tbs).find((t) => t.tag === 0xa3);
  if (!wrapper) return out;
  const list = children(der, wrapper)[0];
  if (!list) return out;
  for (const ext of children(der, list)) {
    const parts = children(der, ext);
    const oid = parts[0];
    const value = parts[parts.length - 1];
    if (oid?.tag !== 0x06 || value?.tag !== 0x04) continue;
    out.set(oidString(der.subarray(oid.start, oid.end)), der.subarray(value.start, value.end));
  }
  return out;
}

/** A v2 extension's string: the UTF8String inside, or the bytes as they are when not DER. */
export function derString(value: Buffer): string {
  try {
    const t = tlv(value, 0);
    if (t.tag === 0x0c && t.end === value.length) return value.subarray(t.start, t.end).toString('utf8');
  } catch {
    // not DER: fall through to the raw bytes
  }
  return value.toString('utf8');
}
