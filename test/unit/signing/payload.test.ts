/** Simple-signing payloads, in-toto statements, the classic `.sig` image, bundles: against cosign's documented layout. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSimpleSigning, checkStatement, cosignStatement, goJson, simpleSigningPayload } from '../../../src/signing/payload.js';
import { appendSignature, signatureTag } from '../../../src/signing/sigimage.js';
import { loadPublicKey } from '../../../src/signing/keys.js';
import { signBytes, verifySignature } from '../../../src/signing/crypto.js';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { pae, parseBundle } from '../../../src/signing/bundle.js';
import type { ImageManifest } from '../../../src/oci/descriptor.js';

/**
 * Our own fixture, written from cosign's documented classic layout (simple-signing payload with
 * Go's JSON key order; `.sig` image whose config is go-containerregistry's empty image config with
 * one diff_id per layer; descriptors as mediaType, size, digest, annotations).
 */
const SUBJECT = `sha256:${'5e'.repeat(32)}`;
const REFERENCE = '127.0.0.1:5000/team/app';
const PAYLOAD =
  `{"critical":{"identity":{"docker-reference":"${REFERENCE}"},"image":{"docker-manifest-digest":"${SUBJECT}"},` +
  '"type":"cosign container image signature"},"optional":null}';
const SIGNING_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const SIGNATURE = signBytes(SIGNING_KEY.privateKey, Buffer.from(PAYLOAD)).toString('base64');
const PUBLIC_PEM = SIGNING_KEY.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const sha = (b: string | Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const CONFIG = `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${sha(PAYLOAD)}"]},"config":{}}`;
const MANIFEST =
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' +
  `"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":${CONFIG.length},"digest":"${sha(CONFIG)}"},` +
  `"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":${PAYLOAD.length},"digest":"${sha(PAYLOAD)}",` +
  `"annotations":{"dev.cosignproject.cosign/signature":"${SIGNATURE}"}}]}`;
const FIXTURE = { subject: SUBJECT, dockerReference: REFERENCE, publicKey: PUBLIC_PEM, signature: SIGNATURE, payload: PAYLOAD, manifest: MANIFEST };
const OTHER = `sha256:${'ab'.repeat(32)}`;

test('the payload ocipack writes has cosign\'s exact bytes; a signature over them verifies', () => {
  const p = simpleSigningPayload(FIXTURE.dockerReference, FIXTURE.subject);
  assert.equal(p.toString(), FIXTURE.payload);
  const key = loadPublicKey(FIXTURE.publicKey);
  assert.ok(verifySignature(key.key, p, Buffer.from(FIXTURE.signature, 'base64')));
});

test('the .sig manifest and its config have cosign\'s exact layout', () => {
  const img = appendSignature({ payload: Buffer.from(FIXTURE.payload), signature: FIXTURE.signature });
  assert.equal(img.manifest.toString(), FIXTURE.manifest);
  assert.equal(img.config.toString(), CONFIG);
  assert.equal(img.config.toString(), `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${img.layer.digest}"]},"config":{}}`);
  assert.equal(signatureTag(FIXTURE.subject), `sha256-${'5e'.repeat(32)}.sig`);
});

test('appending keeps existing layers first and grows diff_ids and history', () => {
  const first = appendSignature({ payload: Buffer.from(FIXTURE.payload), signature: FIXTURE.signature });
  const existing = { manifest: JSON.parse(first.manifest.toString()) as ImageManifest, config: first.config };
  const second = appendSignature({ payload: Buffer.from('{"x":1}'), signature: 'c2ln', annotations: { 'dev.sigstore.cosign/certificate': 'c' } }, existing);
  const m = JSON.parse(second.manifest.toString()) as ImageManifest;
  assert.equal(m.layers.length, 2);
  assert.equal(m.layers[0]!.digest, first.layer.digest);
  assert.deepEqual(Object.keys(m.layers[1]!.annotations!), ['dev.cosignproject.cosign/signature', 'dev.sigstore.cosign/certificate']);
  const cfg = JSON.parse(second.config.toString()) as { history: unknown[]; rootfs: { diff_ids: string[] } };
  assert.equal(cfg.history.length, 2);
  assert.deepEqual(cfg.rootfs.diff_ids, [first.layer.digest, second.layer.digest]);
  assert.equal(second.manifest.toString().startsWith('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":'), true);
});

test('payload annotations are sorted, Go-escaped, and checked exactly', () => {
  const p = simpleSigningPayload('r/x', FIXTURE.subject, { z: '1', a: '<&>' });
  assert.match(p.toString(), /"optional":\{"a":"\\u003c\\u0026\\u003e","z":"1"\}\}$/);
  assert.equal(goJson({ s: '\u2028' }), '{"s":"\\u2028"}');
  assert.deepEqual(checkSimpleSigning(p, FIXTURE.subject, { a: '<&>' }), { ok: true, dockerReference: 'r/x', annotations: { a: '<&>', z: '1' } });
  assert.deepEqual(checkSimpleSigning(p, FIXTURE.subject, { z: '2' }), { ok: false, reason: 'annotation z does not equal "2"' });
  assert.deepEqual(checkSimpleSigning(p, FIXTURE.subject, { q: '1' }), { ok: false, reason: 'annotation q is missing' });
});

