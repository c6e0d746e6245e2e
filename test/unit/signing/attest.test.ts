/** Attestation inputs: cosign's short predicate type names, and the in-toto statement over a manifest digest. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attestationStatement, predicateTypeFor } from '../../../src/signing/attest.js';
import { checkStatement } from '../../../src/signing/payload.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

test('predicate types: cosign\'s short names, any URI, nothing else', () => {
  const table: [string, string][] = [
    ['slsaprovenance1', 'https://slsa.dev/provenance/v1'],
    ['slsaprovenance', 'https://slsa.dev/provenance/v0.2'],
    ['spdxjson', 'https://spdx.dev/Document'],
    ['cyclonedx', 'https://cyclonedx.org/bom'],
    ['vuln', 'https://cosign.sigstore.dev/attestation/vuln/v1'],
    ['https://example.com/predicate/v1', 'https://example.com/predicate/v1'],
  ];
  for (const [name, uri] of table) assert.equal(predicateTypeFor(name), uri, name);
  for (const bad of ['', 'spdx', 'slsa provenance']) assert.throws(() => predicateTypeFor(bad), /must be slsaprovenance1/, bad);
});

test('the statement names the manifest digest and carries the predicate; checkStatement accepts it for that type only', () => {
  const st = attestationStatement('ghcr.io/org/app', DIGEST, 'https://spdx.dev/Document', { a: 1 });
  assert.deepEqual(JSON.parse(st.toString()), {
    _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'ghcr.io/org/app', digest: { sha256: 'a'.repeat(64) } }],
    predicateType: 'https://spdx.dev/Document', predicate: { a: 1 },
  });
  assert.equal(checkStatement(st, DIGEST, {}, 'https://spdx.dev/Document').ok, true);
  assert.match((checkStatement(st, DIGEST) as { reason: string }).reason, /not a cosign signature/);
  assert.match((checkStatement(st, `sha256:${'b'.repeat(64)}`, {}, 'https://spdx.dev/Document') as { reason: string }).reason, /does not name/);
});
