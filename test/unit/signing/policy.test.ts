/** When a candidate counts: table of candidates × policies → verdicts, with no registry involved. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { judge, type TrustedKey, type VerifyPolicy } from '../../../src/signing/policy.js';
import type { Candidate } from '../../../src/signing/discover.js';
import { describeKey, signBytes } from '../../../src/signing/crypto.js';
import { cosignStatement, simpleSigningPayload } from '../../../src/signing/payload.js';
import { pae } from '../../../src/signing/bundle.js';
import type { KeylessVerifier } from '../../../src/signing/keyless.js';
import { classicToBundle } from '../../../src/signing/keyless.js';

const DIGEST = `sha256:${'1'.repeat(64)}`;
const OTHER = `sha256:${'2'.repeat(64)}`;
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const trusted: TrustedKey = { name: 'cosign.pub', key: pair.publicKey, description: describeKey(pair.publicKey) };
const layer = { mediaType: 'x', digest: `sha256:${'3'.repeat(64)}`, size: 1 };

function simple(payload: Buffer, signature: Buffer | undefined, annotations: Record<string, string> = {}): Candidate {
  return { kind: 'simple', format: 'cosign', source: 'tag t', layer, payload, signature, annotations };
}
function bundle(doc: unknown): Candidate {
  return { kind: 'bundle', format: 'sigstore-bundle', source: 'referrer r', layer, bundle: Buffer.from(JSON.stringify(doc)) };
}
function keyedBundle(payload: Buffer, key = pair.privateKey, payloadType = 'application/vnd.in-toto+json'): Candidate {
  return bundle({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'h' }, tlogEntries: [] },
    dsseEnvelope: { payloadType, payload: payload.toString('base64'), signatures: [{ sig: sign('sha256', pae(payloadType, payload), key).toString('base64') }] },
  });
}
const withKey: VerifyPolicy = { keys: [trusted], annotations: {} };
const payload = simpleSigningPayload('r/x', DIGEST, { env: 'prod' });

test('classic candidates: verdicts and reasons', async () => {
  const table: [string, Candidate, VerifyPolicy, boolean, string | undefined][] = [
    ['good', simple(payload, signBytes(pair.privateKey, payload)), withKey, true, undefined],
    ['stranger key', simple(payload, signBytes(stranger.privateKey, payload)), withKey, false, 'the signature does not verify with any given key'],
    ['no annotation', simple(payload, undefined), withKey, false, 'the layer has no dev.cosignproject.cosign/signature annotation'],
    ['annotation required', simple(payload, signBytes(pair.privateKey, payload)), { keys: [trusted], annotations: { env: 'dev' } }, false, 'annotation env does not equal "dev"'],
    ['no key, not keyless', simple(payload, signBytes(pair.privateKey, payload)), { keys: [], annotations: {} }, false, 'the signature is not keyless (no certificate); verify it with `key`'],
  ];
  for (const [name, c, policy, ok, reason] of table) {
    const v = await judge(c, DIGEST, policy);
    assert.equal(v.verified, ok, name);
    assert.equal(v.reason, reason, name);
    if (ok) assert.equal(v.key, 'cosign.pub');
  }
  const swapped = await judge(simple(payload, signBytes(pair.privateKey, payload)), OTHER, withKey);
  assert.equal(swapped.reason, `payload signs ${DIGEST}, not ${OTHER}`);
  assert.equal(swapped.key, 'cosign.pub', 'the key is named even when the claim is refused');
});

test('bundle candidates: keyed DSSE verdicts and reasons', async () => {
  const st = cosignStatement(DIGEST);
  const table: [string, Candidate, VerifyPolicy, boolean, RegExp | undefined][] = [
    ['good', keyedBundle(st), withKey, true, undefined],
    ['stranger', keyedBundle(st, stranger.privateKey), withKey, false, /does not verify with any given key/],
    ['payload type', keyedBundle(st, pair.privateKey, 'text/plain'), withKey, false, /DSSE payload type is text\/plain/],
    ['no keys', keyedBundle(st), { keys: [], annotations: {} }, false, /verify it with `key`/],
    ['garbage', bundle({ mediaType: 'nope' }), withKey, false, /invalid sigstore bundle/],
    ['message signature', bundle({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: { publicKey: { hint: '' } }, messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: 'AA==' }, signature: 'AA==' } }), withKey, false, /message signature/],
  ];
  for (const [name, c, policy, ok, reason] of table) {
    const v = await judge(c, DIGEST, policy);
    assert.equal(v.verified, ok, name);
    if (reason) assert.match(v.reason ?? '', reason, name);
  }
  assert.match((await judge(keyedBundle(st), OTHER, withKey)).reason ?? '', /statement subject does not name/);
});

test('keyless candidates go to the keyless verifier, and its verdict is combined with the claim check', async () => {
  const calls: string[] = [];
  const fake: KeylessVerifier = {
    async verify() { calls.push('bundle'); return { ok: true, identity: 'me', issuer: 'iss', matched: ['certificateIdentity me'] }; },
    async verifyClassic() { calls.push('classic'); return { ok: false, reason: 'nope' }; },
  };
  const policy: VerifyPolicy = { keys: [], keyless: fake, annotations: {} };
  const certBundle = bundle({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { certificate: { rawBytes: 'AA==' }, tlogEntries: [] },
    dsseEnvelope: { payloadType: 'application/vnd.in-toto+json', payload: cosignStatement(DIGEST).toString('base64'), signatures: [{ sig: 'AA==' }] },
  });
  const v = await judge(certBundle, DIGEST, policy);
  assert.deepEqual([v.verified, v.identity, v.issuer], [true, 'me', 'iss']);
  assert.equal((await judge(certBundle, OTHER, policy)).verified, false, 'identity verified, but the subject is another digest');
  const classic = simple(payload, Buffer.from('sig'), { 'dev.sigstore.cosign/certificate': '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n' });
  assert.equal((await judge(classic, DIGEST, policy)).reason, 'nope');
  assert.deepEqual(calls, ['bundle', 'bundle', 'classic']);
});

test('classicToBundle builds a v0.1 bundle from cosign\'s annotations, or says what is missing', () => {
  assert.equal(classicToBundle(Buffer.from('p'), Buffer.from('s'), {}), 'the layer has no certificate annotation');
  const cert = '-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n';
  assert.equal(classicToBundle(Buffer.from('p'), Buffer.from('s'), { 'dev.sigstore.cosign/certificate': cert, 'dev.sigstore.cosign/bundle': '{' }), 'the Rekor bundle or timestamp annotation is malformed');
  const body = Buffer.from('{"kind":"hashedrekord","apiVersion":"0.0.1"}').toString('base64');
  const b = classicToBundle(Buffer.from('p'), Buffer.from('s'), {
    'dev.sigstore.cosign/certificate': cert, 'dev.sigstore.cosign/chain': cert + cert,
    'dev.sigstore.cosign/bundle': JSON.stringify({ SignedEntryTimestamp: 'U0VU', Payload: { body, integratedTime: 5, logIndex: 7, logID: 'abcd' } }),
  }) as any;
  assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle+json;version=0.1');
  assert.equal(b.verificationMaterial.x509CertificateChain.certificates.length, 3);
  assert.deepEqual(b.verificationMaterial.tlogEntries[0].kindVersion, { kind: 'hashedrekord', version: '0.0.1' });
  assert.equal(b.verificationMaterial.tlogEntries[0].logId.keyId, Buffer.from('abcd', 'hex').toString('base64'));
  assert.equal(b.verificationMaterial.tlogEntries[0].logIndex, '7');
  assert.equal(b.messageSignature.signature, Buffer.from('s').toString('base64'));
});
