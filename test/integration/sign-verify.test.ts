/**
 * sign --signature-format legacy (cosign 2's `.sig` layout), verify and generate-key-pair through the built CLI against a real distribution registry:
 * round trips, cosign's on-registry layout, appending, the swap attack, tampering, wrong keys,
 * corrupted and missing blobs on the registry's disk, passwords, and usage errors before the network.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { getBlob, getManifest, headManifest, putBlob, putManifest } from '../helpers/rawoci.js';
import { COSIGN_KEY_LABEL, encryptPrivateKey } from '../../src/signing/keys.js';
import { encodePem } from '../../src/signing/pem.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;
let keys: string;
const PW = { COSIGN_PASSWORD: 'correct horse' };

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  keys = await tempDir('ocipack-keys-');
  const r = await ocipack(['generate-key-pair'], { cwd: keys, env: PW });
  assert.equal(r.code, 0, r.stderr);
  const r2 = await ocipack(['generate-key-pair', '--output-key-prefix', 'other'], { cwd: keys, env: { COSIGN_PASSWORD: 'other' } });
  assert.equal(r2.code, 0, r2.stderr);
});
after(async () => {
  await reg?.stop();
});

let n = 0;
/** Push a fresh one-file artifact and return its reference, repository path and digest. */
async function pushArtifact(content = `kind: ConfigMap # ${n}\n`): Promise<{ ref: string; repo: string; digest: string }> {
  const dir = await tempDir();
  await writeFile(join(dir, 'cm.yaml'), content);
  const repo = `team/app${n++}`;
  const ref = `oci://${reg.host}/${repo}:v1`;
  const r = await ocipack(['push', ref, '-f', dir, '--source', 'https://example.com/x', '--revision', 'main@sha1:1', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return { ref, repo, digest: (JSON.parse(r.stdout) as { digest: string }).digest };
}

const sigTag = (digest: string): string => `${digest.replace(':', '-')}.sig`;
const verifyJson = async (args: string[]): Promise<{ code: number; json: any; stderr: string }> => {
  const r = await ocipack(['verify', ...args, '-o', 'json']);
  return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
};

test('generate-key-pair, sign, verify round trip; the registry holds exactly cosign\'s layout', async () => {
  const a = await pushArtifact();
  const s = await ocipack(['sign', a.ref, '--signature-format', 'legacy', '--key', join(keys, 'cosign.key'), '-o', 'json'], { env: PW });
  assert.equal(s.code, 0, s.stderr);
  const signed = JSON.parse(s.stdout) as { digest: string; signatureTag: string; signatures: number };
  assert.equal(signed.digest, a.digest);
  assert.equal(signed.signatureTag, sigTag(a.digest));
  assert.equal(signed.signatures, 1);

  const manifest = JSON.parse((await getManifest(reg.url, a.repo, sigTag(a.digest)))!.toString());
  assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(manifest.config.mediaType, 'application/vnd.oci.image.config.v1+json');
  assert.equal(manifest.layers.length, 1);
  assert.equal(manifest.layers[0].mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
  assert.match(manifest.layers[0].annotations['dev.cosignproject.cosign/signature'], /^[A-Za-z0-9+/]+=*$/);
  const payload = (await getBlob(reg.url, a.repo, manifest.layers[0].digest)).toString();
  assert.equal(payload, `{"critical":{"identity":{"docker-reference":"${reg.host}/${a.repo}"},"image":{"docker-manifest-digest":"${a.digest}"},"type":"cosign container image signature"},"optional":null}`);
  const config = (await getBlob(reg.url, a.repo, manifest.config.digest)).toString();
  assert.equal(config, `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${manifest.layers[0].digest}"]},"config":{}}`);

  const v = await verifyJson([a.ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.json.digest, a.digest);
  assert.equal(v.json.verified, true);
  assert.equal(v.json.signatures.length, 1);
  assert.equal(v.json.signatures[0].verified, true);
  assert.equal(v.json.signatures[0].format, 'cosign');
  assert.equal(v.json.signatures[0].key, join(keys, 'cosign.pub'));
  assert.match(v.stderr, /✔ signature verified with key .*cosign\.pub/);
});

test('a second key appends a layer; re-signing with the same key adds nothing; either key verifies', async () => {
  const a = await pushArtifact();
  assert.equal((await ocipack(['sign', a.ref, '--signature-format', 'legacy', '--key', join(keys, 'cosign.key')], { env: PW })).code, 0);
  const again = await ocipack(['sign', a.ref, '--signature-format', 'legacy', '--key', join(keys, 'cosign.key'), '-o', 'json'], { env: PW });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).alreadySigned, true);
  const other = await ocipack(['sign', a.ref, '--signature-format', 'legacy', '--key', join(keys, 'other.key'), '-o', 'json'], { env: { COSIGN_PASSWORD: 'other' } });
  assert.equal(other.code, 0, other.stderr);
  assert.equal(JSON.parse(other.stdout).signatures, 2);
  const manifest = JSON.parse((await getManifest(reg.url, a.repo, sigTag(a.digest)))!.toString());
  assert.equal(manifest.layers.length, 2);
  const config = JSON.parse((await getBlob(reg.url, a.repo, manifest.config.digest)).toString());
  assert.equal(config.rootfs.diff_ids.length, 2);
  for (const k of ['cosign.pub', 'other.pub']) {
    const v = await verifyJson([a.ref, '--key', join(keys, k)]);
    assert.equal(v.code, 0, `${k}: ${v.stderr}`);
    assert.equal(v.json.signatures.filter((s: { verified: boolean }) => s.verified).length, 1);
  }
});

test('a wrong key is refused (exit 3), and so is an unsigned artifact', async () => {
  const a = await pushArtifact();
  const unsigned = await verifyJson([a.ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(unsigned.code, 3);
  assert.match(unsigned.stderr, /no signatures found/);
  await ocipack(['sign', a.ref, '--signature-format', 'legacy', '--key', join(keys, 'other.key')], { env: { COSIGN_PASSWORD: 'other' } });
  const v = await verifyJson([a.ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(v.code, 3);
  assert.equal(v.json.verified, false);
  assert.equal(v.json.signatures[0].reason, 'the signature does not verify with any given key');
  const either = await verifyJson([a.ref, '--key', join(keys, 'cosign.pub'), '--key', join(keys, 'other.pub')]);
  assert.equal(either.code, 0, either.stderr);
});

test('the swap attack: a signature for digest A placed on digest B\'s .sig tag is refused', async () => {
  const a = await pushArtifact('a: 1\n');
  const b = await pushArtifact('b: 2\n');
  assert.equal((await ocipack(['sign', a.ref, '--signature-format', 'legacy', '--key', join(keys, 'cosign.key')], { env: PW })).code, 0);
  // copy A's signature image (config, payload, manifest) into B's repository under B's .sig tag
  const sigManifest = (await getManifest(reg.url, a.repo, sigTag(a.digest)))!;
  const m = JSON.parse(sigManifest.toString());
  for (const d of [m.config, ...m.layers]) await putBlob(reg.url, b.repo, await getBlob(reg.url, a.repo, d.digest));
  await putManifest(reg.url, b.repo, sigTag(b.digest), sigManifest, m.mediaType);
  const v = await verifyJson([b.ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(v.code, 3, v.stderr);
  assert.equal(v.json.signatures.length, 1);
  assert.equal(v.json.signatures[0].verified, false);
  assert.equal(v.json.signatures[0].reason, `payload signs ${a.digest}, not ${b.digest}`);
});

/** Rewrite the .sig image of `a` with `edit` applied to its payload bytes and signature annotation. */
async function tamperSignature(a: { repo: string; digest: string }, edit: { payload?: (b: Buffer) => Buffer; signature?: (s: string) => string }): Promise<void> {
  const m = JSON.parse((await getManifest(reg.url, a.repo, sigTag(a.digest)))!.toString());
  const layer = m.layers[0];
  if (edit.payload) {
    const bytes = edit.payload(await getBlob(reg.url, a.repo, layer.digest));
    layer.digest = await putBlob(reg.url, a.repo, bytes);
    layer.size = bytes.length;
  }
  if (edit.signature) layer.annotations['dev.cosignproject.cosign/signature'] = edit.signature(layer.annotations['dev.cosignproject.cosign/signature']);
  await putManifest(reg.url, a.repo, sigTag(a.digest), Buffer.from(JSON.stringify(m)), m.mediaType);
}

test('a flipped payload byte or signature byte is refused', async () => {
  const p = await pushArtifact();
  await ocipack(['sign', p.ref, '--signature-format', 'legacy', '--key', join(keys, 'cosign.key')], { env: PW });
  await tamperSignature(p, { payload: (b) => Buffer.from(b.toString().replace('"optional":null', '"optional":{}')) });
  const vp = await verifyJson([p.ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(vp.code, 3);
  assert.equal(vp.json.signatures[0].reason, 'the signature does not verify with any given key');

  const s = await pushArtifact();
  await ocipack(['sign', s.ref, '--signature-format', 'legacy', '--key', join(keys, 'cosign.key')], { env: PW });
  await tamperSignature(s, {
    signature: (b64) => {
      const raw = Buffer.from(b64, 'base64');
      raw[raw.length - 3] = raw[raw.length - 3]! ^ 0x01;
      return raw.toString('base64');
    },
  });
  const vs = await verifyJson([s.ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(vs.code, 3);
  assert.equal(vs.json.signatures[0].verified, false);
});

function blobFile(digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(reg.rootDir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

test('a corrupted blob on the registry\'s disk fails integrity (exit 3) naming the layer; signatures do not rescue it', async () => {
  const a = await pushArtifact('corrupt me: please\n');
  await ocipack(['sign', a.ref, '--signature-format', 'legacy', '--key', join(keys, 'cosign.key')], { env: PW });
  assert.equal((await verifyJson([a.ref])).code, 0);
  const m = JSON.parse((await getManifest(reg.url, a.repo, 'v1'))!.toString());
  const file = blobFile(m.layers[0].digest);
  const bytes = await readFile(file);
  bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
  await writeFile(file, bytes);
  const v = await verifyJson([a.ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(v.code, 3, v.stderr);
  assert.equal(v.json.verified, false);
  assert.equal(v.json.integrity.ok, false);
  assert.match(v.json.integrity.problems[0], new RegExp(`^layer 0 ${m.layers[0].digest}: .*digest`));
  assert.equal(v.json.signatures[0].verified, true, 'the signature itself is fine; integrity is what failed');
  assert.match(v.stderr, /✗ integrity: layer 0/);
});

test('a missing blob fails integrity with exit 3', async () => {
  const a = await pushArtifact('missing: yes\n');
  const m = JSON.parse((await getManifest(reg.url, a.repo, 'v1'))!.toString());
  await rm(blobFile(m.config.digest));
  const v = await verifyJson([a.ref]);
  assert.equal(v.code, 3, v.stderr);
  assert.match(v.json.integrity.problems.join('\n'), new RegExp(`config ${m.config.digest}: `));
});

test('-a annotations are signed into the payload and required exactly at verify', async () => {
  const a = await pushArtifact();
  assert.equal((await ocipack(['sign', a.ref, '--signature-format', 'legacy', '--key', join(keys, 'cosign.key'), '-a', 'env=prod', '-a', 'team=a=b'], { env: PW })).code, 0);
  assert.equal((await verifyJson([a.ref, '--key', join(keys, 'cosign.pub'), '-a', 'env=prod', '-a', 'team=a=b'])).code, 0);
  const wrong = await verifyJson([a.ref, '--key', join(keys, 'cosign.pub'), '-a', 'env=dev']);
  assert.equal(wrong.code, 3);
  assert.equal(wrong.json.signatures[0].reason, 'annotation env does not equal "dev"');
  const m = JSON.parse((await getManifest(reg.url, a.repo, sigTag(a.digest)))!.toString());
  assert.match((await getBlob(reg.url, a.repo, m.layers[0].digest)).toString(), /"optional":\{"env":"prod","team":"a=b"\}\}$/);
});

test('generate-key-pair refuses to overwrite without --force; --force replaces; modes are 0600/0644', async () => {
  const dir = await tempDir();
  assert.equal((await ocipack(['generate-key-pair'], { cwd: dir, env: PW })).code, 0);
  const before = await readFile(join(dir, 'cosign.key'), 'utf8');
  assert.equal((await stat(join(dir, 'cosign.key'))).mode & 0o777, 0o600);
  assert.equal((await stat(join(dir, 'cosign.pub'))).mode & 0o777, 0o644);
  const r = await ocipack(['generate-key-pair'], { cwd: dir, env: PW });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /already exists; refusing to overwrite/);
  assert.equal(await readFile(join(dir, 'cosign.key'), 'utf8'), before);
  const f = await ocipack(['generate-key-pair', '--force'], { cwd: dir, env: PW });
  assert.equal(f.code, 0, f.stderr);
  assert.notEqual(await readFile(join(dir, 'cosign.key'), 'utf8'), before);
  assert.deepEqual((await readdir(dir)).sort(), ['cosign.key', 'cosign.pub'], 'no temp files left behind');
  const noPw = await ocipack(['generate-key-pair', '--output-key-prefix', 'x'], { cwd: dir });
  assert.equal(noPw.code, 2);
  assert.match(noPw.stderr, /COSIGN_PASSWORD/);
});

test('a wrong password is exit 1 and writes nothing; no password and no terminal is exit 2', async () => {
  const a = await pushArtifact();
  await reg.resetRequests();
  const r = await ocipack(['sign', a.ref, '--signature-format', 'legacy', '--key', join(keys, 'cosign.key')], { env: { COSIGN_PASSWORD: 'wrong' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /wrong password/);
  assert.deepEqual(await reg.requests(), [], 'decryption fails before any request');
  assert.equal(await getManifest(reg.url, a.repo, sigTag(a.digest)), undefined);
  const none = await ocipack(['sign', a.ref, '--signature-format', 'legacy', '--key', join(keys, 'cosign.key')]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /set COSIGN_PASSWORD/);
});

test('keys with scrypt N 32768 and 131072, the legacy COSIGN label, and P-384/RSA/Ed25519 keys sign what verify accepts', async () => {
  const dir = await tempDir();
  const kinds: [string, { privateKey: import('node:crypto').KeyObject; publicKey: import('node:crypto').KeyObject }, { N?: number; label?: string }][] = [
    ['n32768', generateKeyPairSync('ec', { namedCurve: 'P-256' }), { N: 32768 }],
    ['n131072', generateKeyPairSync('ec', { namedCurve: 'P-256' }), { N: 131072 }],
    ['legacy', generateKeyPairSync('ec', { namedCurve: 'P-256' }), { label: COSIGN_KEY_LABEL }],
    ['p384', generateKeyPairSync('ec', { namedCurve: 'P-384' }), {}],
    ['rsa', generateKeyPairSync('rsa', { modulusLength: 2048 }), {}],
    ['ed25519', generateKeyPairSync('ed25519'), {}],
  ];
  for (const [name, pair, opts] of kinds) {
    await writeFile(join(dir, `${name}.key`), await encryptPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'der' }), 'pw', opts));
    await writeFile(join(dir, `${name}.pub`), encodePem('PUBLIC KEY', pair.publicKey.export({ type: 'spki', format: 'der' })));
    const a = await pushArtifact();
    const s = await ocipack(['sign', a.ref, '--signature-format', 'legacy', '--key', join(dir, `${name}.key`)], { env: { COSIGN_PASSWORD: 'pw' } });
    assert.equal(s.code, 0, `${name}: ${s.stderr}`);
    const v = await verifyJson([a.ref, '--key', join(dir, `${name}.pub`)]);
    assert.equal(v.code, 0, `${name}: ${v.stderr}`);
  }
});

test('usage errors are exit 2 before any request', async () => {
  const a = await pushArtifact();
  const cases: [string[], RegExp][] = [
    [['verify', a.ref, '--certificate-identity', 'x'], /needs --certificate-oidc-issuer or --certificate-oidc-issuer-regexp/],
    [['verify', a.ref, '--certificate-identity-regexp', '(', '--certificate-oidc-issuer', 'y', '--trusted-root', 'x'], /not a valid regular expression/],
    [['verify', a.ref, '--certificate-github-workflow-ref', 'refs/heads/main'], /needs --certificate-identity/],
    [['verify', a.ref, '--key', '/nonexistent.pub'], /no such file/],
    [['verify', a.ref, '-a', 'env=prod'], /needs --key/],
    [['verify', a.ref, '--key', join(keys, 'cosign.key')], /expected PUBLIC KEY/],
    [['verify', 'oci://Bad/Ref', '--key', join(keys, 'cosign.pub')], /invalid reference/],
    [['sign', a.ref], /--key is required/],
    [['sign', a.ref, '--signature-format', 'legacy', '--key', join(keys, 'cosign.pub')], /expected ENCRYPTED SIGSTORE PRIVATE KEY/],
    [['sign', a.ref, '--signature-format', 'legacy', '--key', join(keys, 'cosign.key'), '-a', 'novalue'], /expected key=value/],
    [['verify', a.ref, '--trusted-root', join(keys, 'cosign.pub'), '--certificate-identity', 'x', '--certificate-oidc-issuer', 'y'], /not a usable trusted_root.json/],
  ];
  await reg.resetRequests();
  for (const [args, re] of cases) {
    const r = await ocipack(args, { env: PW });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
  }
  assert.deepEqual(await reg.requests(), []);
});

test('push --sign-key signs what it pushed; a wrong password pushes nothing', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'x.yaml'), 'x: 1\n');
  const ref = `oci://${reg.host}/team/pushsigned:v1`;
  const bad = await ocipack(['push', ref, '-f', dir, '--source', 's', '--revision', 'r', '--sign-key', join(keys, 'cosign.key')], { env: { COSIGN_PASSWORD: 'nope' } });
  assert.equal(bad.code, 1);
  assert.equal(await getManifest(reg.url, 'team/pushsigned', 'v1'), undefined);
  const r = await ocipack(['push', ref, '-f', dir, '--source', 's', '--revision', 'r', '--sign-key', join(keys, 'cosign.key'), '--signature-format', 'legacy', '-o', 'json'], { env: PW });
  assert.equal(r.code, 0, r.stderr);
  const digest = (JSON.parse(r.stdout) as { digest: string }).digest;
  assert.equal((await headManifest(reg.url, 'team/pushsigned', sigTag(digest))).mediaType, 'application/vnd.oci.image.manifest.v1+json');
  const v = await verifyJson([ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(v.code, 0, v.stderr);
});

test('sign and verify in an OCI image-layout directory', async () => {
  const src = await tempDir();
  await writeFile(join(src, 'x.yaml'), 'x: 1\n');
  const layout = join(await tempDir(), 'layout');
  assert.equal((await ocipack(['push', `${layout}:v1`, '--oci-layout', '-f', src, '--source', 's', '--revision', 'r'])).code, 0);
  const s = await ocipack(['sign', `${layout}:v1`, '--oci-layout', '--key', join(keys, 'cosign.key')], { env: PW });
  assert.equal(s.code, 0, s.stderr);
  const v = await ocipack(['verify', `${layout}:v1`, '--oci-layout', '--key', join(keys, 'cosign.pub')]);
  assert.equal(v.code, 0, v.stderr);
  const w = await ocipack(['verify', `${layout}:v1`, '--oci-layout', '--key', join(keys, 'other.pub')]);
  assert.equal(w.code, 3, w.stderr);
});