test('simple-signing claims: the digest and type must match (swap attack), malformed payloads never count', () => {
  const good = Buffer.from(FIXTURE.payload);
  assert.equal(checkSimpleSigning(good, FIXTURE.subject).ok, true);
  const table: [string, Buffer, RegExp][] = [
    ['other digest (swap)', good, /signs sha256:5e5e.*not sha256:abab/],
    ['wrong type', Buffer.from(FIXTURE.payload.replace('cosign container image signature', 'atomic container signature')), /payload type/],
    ['not JSON', Buffer.from('nope'), /not a simple-signing/],
    ['array', Buffer.from('[]'), /not a simple-signing/],
    ['no critical', Buffer.from('{"optional":null}'), /not a simple-signing/],
    ['digest not a string', Buffer.from('{"critical":{"type":"cosign container image signature","image":{"docker-manifest-digest":1}}}'), /signs no digest/],
  ];
  for (const [name, payload, reason] of table) {
    const r = checkSimpleSigning(payload, name.startsWith('other') ? OTHER : FIXTURE.subject);
    assert.equal(r.ok, false, name);
    if (!r.ok) assert.match(r.reason, reason, name);
  }
});

test('in-toto statements: subject digest, predicate type and annotations decide', () => {
  const s = cosignStatement(FIXTURE.subject, { env: 'prod' });
  assert.equal(s.toString(), `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"${FIXTURE.subject.slice(7)}"},"annotations":{"env":"prod"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`);
  assert.equal(checkStatement(s, FIXTURE.subject, { env: 'prod' }).ok, true);
  assert.equal(checkStatement(s, OTHER).ok, false);
  assert.equal(checkStatement(s, FIXTURE.subject, { env: 'dev' }).ok, false);
  const slsa = Buffer.from(s.toString().replace('https://sigstore.dev/cosign/sign/v1', 'https://slsa.dev/provenance/v1'));
  const r = checkStatement(slsa, FIXTURE.subject);
  assert.ok(!r.ok && /predicate type/.test(r.reason), 'an attestation is not a signature');
  assert.equal(checkStatement(Buffer.from('{"_type":"other"}'), FIXTURE.subject).ok, false);
});

test('DSSE PAE and bundle parsing', () => {
  assert.equal(pae('application/vnd.in-toto+json', Buffer.from('hello')).toString(), 'DSSEv1 28 application/vnd.in-toto+json 5 hello');
  const doc = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'abc' }, tlogEntries: [] },
    dsseEnvelope: { payload: Buffer.from('{}').toString('base64'), payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: 'c2ln', keyid: '' }] },
  };
  const b = parseBundle(Buffer.from(JSON.stringify(doc)));
  assert.equal(b.content.kind, 'dsse');
  assert.deepEqual(b.material, { kind: 'publicKey', hint: 'abc' });
  const bad: [string, unknown, RegExp][] = [
    ['media type', { ...doc, mediaType: 'application/json' }, /unknown mediaType/],
    ['no material', { ...doc, verificationMaterial: undefined }, /no verificationMaterial/],
    ['no content', { ...doc, dsseEnvelope: undefined }, /neither dsseEnvelope/],
    ['no signatures', { ...doc, dsseEnvelope: { ...doc.dsseEnvelope, signatures: [] } }, /no signatures/],
    ['payload not base64', { ...doc, dsseEnvelope: { ...doc.dsseEnvelope, payload: '!!' } }, /not base64/],
    ['empty material', { ...doc, verificationMaterial: {} }, /no publicKey/],
  ];
  for (const [name, v, re] of bad) assert.throws(() => parseBundle(Buffer.from(JSON.stringify(v))), re, name);
  assert.throws(() => parseBundle(Buffer.from('nope')), /not a JSON object/);
});
