/** The trust options turned into a policy before any network (preparePolicy), and the bundle pieces a key signature writes (bundlesign). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { preparePolicy, type TrustOptions } from '../../../src/signing/verifyartifact.js';
import { bundleReferrer, BUNDLE_ANNOTATIONS, keyBundle, publicKeyHint } from '../../../src/signing/bundlesign.js';
import { pae } from '../../../src/signing/bundle.js';
import { INTOTO_PAYLOAD_TYPE } from '../../../src/signing/payload.js';
import { digestOf } from '../../../src/oci/digest.js';
import { tempDir } from '../../helpers/cli.js';

const usage = (pattern: RegExp) => (e: Error & { code?: string }): boolean => e.code === 'USAGE' && pattern.test(e.message);

test('preparePolicy: nothing given is integrity only; annotations or an attestation type without a key or identity are usage errors', async () => {
  assert.equal(await preparePolicy({}, {}), undefined);
  assert.equal(await preparePolicy({ certificateGithubWorkflow: { trigger: '' } }, {}), undefined, 'an empty claim is no keyless flag');
  await assert.rejects(preparePolicy({ attestationType: 'slsaprovenance1' }, {}), usage(/`attestationType` needs `key` or the keyless options/));
  await assert.rejects(preparePolicy({}, { a: 'b' }), usage(/`annotations` needs `key` or the keyless options/));
});

test('preparePolicy: the keyless options go together, as cosign wants them; each missing or clashing one is named', async () => {
  const table: Array<[TrustOptions, RegExp]> = [
    [{ certificateIdentity: 'a', certificateIdentityRegexp: 'a', certificateOidcIssuer: 'i', trustedRoot: 'r' }, /`certificateIdentity` and `certificateIdentityRegexp` exclude each other/],
    [{ certificateIdentity: 'a', certificateOidcIssuer: 'i', certificateOidcIssuerRegexp: 'i', trustedRoot: 'r' }, /`certificateOidcIssuer` and `certificateOidcIssuerRegexp` exclude each other/],
    [{ certificateOidcIssuer: 'i', trustedRoot: 'r' }, /needs `certificateIdentity` or `certificateIdentityRegexp`/],
    [{ certificateGithubWorkflow: { repository: 'org/app' } }, /needs `certificateIdentity` or `certificateIdentityRegexp`/],
    [{ trustedRoot: 'r' }, /needs `certificateIdentity`/],
    [{ certificateIdentityRegexp: '.*', trustedRoot: 'r' }, /needs `certificateOidcIssuer` or `certificateOidcIssuerRegexp`/],
    [{ certificateIdentity: 'a', certificateOidcIssuer: 'i' }, /keyless verification needs `trustedRoot`/],
    [{ certificateIdentityRegexp: '(', certificateOidcIssuer: 'i', trustedRoot: '/nonexistent/root.json' }, /`certificateIdentityRegexp` "\(" is not a valid regular expression/],
    [{ certificateIdentity: 'a', certificateOidcIssuer: 'i', trustedRoot: '/nonexistent/root.json' }, /`trustedRoot` \/nonexistent\/root\.json: no such file/],
    [{ key: '/nonexistent/cosign.pub' }, /`key` \/nonexistent\/cosign\.pub: no such file/],
    [{ key: ['/nonexistent/a.pub'], attestationType: 'nonsense' }, /no such file/],
  ];
  for (const [opts, want] of table) await assert.rejects(preparePolicy(opts, {}), usage(want), JSON.stringify(opts));
});

test('preparePolicy: keys are read (any of several), the attestation type named, the annotations kept; a file that is no key fails', async () => {
  const dir = await tempDir();
  const pems: string[] = [];
  for (const name of ['a.pub', 'b.pub']) {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(join(dir, name), publicKey.export({ type: 'spki', format: 'pem' }));
    pems.push(join(dir, name));
  }
  const policy = await preparePolicy({ key: pems, attestationType: 'slsaprovenance1' }, { env: 'prod' });
  assert.deepEqual(policy?.keys.map((k) => k.name), pems);
  assert.equal(policy?.predicateType, 'https://slsa.dev/provenance/v1');
  assert.deepEqual(policy?.annotations, { env: 'prod' });
  assert.equal(policy?.keyless, undefined);
  assert.equal((await preparePolicy({ key: pems[0]! }, {}))?.keys.length, 1, 'one key as a string');
  await assert.rejects(preparePolicy({ key: pems, attestationType: 'not a type' }, {}), /`type` must be slsaprovenance1/);
  await writeFile(join(dir, 'junk.pub'), 'not a key\n');
  await assert.rejects(preparePolicy({ key: join(dir, 'junk.pub') }, {}), (e: Error) => e.message.includes('junk.pub'));
});

test('keyBundle: a v0.3 bundle whose DSSE signature verifies over the PAE of the statement, with cosign\'s public-key hint', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const statement = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
  const bundle = JSON.parse(keyBundle({ key: privateKey, publicKey }, statement).toString()) as {
    mediaType: string; verificationMaterial: { publicKey: { hint: string } }; dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string }[] };
  };
  assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
  const hint = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  assert.equal(bundle.verificationMaterial.publicKey.hint, hint);
  assert.equal(publicKeyHint(createPublicKey(publicKey.export({ type: 'spki', format: 'pem' }))), hint);
  assert.equal(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString(), statement.toString());
  assert.equal(bundle.dsseEnvelope.payloadType, INTOTO_PAYLOAD_TYPE);
  const sig = Buffer.from(bundle.dsseEnvelope.signatures[0]!.sig, 'base64');
  assert.ok(verify('sha256', pae(INTOTO_PAYLOAD_TYPE, statement), publicKey, sig));
  assert.ok(!verify('sha256', pae(INTOTO_PAYLOAD_TYPE, Buffer.from('{}')), publicKey, sig), 'the signature covers this statement only');
});

test('bundleReferrer: cosign\'s OCI 1.1 manifest (empty config, one bundle layer, subject, annotations, artifactType last) and its digest', () => {
  const bundle = Buffer.from('{"bundle":true}');
  const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 321, annotations: { dropped: 'yes' } };
  const r = bundleReferrer(bundle, subject, '2026-01-02T03:04:05Z', 'https://slsa.dev/provenance/v1');
  const doc = JSON.parse(r.manifest.toString()) as Record<string, unknown> & { layers: { digest: string; size: number }[]; annotations: Record<string, string>; subject: Record<string, unknown>; config: { digest: string } };
  assert.deepEqual(Object.keys(doc), ['schemaVersion', 'mediaType', 'config', 'layers', 'annotations', 'subject', 'artifactType']);
  assert.equal(doc.artifactType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
  assert.deepEqual([doc.layers[0]!.digest, doc.layers[0]!.size], [digestOf(bundle), bundle.length]);
  assert.equal(doc.config.digest, digestOf(Buffer.from('{}')));
  assert.deepEqual(doc.annotations, {
    [BUNDLE_ANNOTATIONS.content]: 'dsse-envelope', [BUNDLE_ANNOTATIONS.predicateType]: 'https://slsa.dev/provenance/v1', [BUNDLE_ANNOTATIONS.created]: '2026-01-02T03:04:05Z',
  });
  assert.deepEqual(doc.subject, { mediaType: subject.mediaType, digest: subject.digest, size: 321 }, 'only the subject\'s descriptor fields');
  assert.deepEqual(r.manifestDescriptor, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(r.manifest), size: r.manifest.length });
  assert.equal(JSON.parse(bundleReferrer(bundle, subject, 'now').manifest.toString()).annotations[BUNDLE_ANNOTATIONS.predicateType], 'https://sigstore.dev/cosign/sign/v1');
});
