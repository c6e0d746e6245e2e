/** Simple-signing payloads, in-toto statements, the classic `.sig` image, bundles: against captured cosign bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSimpleSigning, checkStatement, cosignStatement, goJson, simpleSigningPayload } from '../../../src/signing/payload.js';
import { appendSignature, signatureTag } from '../../../src/signing/sigimage.js';
import { loadPublicKey } from '../../../src/signing/keys.js';
import { verifySignature } from '../../../src/signing/crypto.js';
import { pae, parseBundle } from '../../../src/signing/bundle.js';
import type { ImageManifest } from '../../../src/oci/descriptor.js';

/**
 * A signature captured byte for byte from `cosign sign --key … --tlog-upload=false` (cosign v3.0.4,
 * classic layout) against a local registry, published as a test fixture in tobby-fetch
 * (internal/sigverify tests). Data, not code: ocipack must produce and accept exactly these bytes.
 */
const CAPTURED = {
  subject: 'sha256:f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268',
  dockerReference: 'localhost:15381/tobby/fixture',
  publicKey: `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEA9oFvTJJuu0cszKBsiuqfFYN3NLV
meleaASYW5l+nqDxoUg4f8177owlgVD89pZQ9jUxP8dbibmDJpvcjBo9RQ==
-----END PUBLIC KEY-----
`,
  signature: 'MEUCIEB+pz4s+9yxG+Om/bukeAfwloKFEISUhxLvIYlP02P8AiEAz1oNkilC+cprxcrEHqN0vxM+zvP34ikHFzi8e7Sevls=',
  payload: '{"critical":{"identity":{"docker-reference":"localhost:15381/tobby/fixture"},"image":{"docker-manifest-digest":"sha256:f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268"},"type":"cosign container image signature"},"optional":null}',
  manifest: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":233,"digest":"sha256:2122b6ad0794d3fdae43a4b477cf1d95d4a38d3c5f10631e199676039b876e37"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":245,"digest":"sha256:3a29d26a2fc848d25ccf9c2288194ca90599e70ef69087644f186e5e7331f28b","annotations":{"dev.cosignproject.cosign/signature":"MEUCIEB+pz4s+9yxG+Om/bukeAfwloKFEISUhxLvIYlP02P8AiEAz1oNkilC+cprxcrEHqN0vxM+zvP34ikHFzi8e7Sevls="}}]}',
};
const OTHER = `sha256:${'ab'.repeat(32)}`;

test('the payload ocipack writes is byte for byte what cosign wrote; its signature verifies', () => {
  const p = simpleSigningPayload(CAPTURED.dockerReference, CAPTURED.subject);
  assert.equal(p.toString(), CAPTURED.payload);
  const key = loadPublicKey(CAPTURED.publicKey);
  assert.ok(verifySignature(key.key, p, Buffer.from(CAPTURED.signature, 'base64')));
});

test('the .sig manifest (and its config) ocipack writes is byte for byte what cosign wrote', () => {
  const img = appendSignature({ payload: Buffer.from(CAPTURED.payload), signature: CAPTURED.signature });
  assert.equal(img.manifest.toString(), CAPTURED.manifest);
  assert.equal(img.config.length, 233);
  assert.equal(img.config.toString(), `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${img.layer.digest}"]},"config":{}}`);
  assert.equal(signatureTag(CAPTURED.subject), 'sha256-f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268.sig');
});

test('appending keeps existing layers first and grows diff_ids and history', () => {
  const first = appendSignature({ payload: Buffer.from(CAPTURED.payload), signature: CAPTURED.signature });
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
  const p = simpleSigningPayload('r/x', CAPTURED.subject, { z: '1', a: '<&>' });
  assert.match(p.toString(), /"optional":\{"a":"\\u003c\\u0026\\u003e","z":"1"\}\}$/);
  assert.equal(goJson({ s: '\u2028' }), '{"s":"\\u2028"}');
  assert.deepEqual(checkSimpleSigning(p, CAPTURED.subject, { a: '<&>' }), { ok: true, dockerReference: 'r/x', annotations: { a: '<&>', z: '1' } });
  assert.deepEqual(checkSimpleSigning(p, CAPTURED.subject, { z: '2' }), { ok: false, reason: 'annotation z does not equal "2"' });
  assert.deepEqual(checkSimpleSigning(p, CAPTURED.subject, { q: '1' }), { ok: false, reason: 'annotation q is missing' });
});

test('simple-signing claims: the digest and type must match (swap attack), malformed payloads never count', () => {
  const good = Buffer.from(CAPTURED.payload);
  assert.equal(checkSimpleSigning(good, CAPTURED.subject).ok, true);
  const table: [string, Buffer, RegExp][] = [
    ['other digest (swap)', good, /signs sha256:f20c.*not sha256:abab/],
    ['wrong type', Buffer.from(CAPTURED.payload.replace('cosign container image signature', 'atomic container signature')), /payload type/],
    ['not JSON', Buffer.from('nope'), /not a simple-signing/],
    ['array', Buffer.from('[]'), /not a simple-signing/],
    ['no critical', Buffer.from('{"optional":null}'), /not a simple-signing/],
    ['digest not a string', Buffer.from('{"critical":{"type":"cosign container image signature","image":{"docker-manifest-digest":1}}}'), /signs no digest/],
  ];
  for (const [name, payload, reason] of table) {
    const r = checkSimpleSigning(payload, name.startsWith('other') ? OTHER : CAPTURED.subject);
    assert.equal(r.ok, false, name);
    if (!r.ok) assert.match(r.reason, reason, name);
  }
});

test('in-toto statements: subject digest, predicate type and annotations decide', () => {
  const s = cosignStatement(CAPTURED.subject, { env: 'prod' });
  assert.equal(s.toString(), `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"${CAPTURED.subject.slice(7)}"},"annotations":{"env":"prod"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`);
  assert.equal(checkStatement(s, CAPTURED.subject, { env: 'prod' }).ok, true);
  assert.equal(checkStatement(s, OTHER).ok, false);
  assert.equal(checkStatement(s, CAPTURED.subject, { env: 'dev' }).ok, false);
  const slsa = Buffer.from(s.toString().replace('https://sigstore.dev/cosign/sign/v1', 'https://slsa.dev/provenance/v1'));
  const r = checkStatement(slsa, CAPTURED.subject);
  assert.ok(!r.ok && /predicate type/.test(r.reason), 'an attestation is not a signature');
  assert.equal(checkStatement(Buffer.from('{"_type":"other"}'), CAPTURED.subject).ok, false);
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
