/**
 * cosign's key files. Private: PEM `ENCRYPTED SIGSTORE PRIVATE KEY` (legacy label `ENCRYPTED COSIGN
 * PRIVATE KEY`) around go-securesystemslib's `encrypted` JSON: scrypt (N 2^15/2^16/2^17, r 8, p 1,
 * 32-byte salt) derives a 32-byte key for nacl/secretbox (24-byte nonce) over a PKCS#8 private key.
 * Public: PEM `PUBLIC KEY` (PKIX). See cosign pkg/cosign/keys.go and the securesystemslib package.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, scrypt, type KeyObject } from 'node:crypto';
import { OcipackError } from '../core/errors.js';
import { decodePem, encodePem } from './pem.js';
import { secretboxOpen, secretboxSeal } from './secretbox.js';
import { describeKey, type KeyDescription } from './crypto.js';

export const SIGSTORE_KEY_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const COSIGN_KEY_LABEL = 'ENCRYPTED COSIGN PRIVATE KEY';
/** The only scrypt cost parameters securesystemslib accepts (legacy, standard, OWASP). */
export const SCRYPT_N_ALLOWED = [32768, 65536, 131072] as const;
export const SCRYPT_N_DEFAULT = 65536;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 32;
const NONCE_BYTES = 24;
const PLAIN_PRIVATE_LABELS = new Set(['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY']);

/** The JSON inside the encrypted PEM, field order as Go's encoding/json writes it. */
interface EncryptedKeyJson {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

/** scrypt as golang.org/x/crypto/scrypt.Key computes it; node needs `maxmem` above 128·N·r. */
function deriveKey(password: string | Buffer, salt: Buffer, N: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 32, { N, r: SCRYPT_R, p: SCRYPT_P, maxmem: 2 * 128 * N * SCRYPT_R + 1024 * 1024 }, (err, key) => {
      if (err) reject(new OcipackError('IO', `scrypt failed: ${err.message}`));
      else resolve(key);
    });
  });
}

/** Encrypt a PKCS#8 DER private key into cosign's PEM (label `ENCRYPTED SIGSTORE PRIVATE KEY` by default). */
export async function encryptPrivateKey(
  pkcs8: Buffer,
  password: string | Buffer,
  opts: { N?: number; label?: string } = {},
): Promise<string> {
  const N = opts.N ?? SCRYPT_N_DEFAULT;
  if (!(SCRYPT_N_ALLOWED as readonly number[]).includes(N)) throw new RangeError(`scrypt N must be one of ${SCRYPT_N_ALLOWED.join(', ')}`);
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const key = await deriveKey(password, salt, N);
  const doc: EncryptedKeyJson = {
    kdf: { name: 'scrypt', params: { N, r: SCRYPT_R, p: SCRYPT_P }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: secretboxSeal(pkcs8, nonce, key).toString('base64'),
  };
  return encodePem(opts.label ?? SIGSTORE_KEY_LABEL, Buffer.from(JSON.stringify(doc)));
}

function b64Field(v: unknown, name: string, size?: number): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw badKey(`${name} is not base64`);
  const b = Buffer.from(v, 'base64');
  if (size !== undefined && b.length !== size) throw badKey(`${name} must be ${size} bytes, got ${b.length}`);
  return b;
}

function badKey(why: string): OcipackError {
  return new OcipackError('BAD_INPUT', `not a cosign private key: ${why}`);
}

