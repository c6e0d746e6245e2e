/**
 * Signing and verifying bytes the way cosign does with a key: `cosign verify --key` loads the key with
 * sigstore's `signature.LoadVerifier(pub, crypto.SHA256)`, so ECDSA (any curve) over SHA-256 with an
 * ASN.1 DER signature, RSA PKCS#1 v1.5 over SHA-256, and pure Ed25519. We also accept the curve's own
 * hash for P-384/P-521 (what sigstore's LoadDefaultSigner produces). Ed25519ph is not available in
 * node:crypto and is not supported.
 */
import { createHash, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { OcipackError } from '../core/errors.js';

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'rsa' | 'ed25519';

export interface KeyDescription {
  algorithm: KeyAlgorithm;
  /** `sha256:` + hex of the PKIX DER encoding: names the key in output without printing it. */
  fingerprint: string;
  /** Human label: `ECDSA P-256`, `RSA 3072`, `Ed25519`. */
  label: string;
}

const CURVES: Record<string, { algorithm: KeyAlgorithm; label: string; hash: string }> = {
  prime256v1: { algorithm: 'ecdsa-p256', label: 'ECDSA P-256', hash: 'sha256' },
  secp384r1: { algorithm: 'ecdsa-p384', label: 'ECDSA P-384', hash: 'sha384' },
  secp521r1: { algorithm: 'ecdsa-p521', label: 'ECDSA P-521', hash: 'sha512' },
};

/** The PKIX (SubjectPublicKeyInfo) DER bytes of a public key. */
export function spkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

/** Classify a public key; unsupported types and curves are BAD_INPUT. */
export function describeKey(publicKey: KeyObject): KeyDescription {
  const fingerprint = `sha256:${createHash('sha256').update(spkiDer(publicKey)).digest('hex')}`;
  const type = publicKey.asymmetricKeyType;
  if (type === 'ec') {
    const curve = CURVES[publicKey.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) throw new OcipackError('BAD_INPUT', `unsupported elliptic curve ${publicKey.asymmetricKeyDetails?.namedCurve ?? '?'}: use P-256, P-384 or P-521`);
    return { algorithm: curve.algorithm, label: curve.label, fingerprint };
  }
  if (type === 'rsa') {
    const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new OcipackError('BAD_INPUT', `RSA key of ${bits} bits is too small: at least 2048`);
    return { algorithm: 'rsa', label: `RSA ${bits}`, fingerprint };
  }
  if (type === 'ed25519') return { algorithm: 'ed25519', label: 'Ed25519', fingerprint };
  throw new OcipackError('BAD_INPUT', `unsupported key type ${type ?? '?'}: use ECDSA (P-256/384/521), RSA or Ed25519`);
}

/** Sign `data` as cosign does with a key: ECDSA/RSA over SHA-256, Ed25519 over the bytes. */
export function signBytes(privateKey: KeyObject, data: Uint8Array): Buffer {
  if (privateKey.asymmetricKeyType === 'ed25519') return nodeSign(null, data, privateKey);
  if (privateKey.asymmetricKeyType === 'rsa') return nodeSign('sha256', data, privateKey);
  return nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
}

/**
 * Sign `data` as cosign 3 does for a bundle (sigstore's GetDefaultAlgorithmDetails): ECDSA with the
 * curve's own hash (P-256 SHA-256, P-384 SHA-384, P-521 SHA-512), RSA PKCS#1 v1.5 SHA-256, pure Ed25519.
 */
export function signBytesDefault(privateKey: KeyObject, data: Uint8Array): Buffer {
  if (privateKey.asymmetricKeyType !== 'ec') return signBytes(privateKey, data);
  const hash = CURVES[privateKey.asymmetricKeyDetails?.namedCurve ?? '']?.hash ?? 'sha256';
  return nodeSign(hash, data, { key: privateKey, dsaEncoding: 'der' });
}

/** True when `signature` over `data` verifies with `publicKey` under one of the hashes cosign uses. */
export function verifySignature(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    const type = publicKey.asymmetricKeyType;
    if (type === 'ed25519') return nodeVerify(null, data, publicKey, signature);
    if (type === 'rsa') return nodeVerify('sha256', data, publicKey, signature);
    if (type !== 'ec') return false;
    const own = CURVES[publicKey.asymmetricKeyDetails?.namedCurve ?? '']?.hash ?? 'sha256';
    const hashes = own === 'sha256' ? ['sha256'] : ['sha256', own];
    return hashes.some((h) => nodeVerify(h, data, { key: publicKey, dsaEncoding: 'der' }, signature));
  } catch {
    return false;
  }
}
