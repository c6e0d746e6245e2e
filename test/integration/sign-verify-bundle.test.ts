/**
 * Signatures stored as referrers (cosign's OCI 1.1 mode and the new sigstore bundle format) on a
 * registry without the referrers API (distribution 2.8: the referrers tag schema), keyed and keyless.
 * Keyless uses a test CA standing in for Fulcio and a test log standing in for Rekor, named in a
 * trusted_root.json generated here; @sigstore/verify checks the chain, the SET and the checkpoint.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { artifactPusher } from '../helpers/artifacts.js';
import { startRegistry } from '../helpers/registry.js';
import { addToReferrersIndex, pushReferrer, putBlob, putManifest, type Desc } from '../helpers/rawoci.js';
import { dsseBundle, makeCa, makeLeaf, statementFor, TestLog, trustedRoot, type Leaf, type TestCa } from '../helpers/sigstore.js';
import { loadPrivateKey } from '../../src/signing/keys.js';
import { simpleSigningPayload } from '../../src/signing/payload.js';
import { signBytes } from '../../src/signing/crypto.js';
import { appendSignature } from '../../src/signing/sigimage.js';
import { verify } from '../../src/usecases/verify.js';
import { eventSink } from '../helpers/fakes.js';

const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SIG_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const IDENTITY = 'https://github.com/org/app/.github/workflows/release.yaml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let keys: string;
let privateKey: import('node:crypto').KeyObject;
let ca: TestCa;
let log: TestLog;
let leaf: Leaf;
let rootFile: string;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  keys = await tempDir('ocipack-keys-');
  assert.equal((await ocipack(['generate-key-pair'], { cwd: keys, env: { COSIGN_PASSWORD: 'pw' } })).code, 0);
  privateKey = (await loadPrivateKey(await readFile(join(keys, 'cosign.key'), 'utf8'), async () => 'pw')).key;
  ca = await makeCa();
  log = new TestLog();
  leaf = await makeLeaf(ca, { san: `URI:${IDENTITY}`, issuer: ISSUER });
  rootFile = join(keys, 'trusted_root.json');
  await writeFile(rootFile, trustedRoot([ca], [log]));
});
after(async () => {
  await reg?.stop();
});

const pushArtifact = artifactPusher(() => reg, 'bundles/app');

/** Attach a bundle the way cosign's WriteAttestationNewBundleFormat does. */
async function attachBundle(repo: string, subject: Desc, bundle: Buffer): Promise<Desc> {
  return pushReferrer(reg.url, repo, subject, {
    artifactType: BUNDLE_TYPE,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', bytes: Buffer.from('{}') },
    layers: [{ mediaType: BUNDLE_TYPE, bytes: bundle }],
    annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1', 'org.opencontainers.image.created': '2025-01-01T00:00:00Z' },
  });
}

const run = async (args: string[]): Promise<{ code: number; json: any; stderr: string }> => {
  const r = await ocipack(['verify', ...args, '-o', 'json']);
  return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
};
const keyless = (identity = IDENTITY, issuer = ISSUER, root = rootFile): string[] => [
  '--certificate-identity', identity, '--certificate-oidc-issuer', issuer, '--trusted-root', root,
];

