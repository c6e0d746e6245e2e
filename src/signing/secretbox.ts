/**
 * NaCl `crypto_secretbox` (XSalsa20-Poly1305), written from the specifications: "Salsa20 specification"
 * and "Extending the Salsa20 nonce" (D. J. Bernstein), RFC 8439 §2.5 (Poly1305), and "Cryptography in
 * NaCl" §9 (secretbox = Poly1305 tag over the XSalsa20 ciphertext, the first 32 keystream bytes keying
 * Poly1305). node:crypto has no XSalsa20; cosign's encrypted keys need it (go-securesystemslib
 * `encrypted`, nacl/secretbox). Only small inputs (private keys) go through here, so clarity wins.
 */
import { timingSafeEqual } from 'node:crypto';

export const SECRETBOX_KEY_BYTES = 32;
export const SECRETBOX_NONCE_BYTES = 24;
export const SECRETBOX_TAG_BYTES = 16;

/** "expand 32-byte k" as four little-endian words. */
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] as const;

function rotl(v: number, n: number): number {
  return ((v << n) | (v >>> (32 - n))) >>> 0;
}

function word(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** The 20-round Salsa20 double-round loop over a 16-word state (no feed-forward). */
function rounds(x: Uint32Array): void {
  const qr = (a: number, b: number, c: number, d: number): void => {
    x[b] = x[b]! ^ rotl((x[a]! + x[d]!) >>> 0, 7);
    x[c] = x[c]! ^ rotl((x[b]! + x[a]!) >>> 0, 9);
    x[d] = x[d]! ^ rotl((x[c]! + x[b]!) >>> 0, 13);
    x[a] = x[a]! ^ rotl((x[d]! + x[c]!) >>> 0, 18);
  };
  for (let i = 0; i < 20; i += 2) {
    qr(0, 4, 8, 12); qr(5, 9, 13, 1); qr(10, 14, 2, 6); qr(15, 3, 7, 11); // columns
    qr(0, 1, 2, 3); qr(5, 6, 7, 4); qr(10, 11, 8, 9); qr(15, 12, 13, 14); // rows
  }
}

/** The Salsa20 input matrix: constants on the diagonal, key, then the 16 bytes of nonce+counter. */
function state(key: Uint8Array, input16: Uint8Array): Uint32Array {
  const s = new Uint32Array(16);
  s[0] = SIGMA[0]; s[5] = SIGMA[1]; s[10] = SIGMA[2]; s[15] = SIGMA[3];
  for (let i = 0; i < 4; i++) {
    s[1 + i] = word(key, i * 4);
    s[11 + i] = word(key, 16 + i * 4);
    s[6 + i] = word(input16, i * 4);
  }
  return s;
}

/** HSalsa20: a 32-byte subkey from a key and the first 16 bytes of an XSalsa20 nonce. */
export function hsalsa20(key: Uint8Array, nonce16: Uint8Array): Buffer {
  const x = state(key, nonce16);
  rounds(x);
  const out = Buffer.alloc(32);
  [0, 5, 10, 15, 6, 7, 8, 9].forEach((idx, i) => out.writeUInt32LE(x[idx]!, i * 4));
  return out;
}

/** `length` bytes of the XSalsa20 keystream for a 32-byte key and 24-byte nonce, from block 0. */
export function xsalsa20Stream(key: Uint8Array, nonce: Uint8Array, length: number): Buffer {
  const subkey = hsalsa20(key, nonce.subarray(0, 16));
  const input = Buffer.alloc(16);
  Buffer.from(nonce.subarray(16, 24)).copy(input, 0);
  const out = Buffer.alloc(Math.ceil(length / 64) * 64);
  for (let block = 0; block * 64 < length; block++) {
    input.writeUInt32LE(block >>> 0, 8);
    input.writeUInt32LE(Math.floor(block / 2 ** 32), 12);
    const init = state(subkey, input);
    const x = Uint32Array.from(init);
    rounds(x);
    for (let i = 0; i < 16; i++) out.writeUInt32LE((x[i]! + init[i]!) >>> 0, block * 64 + i * 4);
  }
  return out.subarray(0, length);
}

function leToBigInt(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

const P1305 = (1n << 130n) - 5n;

/** Poly1305 one-time authenticator (RFC 8439 §2.5.1) of `msg` under a 32-byte one-time key. */
export function poly1305(key: Uint8Array, msg: Uint8Array): Buffer {
  const r = leToBigInt(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = leToBigInt(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const chunk = msg.subarray(i, Math.min(i + 16, msg.length));
    const n = leToBigInt(chunk) | (1n << BigInt(8 * chunk.length));
    acc = ((acc + n) * r) % P1305;
  }
  let tag = (acc + s) & ((1n << 128n) - 1n);
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(tag & 0xffn);
    tag >>= 8n;
  }
  return out;
}

function checkSizes(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== SECRETBOX_KEY_BYTES) throw new RangeError(`secretbox key must be ${SECRETBOX_KEY_BYTES} bytes`);
  if (nonce.length !== SECRETBOX_NONCE_BYTES) throw new RangeError(`secretbox nonce must be ${SECRETBOX_NONCE_BYTES} bytes`);
}

/** `secretbox.Seal`: the 16-byte tag followed by the ciphertext (NaCl's "box" layout, as Go writes it). */
export function secretboxSeal(plaintext: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer {
  checkSizes(key, nonce);
  const stream = xsalsa20Stream(key, nonce, 32 + plaintext.length);
  const c = Buffer.alloc(plaintext.length);
  for (let i = 0; i < plaintext.length; i++) c[i] = plaintext[i]! ^ stream[32 + i]!;
  return Buffer.concat([poly1305(stream.subarray(0, 32), c), c]);
}

/** `secretbox.Open`: the plaintext, or undefined when the tag does not authenticate (wrong key or tampering). */
export function secretboxOpen(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer | undefined {
  checkSizes(key, nonce);
  if (box.length < SECRETBOX_TAG_BYTES) return undefined;
  const tag = box.subarray(0, SECRETBOX_TAG_BYTES);
  const c = box.subarray(SECRETBOX_TAG_BYTES);
  const stream = xsalsa20Stream(key, nonce, 32 + c.length);
  if (!timingSafeEqual(poly1305(stream.subarray(0, 32), c), tag)) return undefined;
  const m = Buffer.alloc(c.length);
  for (let i = 0; i < c.length; i++) m[i] = c[i]! ^ stream[32 + i]!;
  return m;
}
