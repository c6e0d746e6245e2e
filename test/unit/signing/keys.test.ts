/** cosign key files: encrypted private keys (scrypt + secretbox), public keys, and every bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, scryptSync, type KeyObject } from 'node:crypto';
import { secretboxSeal } from '../../../src/signing/secretbox.js';
import { OcipackError } from '../../../src/core/errors.js';
import {
  COSIGN_KEY_LABEL, encryptPrivateKey, generateKeyPair, loadPrivateKey, loadPublicKey, parseEncryptedKeyJson, SIGSTORE_KEY_LABEL,
} from '../../../src/signing/keys.js';
import { decodePem, decodePemBlocks, encodePem } from '../../../src/signing/pem.js';
import { signBytes, verifySignature } from '../../../src/signing/crypto.js';

/**
 * cosign's encrypted key format assembled by hand from its parts, independently of keys.ts: node's
 * scrypt (N=65536, r=8, p=1, 32-byte salt), NaCl secretbox with a 24-byte nonce over PKCS#8 DER,
 * the JSON document base64'd into an `ENCRYPTED SIGSTORE PRIVATE KEY` PEM block.
 */
function handMadeCosignKey(password: string): { pem: string; publicKey: KeyObject } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const key = scryptSync(password, salt, 32, { N: 65536, r: 8, p: 1, maxmem: 256 * 1024 * 1024 });
  const doc = {
    kdf: { name: 'scrypt', params: { N: 65536, r: 8, p: 1 }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: secretboxSeal(der, nonce, key).toString('base64'),
  };
  const body = Buffer.from(JSON.stringify(doc)).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return { pem: `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${body}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`, publicKey: pair.publicKey };
}

const pw = (p: string) => async () => p;
const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (err) {
    assert.ok(err instanceof OcipackError, `expected OcipackError, got ${String(err)}`);
    return err.code;
  }
};

test('a key assembled from cosign\'s format decrypts with its password (empty) and signs what its public half verifies', async () => {
  const made = handMadeCosignKey('');
  const k = await loadPrivateKey(made.pem, pw(''));
  assert.equal(k.description.algorithm, 'ecdsa-p256');
  const sig = signBytes(k.key, Buffer.from('hello'));
  assert.ok(verifySignature(made.publicKey, Buffer.from('hello'), sig));
  assert.equal(await codeOf(loadPrivateKey(made.pem, pw('nope'))), 'CREDENTIALS');
});

test('generateKeyPair writes the sigstore label, N=65536, 32-byte salt, 24-byte nonce; the pair works', async () => {
  const pair = await generateKeyPair('s3cret');
  const block = decodePem(pair.privateKeyPem, 'key');
  assert.equal(block.type, SIGSTORE_KEY_LABEL);
  const doc = JSON.parse(block.bytes.toString()) as { kdf: { params: unknown; salt: string }; cipher: { name: string; nonce: string } };
  assert.deepEqual(Object.keys(doc), ['kdf', 'cipher', 'ciphertext']);
  assert.deepEqual(doc.kdf.params, { N: 65536, r: 8, p: 1 });
  assert.equal(Buffer.from(doc.kdf.salt, 'base64').length, 32);
  assert.equal(doc.cipher.name, 'nacl/secretbox');
  assert.equal(Buffer.from(doc.cipher.nonce, 'base64').length, 24);
  assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
  for (const line of pair.privateKeyPem.split('\n').slice(1, -2)) assert.ok(line.length <= 64);
  const priv = await loadPrivateKey(pair.privateKeyPem, pw('s3cret'));
  const pub = loadPublicKey(pair.publicKeyPem);
  assert.equal(pub.description.fingerprint, priv.description.fingerprint);
  assert.match(pair.privateKeyPem, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
});

test('keys with N 32768, 65536, 131072 read; the legacy COSIGN label reads', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  for (const N of [32768, 65536, 131072]) {
    const pem = await encryptPrivateKey(der, 'pw', { N });
    assert.equal((await loadPrivateKey(pem, pw('pw'))).description.algorithm, 'ecdsa-p256', `N=${N}`);
  }
  const legacy = await encryptPrivateKey(der, 'pw', { label: COSIGN_KEY_LABEL });
  assert.match(legacy, /^-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----/);
  assert.equal((await loadPrivateKey(legacy, pw('pw'))).description.algorithm, 'ecdsa-p256');
});

/** Re-wrap an encrypted key's JSON after `edit`, to build malformed files. */
function tamper(pem: string, edit: (doc: Record<string, any>) => void): string {
  const block = decodePem(pem, 'k');
  const doc = JSON.parse(block.bytes.toString()) as Record<string, any>;
  edit(doc);
  return encodePem(block.type, Buffer.from(JSON.stringify(doc)));
}

