/** The CLI's pure pieces: diff lines, the trust flags and verdict report, the two-sided flags, and the flag value parsers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { diffLines, fileLine, objectLine, oneLine } from '../../../src/cli/diff-lines.js';
import { reportVerdict, signaturesAsked, trustFields } from '../../../src/cli/trust.js';
import { sideFields } from '../../../src/cli/sides.js';
import { collect, collectList, formatOf, parseCount, parseCredsFor, parseDuration, parseProviderFlag, parseSize, readsStdin, treePath } from '../../../src/cli/common.js';
import { Ui } from '../../../src/cli/ui.js';
import type { ObjectChange } from '../../../src/artifact/diff/kubernetes.js';
import type { SignatureVerdict } from '../../../src/signing/policy.js';

test('oneLine: control characters in a path become \\xNN, so a name cannot fake another diff line', () => {
  assert.equal(oneLine('a\nchanged b'), 'a\\x0achanged b');
  assert.equal(oneLine('tab\there\u007f'), 'tab\\x09here\\x7f');
  assert.equal(oneLine('plain/path ü.yaml'), 'plain/path ü.yaml');
});

test('fileLine: status and path; with unified the patch, or diff(1)\'s words for binary, too large, over budget, mode and type', () => {
  assert.equal(fileLine({ status: 'changed', path: 'a.yaml', patch: '--- a/a.yaml\n+++ b/a.yaml\n' }, false), 'changed a.yaml');
  assert.equal(fileLine({ status: 'changed', path: 'a.yaml', patch: '--- a/a.yaml\n+++ b/a.yaml\n\n' }, true), '--- a/a.yaml\n+++ b/a.yaml');
  const table: Array<[Parameters<typeof fileLine>[0], string]> = [
    [{ status: 'added', path: 'x.bin', noPatch: 'binary' }, 'Binary files /dev/null and b/x.bin differ'],
    [{ status: 'removed', path: 'x.bin', noPatch: 'binary' }, 'Binary files a/x.bin and /dev/null differ'],
    [{ status: 'changed', path: 'x\n.bin', noPatch: 'binary' }, 'Binary files a/x\\x0a.bin and b/x\\x0a.bin differ'],
    [{ status: 'changed', path: 'big.txt', noPatch: 'too large' }, 'changed big.txt (larger than 1 MiB: not shown)'],
    [{ status: 'added', path: 'late.txt', noPatch: 'over budget' }, 'added late.txt (past the memory budget of this diff: not shown)'],
    [{ status: 'changed', path: 'run.sh', reason: 'mode' }, 'changed run.sh (executable bit)'],
    [{ status: 'changed', path: 'dir', reason: 'type' }, 'changed dir (file or directory)'],
    [{ status: 'changed', path: 'c.txt', reason: 'content' }, 'changed c.txt'],
  ];
  for (const [change, want] of table) assert.equal(fileLine(change, true), want, JSON.stringify(change));
});

const obj = (o: Partial<ObjectChange> & Pick<ObjectChange, 'status' | 'id'>): ObjectChange => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'n', ...o });

test('objectLine: the id, where it moved, the changed paths with a count of the rest; the patch below with unified', () => {
  assert.equal(objectLine(obj({ status: 'added', id: 'ConfigMap/ns/n', path: 'a.yaml' }), false), 'added ConfigMap/ns/n');
  assert.equal(objectLine(obj({ status: 'moved', id: 'ConfigMap/ns/n', from: 'a.yaml', path: 'b\n.yaml' }), false), 'moved ConfigMap/ns/n (a.yaml → b\\x0a.yaml)');
  const changed = obj({ status: 'changed', id: 'Deployment/ns/web', path: 'd.yaml', paths: ['spec.replicas', 'metadata.labels["app"]'], morePaths: 3, patch: '@@ -1 +1 @@\n-a\n+b\n' });
  assert.equal(objectLine(changed, false), 'changed Deployment/ns/web: spec.replicas, metadata.labels["app"] and 3 more');
  assert.equal(objectLine(changed, true), 'changed Deployment/ns/web: spec.replicas, metadata.labels["app"] and 3 more\n@@ -1 +1 @@\n-a\n+b');
  assert.equal(objectLine(obj({ status: 'changed', id: 'X/y', paths: [] }), true), 'changed X/y');
});

test('diffLines: without objects one line per file; with objects, objects first and only the files no object accounts for', () => {
  const changes = [
    { status: 'changed' as const, path: 'app.yaml' },
    { status: 'added' as const, path: 'b.yaml' },
    { status: 'removed' as const, path: 'a.yaml' },
    { status: 'added' as const, path: 'notes.txt' },
  ];
  assert.deepEqual(diffLines(changes, undefined, false), ['changed app.yaml', 'added b.yaml', 'removed a.yaml', 'added notes.txt']);
  const objects = [
    obj({ status: 'changed', id: 'ConfigMap/ns/app', path: 'app.yaml', paths: ['data.a'] }),
    obj({ status: 'moved', id: 'ConfigMap/ns/m', from: 'a.yaml', path: 'b.yaml' }),
  ];
  assert.deepEqual(diffLines(changes, objects, false), ['changed ConfigMap/ns/app: data.a', 'moved ConfigMap/ns/m (a.yaml → b.yaml)', 'added notes.txt']);
  assert.deepEqual(diffLines(changes, [], false), diffLines(changes, undefined, false));
});

test('trustFields: only the flags given, the GitHub workflow claims gathered into one object; signaturesAsked: a key or an identity', () => {
  assert.deepEqual(trustFields({}), {});
  assert.deepEqual(trustFields({
    key: ['a.pub', 'b.pub'], certificateIdentity: 'id', certificateOidcIssuer: 'iss', certificateIdentityRegexp: 'i.*', certificateOidcIssuerRegexp: 'https://.*',
    certificateGithubWorkflowTrigger: 'push', certificateGithubWorkflowRepository: 'org/app', trustedRoot: 'root.json', annotations: ['k=v'], attestationType: 'slsaprovenance1',
  }), {
    key: ['a.pub', 'b.pub'], certificateIdentity: 'id', certificateOidcIssuer: 'iss', certificateIdentityRegexp: 'i.*', certificateOidcIssuerRegexp: 'https://.*',
    certificateGithubWorkflow: { trigger: 'push', repository: 'org/app' }, trustedRoot: 'root.json', annotations: ['k=v'], attestationType: 'slsaprovenance1',
  });
  assert.deepEqual(trustFields({ certificateGithubWorkflowSha: 'abc', certificateGithubWorkflowName: 'rel', certificateGithubWorkflowRef: 'refs/tags/v1' }), {
    certificateGithubWorkflow: { sha: 'abc', name: 'rel', ref: 'refs/tags/v1' },
  });
  assert.equal(signaturesAsked({}), false);
  assert.equal(signaturesAsked({ key: [] }), false);
  assert.equal(signaturesAsked({ certificateOidcIssuer: 'iss' }), false, 'an issuer alone asks for nothing');
  assert.equal(signaturesAsked({ key: ['a.pub'] }), true);
  assert.equal(signaturesAsked({ certificateIdentity: 'x' }), true);
  assert.equal(signaturesAsked({ certificateIdentityRegexp: '.*' }), true);
});

function captured(): { ui: Ui; err: () => string } {
  const e = new PassThrough();
  const chunks: Buffer[] = [];
  e.on('data', (c: Buffer) => chunks.push(c));
  return { ui: new Ui({ stdout: new PassThrough(), stderr: e, progress: false }), err: () => Buffer.concat(chunks).toString() };
}

const D = `sha256:${'d'.repeat(64)}`;
const okIntegrity = { ok: true, manifests: 2, blobs: 3, bytes: 2048, problems: [], skipped: [] };
const sig = (s: Partial<SignatureVerdict>): SignatureVerdict => ({ format: 'sigstore-bundle', source: 'referrers', layer: D, verified: false, ...s });

test('reportVerdict: integrity, each signature by key or identity (several matched rules named by flag), refusals, and what is missing', () => {
  const a = captured();
  reportVerdict(a.ui, { digest: D, integrity: okIntegrity, signatures: [
    sig({ verified: true, key: 'cosign.pub' }),
    sig({ verified: true, identity: 'https://github.com/org/app/.github/workflows/r.yaml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com', matched: ['certificateIdentity x', 'certificateOidcIssuer y'] }),
    sig({ verified: false, format: 'cosign', source: 'tag', reason: 'no `certificateIdentity` matched' }),
    sig({ verified: false }),
  ] }, true);
  assert.deepEqual(a.err().trimEnd().split('\n'), [
    '✔ integrity: 2 manifest(s) and 3 blob(s) (2.0 KiB) match their digests',
    '✔ signature verified with key cosign.pub [sigstore-bundle, referrers]',
    '✔ signature verified with identity https://github.com/org/app/.github/workflows/r.yaml@refs/heads/main (issuer https://token.actions.githubusercontent.com) [sigstore-bundle, referrers]; matched --certificate-identity x, --certificate-oidc-issuer y',
    '⚠ signature not accepted [cosign, tag]: no --certificate-identity matched',
    '⚠ signature not accepted [sigstore-bundle, referrers]: unknown reason',
  ]);

  const none = captured();
  reportVerdict(none.ui, { digest: D, integrity: { ...okIntegrity, ok: false, problems: ['blob sha256:e… is missing'] }, signatures: [] }, true);
  assert.deepEqual(none.err().trimEnd().split('\n'), ['✗ integrity: blob sha256:e… is missing', `✗ no signatures found for ${D}`]);

  const refused = captured();
  reportVerdict(refused.ui, { digest: D, integrity: okIntegrity, signatures: [sig({ reason: 'bad', identity: 'x' })] }, true);
  assert.match(refused.err(), new RegExp(`✗ no signature for ${D} verified\\n$`));

  const notAsked = captured();
  reportVerdict(notAsked.ui, { digest: D, integrity: okIntegrity, signatures: [] }, false);
  assert.equal(notAsked.err().trimEnd().split('\n').length, 1, 'integrity only: nothing missing when no signature was asked for');
});

test('reportVerdict with attestations: each verified predicate type and refusal; none verified or none found is an error', () => {
  const a = captured();
  reportVerdict(a.ui, { digest: D, integrity: okIntegrity, signatures: [], attestations: [
    { ...sig({ verified: true, key: 'k.pub' }), predicateType: 'https://slsa.dev/provenance/v1' },
    { ...sig({ verified: false, source: 'tag', reason: 'wrong type' }) },
  ] }, true);
  assert.match(a.err(), /✔ attestation https:\/\/slsa\.dev\/provenance\/v1 verified with key k\.pub \[referrers\]\n⚠ attestation not accepted \[tag\]: wrong type\n$/);
  const empty = captured();
  reportVerdict(empty.ui, { digest: D, integrity: okIntegrity, signatures: [], attestations: [] }, true);
  assert.match(empty.err(), new RegExp(`✗ no attestations found for ${D}\\n$`));
  const refused = captured();
  reportVerdict(refused.ui, { digest: D, integrity: okIntegrity, signatures: [], attestations: [sig({ identity: 'i' })] }, false);
  assert.match(refused.err(), new RegExp(`⚠ attestation not accepted \\[referrers\\]: unknown reason\\n✗ no attestation verified for ${D}\\n$`));
});

test('sideFields: only the two-sided flags that were given', () => {
  assert.deepEqual(sideFields({}), {});
  assert.deepEqual(sideFields({ fromOciLayout: false, toOciLayout: false }), {});
  assert.deepEqual(sideFields({ fromOciLayout: true, toOciLayout: true, fromCreds: 'a:b', toCreds: 'tok', concurrency: 0 }), { fromOciLayout: true, toOciLayout: true, fromCreds: 'a:b', toCreds: 'tok', concurrency: 0 });
});

test('parseDuration: Go units and days, summed in order; anything else is a usage error', () => {
  const table: Array<[string, number]> = [['500ms', 500], ['90s', 90_000], ['5m', 300_000], ['1h30m', 5_400_000], ['30d', 30 * 86_400_000], ['1d12h', 36 * 3_600_000], ['1.5h', 5_400_000], ['2m500ms', 120_500]];
  for (const [v, ms] of table) assert.equal(parseDuration(v), ms, v);
  for (const bad of ['', '5', 'm', '0s', '5 m', '1w', '5m ', ' 5m', '1h-5m', 'd30', '5mx']) {
    assert.throws(() => parseDuration(bad), (e: Error & { code?: string }) => e.code === 'USAGE' && e.message.includes(`invalid duration "${bad}"`), bad);
  }
});

test('parseSize and parseCount: units any case, bare bytes; a bad value names the flag', () => {
  const size = parseSize('--max-layer-size');
  const table: Array<[string, number]> = [['4096', 4096], ['10b', 10], ['2k', 2048], ['2KB', 2048], ['3KiB', 3072], ['512MiB', 512 * 1024 ** 2], ['1m', 1024 ** 2], ['2GiB', 2 * 1024 ** 3], ['1g', 1024 ** 3], [' 7 MB ', 7 * 1024 ** 2]];
  for (const [v, n] of table) assert.equal(size(v), n, v);
  for (const bad of ['', '1.5GiB', '-1', '1TiB', 'GiB', '1 2']) assert.throws(() => size(bad), /--max-layer-size must be a size like 512MiB or 2GiB/, bad);
  const count = parseCount('--keep-semver');
  assert.equal(count('0'), 0);
  assert.equal(count('12'), 12);
  for (const bad of ['-1', '1.0', '', ' 3', 'ten']) assert.throws(() => count(bad), /--keep-semver must be a non-negative integer/, bad);
});

test('collectors, -f values, formats, --provider and --creds-for', () => {
  assert.deepEqual(collectList(' b , ,c', collectList('a')), ['a', 'b', 'c']);
  assert.deepEqual(collect('k=v,w', collect('x')), ['x', 'k=v,w']);
  assert.equal(treePath(undefined), '');
  assert.equal(treePath([]), '');
  assert.equal(treePath(['./a']), './a');
  assert.deepEqual(treePath(['./a', './b=x']), ['./a', './b=x']);
  assert.equal(readsStdin(['./a', '-']), true);
  assert.equal(readsStdin(['-=x.yaml']), true);
  assert.equal(readsStdin(['./-a', '--x']), false);
  assert.equal(readsStdin(undefined), false);
  assert.equal(formatOf({}, true), 'text');
  assert.equal(formatOf({ output: 'json' }, true), 'json');
  assert.equal(formatOf({ output: './dir' }, false), 'text', 'pull\'s -o is a directory');
  assert.equal(formatOf({ format: 'yaml', output: 'json' }, true), 'yaml');
  assert.throws(() => formatOf({ output: 'xml' }, true), /invalid output format "xml": use json or yaml/);
  assert.equal(parseProviderFlag(' AWS '), 'aws');
  assert.throws(() => parseProviderFlag('github'), /invalid --provider "github"/);
  assert.deepEqual(parseCredsFor(['ghcr.io=u:p', 'r.io=tok', 'ghcr.io=u:p']), { 'ghcr.io': 'u:p', 'r.io': 'tok' });
  for (const bad of ['ghcr.io', '=u:p', 'ghcr.io=']) assert.throws(() => parseCredsFor([bad]), /--creds-for expects host=user:pass/, bad);
  assert.throws(() => parseCredsFor(['ghcr.io=secret1', 'ghcr.io=secret2']), (e: Error) => /names ghcr\.io twice/.test(e.message) && !e.message.includes('secret'));
});
