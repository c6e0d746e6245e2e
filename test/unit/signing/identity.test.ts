/** Keyless identity: Fulcio extensions read from certificates made here (openssl), and the identity rules (exact, anchored regexps, GitHub claims v1 and v2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateExtensions, derString, FULCIO_OID } from '../../../src/signing/certext.js';
import { compileRules, matchIdentity, type IdentityRules } from '../../../src/signing/identity.js';
import { certificateIdentity } from '../../../src/signing/keylesssign.js';
import { verifiedExtensions } from '../../../src/signing/keyless.js';
import { makeCa, makeLeaf } from '../../helpers/sigstore.js';

const SAN = 'https://github.com/org/app/.github/workflows/release.yaml@refs/heads/main';
const GH = 'https://token.actions.githubusercontent.com';

const leaves = (async () => {
  const ca = await makeCa();
  const v1 = await makeLeaf(ca, {
    san: `URI:${SAN}`, issuer: GH, legacyIssuer: true,
    extensions: {
      [FULCIO_OID.githubWorkflowTrigger]: { raw: 'push' },
      [FULCIO_OID.githubWorkflowSha]: { raw: 'a'.repeat(40) },
      [FULCIO_OID.githubWorkflowName]: { raw: 'release' },
      [FULCIO_OID.githubWorkflowRepository]: { raw: 'org/app' },
      [FULCIO_OID.githubWorkflowRef]: { raw: 'refs/heads/main' },
    },
  });
  const v2 = await makeLeaf(ca, {
    san: 'email:dev@example.com', issuer: 'https://accounts.example.com',
    extensions: {
      [FULCIO_OID.buildTrigger]: { utf8: 'workflow_dispatch' },
      [FULCIO_OID.sourceRepositoryDigest]: { utf8: 'b'.repeat(40) },
      [FULCIO_OID.sourceRepositoryUri]: { utf8: 'https://github.com/org/lib' },
      [FULCIO_OID.sourceRepositoryRef]: { utf8: 'refs/tags/v1.0.0' },
    },
  });
  return { ca, v1, v2 };
})();

test('certificateExtensions: the deprecated GitHub OIDs hold the raw string, the v2 ones a DER UTF8String that derString unwraps', async () => {
  const { v1, v2 } = await leaves;
  const e1 = certificateExtensions(v1.certDer);
  assert.equal(e1.get(FULCIO_OID.issuerV1)?.toString('utf8'), GH);
  assert.equal(e1.get(FULCIO_OID.githubWorkflowTrigger)?.toString('utf8'), 'push');
  assert.equal(e1.get(FULCIO_OID.githubWorkflowRepository)?.toString('utf8'), 'org/app');
  assert.equal(e1.has(FULCIO_OID.issuer), false);
  assert.ok(e1.has('2.5.29.17'), 'the SAN extension is listed by its OID too');
  const e2 = certificateExtensions(v2.certDer);
  assert.equal(derString(e2.get(FULCIO_OID.issuer)!), 'https://accounts.example.com');
  assert.equal(derString(e2.get(FULCIO_OID.sourceRepositoryUri)!), 'https://github.com/org/lib');
  assert.equal(e2.get(FULCIO_OID.buildTrigger)![0], 0x0c, 'a UTF8String as Fulcio writes it');
});

test('certificateExtensions: a CA certificate\'s own extensions; none without the [3] wrapper; malformed DER throws', async () => {
  const { ca } = await leaves;
  const exts = certificateExtensions(ca.certDer);
  assert.ok(exts.has('2.5.29.19'), 'basicConstraints of the CA');
  assert.throws(() => certificateExtensions(Buffer.from([0x30])), /truncated DER/);
  assert.throws(() => certificateExtensions(Buffer.from([0x30, 0x85, 1, 2, 3, 4, 5])), /bad DER length/);
  assert.throws(() => certificateExtensions(Buffer.from([0x30, 0x05, 0x30, 0x10])), /truncated DER/);
  assert.throws(() => certificateExtensions(Buffer.from([0x30, 0x00])), /no tbsCertificate/);
  // A tbsCertificate without extensions: version, serial… but no [3].
  assert.equal(certificateExtensions(Buffer.from([0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x01])).size, 0);
});

test('derString: a whole UTF8String is unwrapped; anything else (raw text, another tag, trailing bytes) is taken as it is', () => {
  const utf8 = (s: string): Buffer => Buffer.concat([Buffer.from([0x0c, Buffer.byteLength(s)]), Buffer.from(s)]);
  assert.equal(derString(utf8('ü-push')), 'ü-push');
  assert.equal(derString(Buffer.from('push')), 'push');
  assert.equal(derString(Buffer.from([0x13, 0x01, 0x41])), '\u0013\u0001A', 'a PrintableString is not unwrapped');
  assert.equal(derString(Buffer.concat([utf8('a'), Buffer.from('b')])), '\u000c\u0001ab');
  assert.equal(derString(Buffer.alloc(0)), '');
});

test('certificateIdentity: the first SAN without its URI:/email: prefix, the issuer from .1.8 or the legacy .1.1', async () => {
  const { v1, v2 } = await leaves;
  assert.deepEqual(certificateIdentity(v1.certDer), { identity: SAN, issuer: GH });
  assert.deepEqual(certificateIdentity(v2.certDer), { identity: 'dev@example.com', issuer: 'https://accounts.example.com' });
});

test('compileRules: the expressions are anchored; a bad one is a usage error naming its option', () => {
  const c = compileRules({ identityRegexp: 'https://github\\.com/org/.*', issuerRegexp: 'https://token\\.actions\\.githubusercontent\\.com' });
  assert.equal(c.identityRe?.test(SAN), true);
  assert.equal(c.identityRe?.test(`https://evil.example/?${SAN}`), false, 'anchored at the start');
  assert.equal(c.issuerRe?.test(`${GH}.evil`), false, 'anchored at the end');
  assert.equal(compileRules({ identityRegexp: 'a|b' }).identityRe?.test('xb'), false, 'an alternation is anchored as a whole');
  assert.throws(() => compileRules({ identityRegexp: '(' }), (e: Error & { code?: string; context?: { option?: string } }) =>
    e.code === 'USAGE' && /`certificateIdentityRegexp` "\(" is not a valid regular expression/.test(e.message) && e.context?.option === 'certificateIdentityRegexp');
  assert.throws(() => compileRules({ issuerRegexp: '[' }), /`certificateOidcIssuerRegexp` "\[" is not/);
  assert.deepEqual(compileRules({ identity: 'x' }), { rules: { identity: 'x' } });
});

test('matchIdentity: every rule must hold; the matched rules are listed, GitHub claims with the OID that matched (v1, or the v2 successor)', async () => {
  const { v1, v2 } = await leaves;
  const e1 = certificateExtensions(v1.certDer);
  const e2 = certificateExtensions(v2.certDer);
  const ok = (rules: IdentityRules, san: string, issuer: string, exts: Map<string, Buffer> | undefined): string[] => {
    const m = matchIdentity(compileRules(rules), san, issuer, exts);
    assert.ok(m.ok, JSON.stringify(m));
    return m.matched;
  };
  const no = (rules: IdentityRules, san: string, issuer: string, exts: Map<string, Buffer> | undefined): string => {
    const m = matchIdentity(compileRules(rules), san, issuer, exts);
    assert.ok(!m.ok, JSON.stringify(rules));
    return m.reason;
  };
  assert.deepEqual(ok({ identity: SAN, issuer: GH, github: { trigger: 'push', sha: 'a'.repeat(40), name: 'release', repository: 'org/app', ref: 'refs/heads/main' } }, SAN, GH, e1), [
    `certificateIdentity ${SAN}`, `certificateOidcIssuer ${GH}`,
    `certificateGithubWorkflow.trigger push (${FULCIO_OID.githubWorkflowTrigger})`,
    `certificateGithubWorkflow.sha ${'a'.repeat(40)} (${FULCIO_OID.githubWorkflowSha})`,
    `certificateGithubWorkflow.name release (${FULCIO_OID.githubWorkflowName})`,
    `certificateGithubWorkflow.repository org/app (${FULCIO_OID.githubWorkflowRepository})`,
    `certificateGithubWorkflow.ref refs/heads/main (${FULCIO_OID.githubWorkflowRef})`,
  ]);
  assert.deepEqual(ok({ identityRegexp: '.*@example\\.com', issuerRegexp: 'https://accounts\\..*', github: { trigger: 'workflow_dispatch', sha: 'b'.repeat(40), repository: 'org/lib', ref: 'refs/tags/v1.0.0' } }, 'dev@example.com', 'https://accounts.example.com', e2), [
    'certificateIdentityRegexp .*@example\\.com', 'certificateOidcIssuerRegexp https://accounts\\..*',
    `certificateGithubWorkflow.trigger workflow_dispatch (${FULCIO_OID.buildTrigger})`,
    `certificateGithubWorkflow.sha ${'b'.repeat(40)} (${FULCIO_OID.sourceRepositoryDigest})`,
    `certificateGithubWorkflow.repository org/lib (${FULCIO_OID.sourceRepositoryUri})`,
    `certificateGithubWorkflow.ref refs/tags/v1.0.0 (${FULCIO_OID.sourceRepositoryRef})`,
  ]);
  assert.deepEqual(ok({ github: { repository: 'https://github.com/org/lib', name: '' } }, 'x', 'y', e2), [`certificateGithubWorkflow.repository https://github.com/org/lib (${FULCIO_OID.sourceRepositoryUri})`], 'an empty claim is no rule');
  assert.deepEqual(ok({}, 'anyone', 'anywhere', undefined), []);

  assert.equal(no({ identity: SAN }, 'other', GH, e1), `certificate identity "other" is not "${SAN}"`);
  assert.equal(no({ identityRegexp: 'https://github\\.com/org/.*' }, `https://evil.example/?${SAN}`, GH, e1), `certificate identity "https://evil.example/?${SAN}" does not match ^(?:https://github\\.com/org/.*)$`);
  assert.equal(no({ identity: SAN, issuer: GH }, SAN, 'https://evil', e1), `certificate OIDC issuer "https://evil" is not "${GH}"`);
  assert.match(no({ issuerRegexp: 'https://token\\..*' }, SAN, 'http://token.x', e1), /certificate OIDC issuer "http:\/\/token\.x" does not match/);
  assert.equal(no({ github: { trigger: 'push' } }, SAN, GH, undefined), 'the verified certificate\'s extensions are unknown');
  assert.equal(no({ github: { trigger: 'pull_request' } }, SAN, GH, e1), `certificate has no GitHub workflow trigger "pull_request" (${FULCIO_OID.githubWorkflowTrigger} or ${FULCIO_OID.buildTrigger})`);
  assert.equal(no({ github: { name: 'release' } }, 'x', 'y', e2), `certificate has no GitHub workflow name "release" (${FULCIO_OID.githubWorkflowName})`, 'the name has no v2 successor');
  assert.match(no({ github: { repository: 'https://github.com/org/app' } }, SAN, GH, e1), /no GitHub workflow repository/, 'the v1 repository is owner/name only');
  assert.match(no({ github: { repository: 'org/li' } }, 'x', 'y', e2), /no GitHub workflow repository "org\/li"/);
});

test('verifiedExtensions: OIDs as dotted strings, entries without an OID left out; undefined stays undefined', () => {
  assert.equal(verifiedExtensions(undefined), undefined);
  const m = verifiedExtensions([{ oid: { id: [1, 3, 6, 1, 4, 1, 57264, 1, 2] }, value: Buffer.from('push') }, { oid: undefined, value: new Uint8Array([1]) }]);
  assert.deepEqual([...m!.entries()].map(([k, v]) => [k, v.toString()]), [[FULCIO_OID.githubWorkflowTrigger, 'push']]);
});
