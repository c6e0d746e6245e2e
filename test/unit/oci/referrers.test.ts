/** The one referrers-index reader: a table of answers, and one outcome (BAD_MANIFEST) for what it cannot read. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { OcipackError } from '../../../src/core/errors.js';
import { digestOf } from '../../../src/oci/digest.js';
import { MT } from '../../../src/oci/mediatypes.js';
import { readReferrersIndex } from '../../../src/oci/referrers.js';

const SUBJECT_BYTES = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociEmpty, digest: `sha256:${'e'.repeat(64)}`, size: 2 }, layers: [] }));
const SUBJECT = digestOf(SUBJECT_BYTES);
const SIG = { mediaType: MT.ociManifest, digest: `sha256:${'1'.repeat(64)}`, size: 500, artifactType: MT.sigstoreBundle };
const SBOM = { mediaType: MT.ociManifest, digest: `sha256:${'2'.repeat(64)}`, size: 400, artifactType: 'application/spdx+json' };
const SELF = { mediaType: MT.ociManifest, digest: SUBJECT, size: SUBJECT_BYTES.length };
const index = (manifests: unknown, extra: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests, ...extra }));
const WHERE = 'reg/app:sha256-x';

const GOOD: Array<[string, Buffer, string | undefined, string[], string[], RegExp | undefined]> = [
  ['a good index', index([SIG, SBOM]), undefined, [SIG.digest, SBOM.digest], [SIG.digest, SBOM.digest], undefined],
  ['an index without mediaType', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [SIG] })), undefined, [SIG.digest], [SIG.digest], undefined],
  ['a self-listing entry is dropped', index([SELF, SIG]), undefined, [SIG.digest], [SIG.digest], /^the referrers of (sha256:[0-9a-f]{64}) \(referrers index reg\/app:sha256-x\) list \1 itself; that entry is ignored$/],
  ['entries of another artifactType are filtered', index([SIG, SBOM]), MT.sigstoreBundle, [SIG.digest], [SIG.digest, SBOM.digest], undefined],
  ['the tag answering the subject itself (GitLab) is empty', SUBJECT_BYTES, undefined, [], [], /answers the subject sha256:[0-9a-f]{64} itself; read as empty$/],
  ['an OCI index whose manifests is null (a Go nil slice) is empty', index(null), undefined, [], [], undefined],
];

for (const [name, bytes, artifactType, want, kept, note] of GOOD) {
  test(`reads: ${name}`, () => {
    const r = readReferrersIndex(bytes, artifactType === undefined ? { subject: SUBJECT, where: WHERE } : { subject: SUBJECT, where: WHERE, artifactType });
    assert.deepEqual(r.manifests.map((d) => d.digest), want);
    assert.deepEqual(r.kept.map((d) => d.digest), kept);
    if (note === undefined) assert.deepEqual(r.notes, []);
    else assert.ok(r.notes.length === 1 && note.test(r.notes[0]!), r.notes.join('\n'));
  });
}

const BAD: Array<[string, Buffer, RegExp]> = [
  ['bad JSON', Buffer.from('{"manifests": ['), /^referrers index reg\/app:sha256-x is not valid JSON$/],
  ['JSON, not an object', Buffer.from('"x"'), /is not a JSON object$/],
  ['not an index: an image manifest that is not the subject', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: SIG, layers: [] })), /is an image manifest where application\/vnd\.oci\.image\.index\.v1\+json was expected$/],
  ['not an index: a Docker manifest list', index([SIG], { mediaType: MT.dockerList }), /is application\/vnd\.docker\.distribution\.manifest\.list\.v2\+json, not an OCI image index$/],
  ['not an index: no manifests and no index type', Buffer.from(JSON.stringify({ schemaVersion: 2 })), /is neither an image manifest nor an index$/],
  ['an entry that is no descriptor', index([{ digest: SIG.digest }]), /has malformed descriptors$/],
  ['schemaVersion missing', Buffer.from(JSON.stringify({ mediaType: MT.ociIndex, manifests: [SIG] })), /has schemaVersion missing, not 2$/],
];

for (const [name, bytes, message] of BAD) {
  test(`one outcome: ${name} → BAD_MANIFEST`, () => {
    assert.throws(() => readReferrersIndex(bytes, { subject: SUBJECT, where: WHERE }),
      (err: unknown) => err instanceof OcipackError && err.code === 'BAD_MANIFEST' && message.test(err.message));
  });
}

test('a sha512 subject served itself is recognised too', () => {
  const subject = `sha512:${createHash('sha512').update(SUBJECT_BYTES).digest('hex')}`;
  assert.equal(readReferrersIndex(SUBJECT_BYTES, { subject, where: WHERE }).servedSubject, true);
});
