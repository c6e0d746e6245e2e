/**
 * Issue 18: signing as cosign 3 does. What ocipack signs (bundle v0.3 referrer) passes an independent
 * check written from the specs (helpers/bundlecheck.ts, node:crypto only) on the real distribution
 * registry (no referrers API: tag schema) and in a layout; a cosign-3-style bundle made by hand from the
 * spec verifies with ocipack; both layouts coexist; the tag-schema index keeps other entries and
 * survives a 412; --dry-run writes nothing; push --chart --sign-key; copy --include-referrers to a layout
 * verifies offline; keyless regexp (anchored) and GitHub workflow rules against a test CA.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from '../helpers/cli.js';
import { artifactPusher } from '../helpers/artifacts.js';
import { startRegistry } from '../helpers/registry.js';
import { startFaultProxy } from '../helpers/faultproxy.js';
import { addToReferrersIndex, getManifest, pushReferrer, type Desc } from '../helpers/rawoci.js';
import { independentlyVerify, layoutReader, registryReader } from '../helpers/bundlecheck.js';
import { dsseBundle, makeCa, makeLeaf, pae, statementFor, TestLog, trustedRoot } from '../helpers/sigstore.js';

const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const PW = { COSIGN_PASSWORD: 'pw' };
let reg: Awaited<ReturnType<typeof startRegistry>>;
let keys: string;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  keys = await tempDir('ocipack-keys-');
  assert.equal((await ocipack(['generate-key-pair'], { cwd: keys, env: PW })).code, 0);
  await mkdir(join(keys, 'other'));
  assert.equal((await ocipack(['generate-key-pair'], { cwd: join(keys, 'other'), env: PW })).code, 0);
});
after(async () => {
  await reg?.stop();
});

const pushArtifact = artifactPusher(() => reg, 'cosign3/app');
const verifyJson = async (args: string[]): Promise<{ code: number; json: any; stderr: string }> => {
  const r = await ocipack(['verify', ...args, '-o', 'json']);
  return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
};
const pub = (): Promise<string> => readFile(join(keys, 'cosign.pub'), 'utf8');

test('sign writes a bundle referrer an independent verifier accepts; a second key and a legacy signature keep it; re-signing adds nothing', async () => {
  const a = await pushArtifact();
  const s = await ocipack(['sign', a.ref, '--key', join(keys, 'cosign.key'), '-a', 'env=prod', '-o', 'json'], { env: PW });
  assert.equal(s.code, 0, s.stderr);
  const out = JSON.parse(s.stdout);
  assert.equal(out.signatureFormat, 'bundle');
  assert.equal(out.attachedVia, 'tag-schema', 'distribution has no referrers API');
  const found = await independentlyVerify(registryReader(reg.url, a.repo), a.desc.digest, await pub());
  assert.deepEqual(found.map((f) => f.referrer), [out.signatureDigest]);
  assert.deepEqual((found[0]!.statement.subject as { annotations: unknown }[])[0]!.annotations, { env: 'prod' });

  // another key, then a legacy signature: the index keeps the first entry, the .sig tag appears beside it
  assert.equal((await ocipack(['sign', a.ref, '--key', join(keys, 'other', 'cosign.key')], { env: PW })).code, 0);
  assert.equal((await ocipack(['sign', a.ref, '--key', join(keys, 'cosign.key'), '--signature-format', 'legacy', '-a', 'env=prod'], { env: PW })).code, 0);
  const index = JSON.parse((await getManifest(reg.url, a.repo, a.desc.digest.replace(':', '-')))!.toString());
  assert.equal(index.manifests.length, 2);
  assert.ok(index.manifests.every((m: Desc) => m.artifactType === BUNDLE));
  assert.ok(await getManifest(reg.url, a.repo, `${a.desc.digest.replace(':', '-')}.sig`));
  await independentlyVerify(registryReader(reg.url, a.repo), a.desc.digest, await readFile(join(keys, 'other', 'cosign.pub'), 'utf8'));

  const again = JSON.parse((await ocipack(['sign', a.ref, '--key', join(keys, 'cosign.key'), '-a', 'env=prod', '-o', 'json'], { env: PW })).stdout);
  assert.equal(again.alreadySigned, true);
  assert.equal(again.signatureDigest, out.signatureDigest);

  // repeated --key means any of them; -o json says which rule matched each signature
  const v = await verifyJson([a.ref, '--key', join(keys, 'other', 'cosign.pub'), '--key', join(keys, 'cosign.pub'), '-a', 'env=prod']);
  assert.equal(v.code, 0, v.stderr);
  const ok = v.json.signatures.filter((x: { verified: boolean }) => x.verified);
  assert.equal(ok.length, 2, 'the bundle with env=prod and the legacy one with env=prod');
  assert.ok(ok.every((x: { matched: string[] }) => x.matched[0] === `key ${join(keys, 'cosign.pub')}`));
  assert.deepEqual(ok.map((x: { format: string }) => x.format).sort(), ['cosign', 'sigstore-bundle']);
});

test('a cosign-3-style bundle made by hand from the spec (P-384, SHA-384) verifies; one whose statement names another digest is exit 3', async () => {
  const a = await pushArtifact();
  const b = await pushArtifact();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const pemFile = join(await tempDir(), 'p384.pub');
  await writeFile(pemFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const attach = async (subject: Desc, repo: string, statement: Buffer): Promise<void> => {
    const sig = nodeSign('sha384', pae('application/vnd.in-toto+json', statement), privateKey);
    const bundle = Buffer.from(JSON.stringify({
      mediaType: BUNDLE,
      verificationMaterial: { publicKey: { hint: createHashB64(publicKey) } },
      dsseEnvelope: { payload: statement.toString('base64'), payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: sig.toString('base64') }] },
    }));
    await pushReferrer(reg.url, repo, subject, {
      artifactType: BUNDLE, config: { mediaType: 'application/vnd.oci.empty.v1+json', bytes: Buffer.from('{}') },
      layers: [{ mediaType: BUNDLE, bytes: bundle }],
      annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1', 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    });
  };
  await attach(a.desc, a.repo, statementFor(a.desc.digest));
  const v = await verifyJson([a.ref, '--key', pemFile]);
  assert.equal(v.code, 0, v.stderr);
  await attach(b.desc, b.repo, statementFor(a.desc.digest));
  const w = await verifyJson([b.ref, '--key', pemFile]);
  assert.equal(w.code, 3);
  assert.match(w.json.signatures[0].reason, new RegExp(`statement subject does not name ${b.desc.digest}`));
});

function createHashB64(k: import('node:crypto').KeyObject): string {
  return createHash('sha256').update(k.export({ type: 'spki', format: 'der' })).digest('base64');
}

test('--dry-run writes nothing; the index update retries after a 412 with If-Match; a fallback index listing the subject itself is ignored with a warning', async () => {
  const a = await pushArtifact();
  const tag = a.desc.digest.replace(':', '-');
  const dry = await ocipack(['sign', a.ref, '--key', join(keys, 'cosign.key'), '--dry-run', '-o', 'json'], { env: PW });
  assert.equal(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout);
  assert.equal(plan.dryRun, true);
  assert.equal(plan.wouldWrite.manifest.subject.digest, a.desc.digest);
  assert.equal(plan.wouldWrite.bundle.mediaType, BUNDLE);
  assert.equal(await getManifest(reg.url, a.repo, tag), undefined, 'no referrers index written');
  const tags = await (await fetch(`${reg.url}/v2/${a.repo}/tags/list`)).json() as { tags: string[] };
  assert.deepEqual(tags.tags, ['v1']);

  // an index that already exists (someone else's entry) plus the subject itself, as GitLab answers
  await addToReferrersIndex(reg.url, a.repo, a.desc.digest, a.desc);
  const proxy = await startFaultProxy({ upstream: reg.host });
  try {
    proxy.script([{ method: 'PUT', path: new RegExp(`/manifests/${tag}$`), times: 1, action: { status: 412 } }]);
    const ref = `oci://${proxy.host}/${a.repo}:v1`;
    const s = await ocipack(['sign', ref, '--key', join(keys, 'cosign.key')], { env: PW });
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stderr, /list .* itself; that entry is ignored/);
    const puts = proxy.log.filter((r) => r.method === 'PUT' && r.path.endsWith(`/manifests/${tag}`));
    assert.equal(puts.length, 2, 'one refused, one written');
    assert.match(String(puts[0]!.headers['if-match']), /^"sha256:[0-9a-f]{64}"$/, 'If-Match carries the ETag distribution sent');
    // the index was re-read after the 412 and its ETag had not moved (the 412 came from the proxy, not
    // from a writer): a registry that refuses its own ETag gets a plain write rather than endless retries
    assert.equal(puts[1]!.headers['if-match'], undefined);
  } finally {
    await proxy.close();
  }
  const index = JSON.parse((await getManifest(reg.url, a.repo, tag))!.toString());
  assert.deepEqual(index.manifests.map((m: Desc) => m.artifactType), [BUNDLE]);
  await independentlyVerify(registryReader(reg.url, a.repo), a.desc.digest, await pub());
  // verify ignores a subject-listing entry with a warning too
  await addToReferrersIndex(reg.url, a.repo, a.desc.digest, a.desc);
  const v = await verifyJson([a.ref, '--key', join(keys, 'cosign.pub')]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stderr, /list .* itself; that entry is ignored/);
});

test('layout: push --sign-key and push --chart --sign-key write bundles; copy --include-referrers carries them; verify --oci-layout offline', async () => {
  const src = await tempDir();
  await writeFile(join(src, 'x.yaml'), 'x: 1\n');
  const layout = join(await tempDir(), 'layout');
  const p = await ocipack(['push', `${layout}:v1`, '--oci-layout', '-f', src, '--source', 's', '--revision', 'r', '--sign-key', join(keys, 'cosign.key'), '-o', 'json'], { env: PW });
  assert.equal(p.code, 0, p.stderr);
  const digest = JSON.parse(p.stdout).digest as string;
  await independentlyVerify(layoutReader(layout, (f) => readFile(f)), digest, await pub());
  assert.equal((await ocipack(['verify', `${layout}:v1`, '--oci-layout', '--key', join(keys, 'cosign.pub')])).code, 0);

  const chart = join(await tempDir(), 'demo');
  await mkdir(join(chart, 'templates'), { recursive: true });
  await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
  await writeFile(join(chart, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n');
  const c = await ocipack(['push', `oci://${reg.host}/charts`, '--chart', chart, '--sign-key', join(keys, 'cosign.key'), '-o', 'json'], { env: PW });
  assert.equal(c.code, 0, c.stderr);
  const chartDigest = JSON.parse(c.stdout).digest as string;
  await independentlyVerify(registryReader(reg.url, 'charts/demo'), chartDigest, await pub());

  // registry → layout with referrers, then verify the layout with no registry involved
  const a = await pushArtifact();
  assert.equal((await ocipack(['sign', a.ref, '--key', join(keys, 'cosign.key')], { env: PW })).code, 0);
  const air = join(await tempDir(), 'air');
  const cp = await ocipack(['copy', a.ref, `${air}:v1`, '--to-oci-layout', '--include-referrers']);
  assert.equal(cp.code, 0, cp.stderr);
  await independentlyVerify(layoutReader(air, (f) => readFile(f)), a.desc.digest, await pub());
  const v = await verifyJson([`${air}:v1`, '--oci-layout', '--key', join(keys, 'cosign.pub')]);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.json.signatures[0].format, 'sigstore-bundle');
  const w = await verifyJson([`${air}:v1`, '--oci-layout', '--key', join(keys, 'other', 'cosign.pub')]);
  assert.equal(w.code, 3);
});

test('keyless: anchored identity/issuer regexps and GitHub workflow claims (deprecated and v2 OIDs) against a test CA', async () => {
  const ca = await makeCa();
  const log = new TestLog();
  const root = join(await tempDir(), 'trusted_root.json');
  await writeFile(root, trustedRoot([ca], [log]));
  const SAN = 'https://github.com/org/app/.github/workflows/release.yaml@refs/tags/v1.0.0';
  const ISSUER = 'https://token.actions.githubusercontent.com';
  const leaf = await makeLeaf(ca, {
    san: `URI:${SAN}`, issuer: ISSUER,
    extensions: {
      '1.3.6.1.4.1.57264.1.2': { raw: 'push' },
      '1.3.6.1.4.1.57264.1.3': { raw: '0123456789abcdef0123456789abcdef01234567' },
      '1.3.6.1.4.1.57264.1.4': { raw: 'Release' },
      '1.3.6.1.4.1.57264.1.5': { raw: 'org/app' },
      // only the v2 form of the ref, so --certificate-github-workflow-ref must read OID .1.14
      '1.3.6.1.4.1.57264.1.14': { utf8: 'refs/tags/v1.0.0' },
    },
  });
  const a = await pushArtifact();
  const bundle = dsseBundle({ payload: statementFor(a.desc.digest), key: leaf.key, leaf, log });
  await pushReferrer(reg.url, a.repo, a.desc, {
    artifactType: BUNDLE, config: { mediaType: 'application/vnd.oci.empty.v1+json', bytes: Buffer.from('{}') }, layers: [{ mediaType: BUNDLE, bytes: bundle }],
  });
  const base = [a.ref, '--trusted-root', root];
  const good = await verifyJson([...base, '--certificate-identity-regexp', 'https://github\\.com/org/app/\\.github/workflows/.*@refs/tags/v.*',
    '--certificate-oidc-issuer-regexp', 'https://token\\.actions\\.githubusercontent\\.com',
    '--certificate-github-workflow-trigger', 'push', '--certificate-github-workflow-name', 'Release',
    '--certificate-github-workflow-repository', 'org/app', '--certificate-github-workflow-ref', 'refs/tags/v1.0.0',
    '--certificate-github-workflow-sha', '0123456789abcdef0123456789abcdef01234567']);
  assert.equal(good.code, 0, good.stderr);
  const matched: string[] = good.json.signatures[0].matched;
  assert.ok(matched.includes('certificateGithubWorkflow.trigger push (1.3.6.1.4.1.57264.1.2)'), matched.join('\n'));
  assert.ok(matched.includes('certificateGithubWorkflow.ref refs/tags/v1.0.0 (1.3.6.1.4.1.57264.1.14)'), matched.join('\n'));
  assert.ok(matched.some((m) => m.startsWith('certificateIdentityRegexp ')));
  assert.match(good.stderr, /matched .*--certificate-github-workflow-trigger push/, 'the text report names the rules by their flags');

  const refused: [string[], RegExp][] = [
    // anchored: a prefix of the SAN is not a match (cosign's unanchored regexp would accept it)
    [['--certificate-identity-regexp', 'https://github\\.com/org/app', '--certificate-oidc-issuer', ISSUER], /does not match/],
    [['--certificate-identity-regexp', '.*', '--certificate-oidc-issuer-regexp', 'https://token'], /OIDC issuer .* does not match/],
    [['--certificate-identity', SAN, '--certificate-oidc-issuer', ISSUER, '--certificate-github-workflow-trigger', 'workflow_dispatch'], /no GitHub workflow trigger "workflow_dispatch"/],
    [['--certificate-identity', SAN, '--certificate-oidc-issuer', ISSUER, '--certificate-github-workflow-ref', 'refs/heads/main'], /no GitHub workflow ref/],
    [['--certificate-identity', SAN, '--certificate-oidc-issuer', ISSUER, '--certificate-github-workflow-repository', 'org/other'], /no GitHub workflow repository/],
  ];
  for (const [flags, reason] of refused) {
    const r = await verifyJson([...base, ...flags]);
    assert.equal(r.code, 3, flags.join(' '));
    assert.match(r.json.signatures[0].reason, reason, flags.join(' '));
  }
  // the public key of the leaf is not a trusted key: --key alone does not accept a keyless bundle
  assert.equal(createPublicKey(leaf.key).asymmetricKeyType, 'ec');
});