test('malformed encrypted keys are BAD_INPUT; a damaged ciphertext is CREDENTIALS (indistinguishable from a wrong password)', async () => {
  const pair = await generateKeyPair('pw', { N: 32768 });
  const cases: [string, string, string][] = [
    ['N 1024', tamper(pair.privateKeyPem, (d) => { d.kdf.params.N = 1024; }), 'BAD_INPUT'],
    ['N 262144', tamper(pair.privateKeyPem, (d) => { d.kdf.params.N = 262144; }), 'BAD_INPUT'],
    ['r 4', tamper(pair.privateKeyPem, (d) => { d.kdf.params.r = 4; }), 'BAD_INPUT'],
    ['kdf argon2', tamper(pair.privateKeyPem, (d) => { d.kdf.name = 'argon2'; }), 'BAD_INPUT'],
    ['cipher aes', tamper(pair.privateKeyPem, (d) => { d.cipher.name = 'aes-gcm'; }), 'BAD_INPUT'],
    ['nonce 12 bytes', tamper(pair.privateKeyPem, (d) => { d.cipher.nonce = Buffer.alloc(12).toString('base64'); }), 'BAD_INPUT'],
    ['salt not base64', tamper(pair.privateKeyPem, (d) => { d.kdf.salt = '%%%'; }), 'BAD_INPUT'],
    ['ciphertext flipped', tamper(pair.privateKeyPem, (d) => {
      const b = Buffer.from(d.ciphertext as string, 'base64');
      b[20] = b[20]! ^ 1;
      d.ciphertext = b.toString('base64');
    }), 'CREDENTIALS'],
    ['not JSON', encodePem(SIGSTORE_KEY_LABEL, Buffer.from('not json')), 'BAD_INPUT'],
    ['no PEM', 'just text', 'BAD_INPUT'],
    ['public key given as private', pair.publicKeyPem, 'BAD_INPUT'],
    ['certificate label', encodePem('CERTIFICATE', Buffer.from([1, 2, 3])), 'BAD_INPUT'],
  ];
  for (const [name, pem, code] of cases) assert.equal(await codeOf(loadPrivateKey(pem, pw('pw'))), code, name);
  assert.throws(() => parseEncryptedKeyJson(Buffer.from('{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":2}},"cipher":{"name":"nacl/secretbox"}}')), /unsupported scrypt parameters/);
});

test('plain PKCS#8 and SEC1 private keys load without a password', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }) as string;
  let asked = false;
  const ask = async () => { asked = true; return ''; };
  assert.equal((await loadPrivateKey(pkcs8, ask)).description.algorithm, 'ecdsa-p384');
  assert.equal((await loadPrivateKey(sec1, ask)).description.algorithm, 'ecdsa-p384');
  assert.equal(asked, false);
});

test('public keys: P-256/384/521, RSA and Ed25519 load, sign and verify; others are refused', () => {
  const kinds: [string, object, string][] = [
    ['ec', { namedCurve: 'P-256' }, 'ecdsa-p256'],
    ['ec', { namedCurve: 'P-384' }, 'ecdsa-p384'],
    ['ec', { namedCurve: 'P-521' }, 'ecdsa-p521'],
    ['rsa', { modulusLength: 2048 }, 'rsa'],
    ['ed25519', {}, 'ed25519'],
  ];
  for (const [type, opts, algorithm] of kinds) {
    const gen = generateKeyPairSync as unknown as (t: string, o: object) => { privateKey: import('node:crypto').KeyObject; publicKey: import('node:crypto').KeyObject };
    const { privateKey, publicKey } = gen(type, opts);
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const loaded = loadPublicKey(pem);
    assert.equal(loaded.description.algorithm, algorithm);
    const data = Buffer.from('payload');
    const sig = signBytes(privateKey, data);
    assert.ok(verifySignature(loaded.key, data, sig), algorithm);
    assert.equal(verifySignature(loaded.key, Buffer.from('payloaD'), sig), false, `${algorithm} tampered data`);
    const bad = Buffer.from(sig);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    assert.equal(verifySignature(loaded.key, data, bad), false, `${algorithm} tampered signature`);
  }
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
  assert.throws(() => loadPublicKey(k1), /unsupported elliptic curve/);
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
  assert.throws(() => loadPublicKey(small), /too small/);
  const x = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
  assert.throws(() => loadPublicKey(x), /unsupported key type/);
  assert.throws(() => loadPublicKey(encodePem('PUBLIC KEY', Buffer.from('garbage'))), /not a valid PKIX public key/);
  assert.throws(() => loadPublicKey('-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n'), /expected PUBLIC KEY/);
});

test('an ECDSA P-384 signature over SHA-384 (sigstore default signer) also verifies', async () => {
  const { sign } = await import('node:crypto');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const sig = sign('sha384', Buffer.from('x'), { key: privateKey, dsaEncoding: 'der' });
  assert.ok(verifySignature(publicKey, Buffer.from('x'), sig));
  const p1363 = sign('sha256', Buffer.from('x'), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  assert.equal(verifySignature(publicKey, Buffer.from('x'), p1363), false, 'raw r||s is not what cosign writes');
});

test('PEM: several blocks, headers, CRLF and junk around blocks', () => {
  const text = `junk\r\n-----BEGIN A-----\r\nProc-Type: 4,ENCRYPTED\r\n\r\nAAEC\r\n-----END A-----\r\nmore\n${encodePem('B', Buffer.from('hi'))}`;
  const blocks = decodePemBlocks(text);
  assert.deepEqual(blocks.map((b) => b.type), ['A', 'B']);
  assert.deepEqual(blocks[0]!.headers, { 'Proc-Type': '4,ENCRYPTED' });
  assert.deepEqual(blocks[0]!.bytes, Buffer.from([0, 1, 2]));
  assert.equal(blocks[1]!.bytes.toString(), 'hi');
  assert.throws(() => decodePemBlocks('-----BEGIN A-----\n@@@\n-----END A-----\n'), /not valid base64/);
  assert.equal(encodePem('X', Buffer.alloc(100)).split('\n')[1]!.length, 64);
});