test('cosign\'s OCI 1.1 signature (artifactType sig, referrers tag schema) verifies with --key', async () => {
  const a = await pushArtifact();
  const payload = simpleSigningPayload(`${reg.host}/${a.repo}`, a.desc.digest);
  const config = Buffer.from(`{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["sha256:${createHash('sha256').update(payload).digest('hex')}"]},"config":{}}`);
  const ref = await pushReferrer(reg.url, a.repo, a.desc, {
    artifactType: SIG_TYPE,
    config: { mediaType: SIG_TYPE, bytes: config },
    layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', bytes: payload, annotations: { 'dev.cosignproject.cosign/signature': signBytes(privateKey, payload).toString('base64') } }],
  });
  const v = await run([a.ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(v.code, 0, v.stderr);
  assert.deepEqual(v.json.signatures.map((s: any) => [s.format, s.source, s.verified]), [['cosign-oci-1.1', `referrer ${ref.digest}`, true]]);
});

test('a new-format bundle signed with a key verifies with --key; one for another digest is refused', async () => {
  const a = await pushArtifact();
  const b = await pushArtifact();
  await attachBundle(a.repo, a.desc, dsseBundle({ payload: statementFor(a.desc.digest, { env: 'prod' }), key: privateKey }));
  const ok = await run([a.ref, '--key', join(keys, 'cosign.pub'), '-a', 'env=prod']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.json.signatures[0].format, 'sigstore-bundle');
  // swap: A's bundle attached to B
  await attachBundle(b.repo, b.desc, dsseBundle({ payload: statementFor(a.desc.digest), key: privateKey }));
  const swapped = await run([b.ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(swapped.code, 3);
  assert.equal(swapped.json.signatures[0].reason, `statement subject does not name ${b.desc.digest}`);
  // a DSSE payload byte flipped after signing
  const c = await pushArtifact();
  const bundle = JSON.parse(dsseBundle({ payload: statementFor(c.desc.digest), key: privateKey }).toString());
  const p = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
  bundle.dsseEnvelope.payload = Buffer.from(p.toString().replace('"predicate":{}', '"predicate":{"x":1}')).toString('base64');
  await attachBundle(c.repo, c.desc, Buffer.from(JSON.stringify(bundle)));
  const tampered = await run([c.ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(tampered.code, 3);
  assert.equal(tampered.json.signatures[0].reason, 'the bundle signature does not verify with any given key');
});

test('keyless: a bundle from the test CA and log verifies with the exact identity and issuer', async () => {
  const a = await pushArtifact();
  await attachBundle(a.repo, a.desc, dsseBundle({ payload: statementFor(a.desc.digest), key: leaf.key, leaf, log }));
  const v = await run([a.ref, ...keyless()]);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.json.signatures[0].identity, IDENTITY);
  assert.equal(v.json.signatures[0].issuer, ISSUER);
  assert.match(v.stderr, /signature verified with identity https:\/\/github.com\/org\/app/);
  // identities are compared exactly: no prefix, no regular expression
  for (const id of ['https://github.com/org/app', 'https://github.com/org/.*', `${IDENTITY}x`]) {
    const r = await run([a.ref, ...keyless(id)]);
    assert.equal(r.code, 3, id);
    assert.match(r.json.signatures[0].reason, /certificate identity ".*" is not/);
  }
  const wrongIssuer = await run([a.ref, ...keyless(IDENTITY, 'https://accounts.google.com')]);
  assert.equal(wrongIssuer.code, 3);
  assert.match(wrongIssuer.json.signatures[0].reason, /OIDC issuer/);
  // a key does not verify a certificate-signed bundle
  assert.equal((await run([a.ref, '--key', join(keys, 'cosign.pub')])).code, 3);
});

test('keyless refusals: another CA, a time outside the certificate, a forged SET, no log entry, an attestation', async () => {
  const other = await makeCa('other-fulcio');
  const otherRoot = join(keys, 'other_root.json');
  await writeFile(otherRoot, trustedRoot([other], [log]));
  const a = await pushArtifact();
  await attachBundle(a.repo, a.desc, dsseBundle({ payload: statementFor(a.desc.digest), key: leaf.key, leaf, log }));
  const r1 = await run([a.ref, ...keyless(IDENTITY, ISSUER, otherRoot)]);
  assert.equal(r1.code, 3);
  assert.match(r1.json.signatures[0].reason, /certificate chain/);

  const cases: [string, Buffer, RegExp][] = [];
  const late = Math.floor(Date.now() / 1000) + 10 * 86400;
  const b = await pushArtifact();
  cases.push(['late', dsseBundle({ payload: statementFor(b.desc.digest), key: leaf.key, leaf, log, integratedTime: late }), /not valid or expired/]);
  const forged = JSON.parse(dsseBundle({ payload: statementFor(b.desc.digest), key: leaf.key, leaf, log }).toString());
  const set = Buffer.from(forged.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp, 'base64');
  set[set.length - 2] = set[set.length - 2]! ^ 1;
  forged.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp = set.toString('base64');
  cases.push(['forged SET', Buffer.from(JSON.stringify(forged)), /inclusion promise/]);
  cases.push(['no log entry', dsseBundle({ payload: statementFor(b.desc.digest), key: leaf.key, leaf }), /expected 1 timestamps, got 0/]);
  const slsa = Buffer.from(statementFor(b.desc.digest).toString().replace('https://sigstore.dev/cosign/sign/v1', 'https://slsa.dev/provenance/v1'));
  cases.push(['attestation', dsseBundle({ payload: slsa, key: leaf.key, leaf, log }), /predicate type/]);
  for (const [, bundle] of cases) await attachBundle(b.repo, b.desc, bundle);
  const r2 = await run([b.ref, ...keyless()]);
  assert.equal(r2.code, 3, r2.stderr);
  assert.equal(r2.json.signatures.length, cases.length);
  cases.forEach(([name, , re], i) => {
    assert.equal(r2.json.signatures[i].verified, false, name);
    assert.match(r2.json.signatures[i].reason, re, name);
  });
});

test('keyless with the legacy issuer extension and an e-mail identity', async () => {
  const mailLeaf = await makeLeaf(ca, { san: 'email:release@example.com', issuer: 'https://accounts.example.com', legacyIssuer: true });
  const a = await pushArtifact();
  await attachBundle(a.repo, a.desc, dsseBundle({ payload: statementFor(a.desc.digest), key: mailLeaf.key, leaf: mailLeaf, log }));
  const v = await run([a.ref, ...keyless('release@example.com', 'https://accounts.example.com')]);
  assert.equal(v.code, 0, v.stderr);
});

test('a referrer whose subject is another digest does not count; caps on payload size and candidate count hold', async () => {
  const a = await pushArtifact();
  const b = await pushArtifact();
  const foreign = await attachBundle(b.repo, b.desc, dsseBundle({ payload: statementFor(a.desc.digest), key: privateKey }));
  // copy B's referrer into A's repository and list it under A's referrers tag: the index lies, the manifest's subject tells
  const mbytes = Buffer.from(await (await fetch(`${reg.url}/v2/${b.repo}/manifests/${foreign.digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).arrayBuffer());
  const m = JSON.parse(mbytes.toString());
  for (const d of [m.config, ...m.layers]) await putBlob(reg.url, a.repo, Buffer.from(await (await fetch(`${reg.url}/v2/${b.repo}/blobs/${d.digest}`)).arrayBuffer()));
  await putManifest(reg.url, a.repo, foreign.digest, mbytes, 'application/vnd.oci.image.manifest.v1+json');
  await addToReferrersIndex(reg.url, a.repo, a.desc.digest, foreign);
  const v = await run([a.ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(v.code, 3);
  assert.equal(v.json.signatures.length, 0, 'a referrer of another subject is no candidate at all');
  assert.ok(v.stderr.includes(`referrer ${foreign.digest} is listed among the referrers of ${a.desc.digest} but its subject is ${b.desc.digest}; ignored`), v.stderr);

  // caps, through the library: three signatures, read at most two; payloads over 10 bytes unreadable
  const c = await pushArtifact();
  for (let i = 0; i < 3; i++) {
    assert.equal((await ocipack(['sign', c.ref, '--key', join(keys, 'cosign.key'), '-a', `i=${i}`], { env: { COSIGN_PASSWORD: 'pw' } })).code, 0);
  }
  const { events, onEvent } = eventSink();
  const capped = await verify({ reference: c.ref, key: join(keys, 'cosign.pub'), maxCandidates: 2, onEvent });
  assert.equal(capped.signatures.length, 2);
  assert.ok(events.some((e) => e.type === 'warning' && /more than 2 signature candidates/.test(e.message)));
  const small = await verify({ reference: c.ref, key: join(keys, 'cosign.pub'), maxPayloadBytes: 10 });
  assert.equal(small.verified, false);
  assert.match(small.signatures[0]!.reason!, /more than the 10 bytes a signature may have/);
});

/** Store a classic `.sig` image with one layer (payload + annotations), as cosign 2 does for keyless signing. */
async function attachClassic(repo: string, digest: string, payload: Buffer, signature: string, annotations: Record<string, string>): Promise<void> {
  const img = appendSignature({ payload, signature, annotations });
  await putBlob(reg.url, repo, payload);
  await putBlob(reg.url, repo, img.config);
  await putManifest(reg.url, repo, `${digest.replace(':', '-')}.sig`, img.manifest, img.manifestDescriptor.mediaType);
}

test('keyless classic signatures (cosign 2: certificate + Rekor bundle annotations) verify; tampering and swaps do not', async () => {
  const a = await pushArtifact();
  const payload = simpleSigningPayload(`${reg.host}/${a.repo}`, a.desc.digest);
  const good = log.classicKeyless(payload, leaf, { chainPem: ca.certPem });
  await attachClassic(a.repo, a.desc.digest, payload, good.signature, good.annotations);
  const v = await run([a.ref, ...keyless()]);
  assert.equal(v.code, 0, v.stderr);
  assert.deepEqual([v.json.signatures[0].format, v.json.signatures[0].identity], ['cosign', IDENTITY]);
  assert.equal((await run([a.ref, ...keyless('https://github.com/org/app')])).code, 3);

  // the same keyless signature placed on another digest: the chain and log verify, the payload names A
  const b = await pushArtifact();
  await attachClassic(b.repo, b.desc.digest, payload, good.signature, good.annotations);
  const swapped = await run([b.ref, ...keyless()]);
  assert.equal(swapped.code, 3);
  assert.equal(swapped.json.signatures[0].reason, `payload signs ${a.desc.digest}, not ${b.desc.digest}`);

  // no Rekor bundle: no verified time, so no verified chain
  const c = await pushArtifact();
  const cPayload = simpleSigningPayload(`${reg.host}/${c.repo}`, c.desc.digest);
  const noLog = log.classicKeyless(cPayload, leaf);
  delete noLog.annotations['dev.sigstore.cosign/bundle'];
  await attachClassic(c.repo, c.desc.digest, cPayload, noLog.signature, noLog.annotations);
  const r = await run([c.ref, ...keyless()]);
  assert.equal(r.code, 3);
  assert.match(r.json.signatures[0].reason, /expected 1 timestamps, got 0/);

  // a signature by another key than the certificate's
  const d = await pushArtifact();
  const dPayload = simpleSigningPayload(`${reg.host}/${d.repo}`, d.desc.digest);
  const forged = log.classicKeyless(dPayload, { ...leaf, key: privateKey });
  await attachClassic(d.repo, d.desc.digest, dPayload, forged.signature, forged.annotations);
  const f = await run([d.ref, ...keyless()]);
  assert.equal(f.code, 3);
  assert.match(f.json.signatures[0].reason, /signature verification failed/);
});