/** Validate the encrypted-key JSON: scrypt with an allowed N, r 8, p 1; nacl/secretbox; sizes. */
export function parseEncryptedKeyJson(bytes: Buffer): { N: number; salt: Buffer; nonce: Buffer; box: Buffer } {
  let doc: Partial<EncryptedKeyJson>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Partial<EncryptedKeyJson>;
  } catch {
    throw badKey('the PEM body is not JSON');
  }
  if (doc?.kdf?.name !== 'scrypt') throw badKey(`unknown kdf "${String(doc?.kdf?.name)}"`);
  if (doc.cipher?.name !== 'nacl/secretbox') throw badKey(`unknown cipher "${String(doc.cipher?.name)}"`);
  const { N, r, p } = doc.kdf.params ?? ({} as { N?: number; r?: number; p?: number });
  if (!(SCRYPT_N_ALLOWED as readonly unknown[]).includes(N) || r !== SCRYPT_R || p !== SCRYPT_P) {
    throw badKey(`unsupported scrypt parameters N=${String(N)} r=${String(r)} p=${String(p)} (N must be 32768, 65536 or 131072, r 8, p 1)`);
  }
  return {
    N: N as number,
    salt: b64Field(doc.kdf.salt, 'kdf.salt'),
    nonce: b64Field(doc.cipher.nonce, 'cipher.nonce', NONCE_BYTES),
    box: b64Field(doc.ciphertext, 'ciphertext'),
  };
}

export interface LoadedPrivateKey {
  key: KeyObject;
  publicKey: KeyObject;
  description: KeyDescription;
}

/**
 * Decrypt a cosign private key. A wrong password (or a damaged file: secretbox cannot tell them apart)
 * is CREDENTIALS (exit 1); a malformed file is BAD_INPUT (exit 2). Plain PKCS#8/SEC1/PKCS#1 PEM keys
 * are accepted too, without a password.
 */
export async function loadPrivateKey(pem: string, password: () => Promise<string | Buffer>, what = 'the key file'): Promise<LoadedPrivateKey> {
  const block = decodePem(pem, what);
  let key: KeyObject;
  if (block.type === SIGSTORE_KEY_LABEL || block.type === COSIGN_KEY_LABEL) {
    const enc = parseEncryptedKeyJson(block.bytes);
    const derived = await deriveKey(await password(), enc.salt, enc.N);
    const pkcs8 = secretboxOpen(enc.box, enc.nonce, derived);
    if (!pkcs8) {
      throw new OcipackError('CREDENTIALS', `cannot decrypt ${what}: wrong password (or the file is damaged)`, {
        context: { path: what, next: 'key-password' },
      });
    }
    key = privateFromDer(pkcs8, what);
  } else if (PLAIN_PRIVATE_LABELS.has(block.type)) {
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch {
      throw badKey(`${what} holds a ${block.type} block that does not parse`);
    }
  } else {
    throw badKey(`${what} holds a "${block.type}" PEM block; expected ${SIGSTORE_KEY_LABEL}`);
  }
  const publicKey = createPublicKey(key);
  return { key, publicKey, description: describeKey(publicKey) };
}

function privateFromDer(pkcs8: Buffer, what: string): KeyObject {
  try {
    return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch {
    throw badKey(`${what} decrypted, but the content is not a PKCS#8 private key`);
  }
}

/** Read a PEM `PUBLIC KEY` (ECDSA P-256/384/521, RSA, Ed25519); anything else is BAD_INPUT. */
export function loadPublicKey(pem: string, what = 'the public key'): { key: KeyObject; description: KeyDescription } {
  const block = decodePem(pem, what);
  if (block.type !== 'PUBLIC KEY') throw new OcipackError('BAD_INPUT', `${what} holds a "${block.type}" PEM block; expected PUBLIC KEY`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: block.bytes, format: 'der', type: 'spki' });
  } catch {
    throw new OcipackError('BAD_INPUT', `${what} is not a valid PKIX public key`);
  }
  return { key, description: describeKey(key) };
}

export interface GeneratedKeyPair {
  /** `cosign.key`: encrypted PEM. */
  privateKeyPem: string;
  /** `cosign.pub`: PKIX PEM. */
  publicKeyPem: string;
}

/** A fresh ECDSA P-256 key pair in cosign's files, as `cosign generate-key-pair` writes them. */
export async function generateKeyPair(password: string | Buffer, opts: { N?: number; label?: string } = {}): Promise<GeneratedKeyPair> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  return {
    privateKeyPem: await encryptPrivateKey(pkcs8, password, opts),
    publicKeyPem: encodePem('PUBLIC KEY', publicKey.export({ type: 'spki', format: 'der' })),
  };
}
