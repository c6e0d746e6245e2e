import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OcipackError } from '../../../src/core/errors.js';
import { parseMirrorFile, type MirrorSide } from '../../../src/oci/mirrorfile.js';

const OK = `# mirrors
- source: oci://ghcr.io/org/app
  destination: oci://registry.internal:5000/mirror/app
  semver: ">=1.0.0 <2.0.0"
  regex: ^v
  includeReferrers: true
- source: ghcr.io/org/base
  destination: oci://registry.internal:5000/mirror/base
  tags: [latest, 1.10, v2.0.0]
- source: oci://docker.io/alpine
  destination: ./transfer/alpine
- source: ../carried/alpine
  destination: oci://registry.internal:5000/alpine
`;

test('a mirror file: references, filters, explicit tags as written, includeReferrers', () => {
  const [a, b, c, d] = parseMirrorFile(OK, 'm.yaml');
  const ref = (side: MirrorSide | undefined) => (side?.kind === 'remote' ? side.ref : undefined);
  assert.equal(a?.where, 'm.yaml:2');
  assert.deepEqual([ref(a?.source)?.registry, ref(a?.source)?.repository], ['ghcr.io', 'org/app']);
  assert.deepEqual([ref(a?.destination)?.host, ref(a?.destination)?.repository], ['registry.internal:5000', 'mirror/app']);
  assert.equal(a?.semver?.text, '>=1.0.0 <2.0.0');
  assert.equal(a?.regex?.source, '^v');
  assert.equal(a?.includeReferrers, true);
  assert.equal(a?.tags, undefined);
  assert.deepEqual(b?.tags, ['latest', '1.10', 'v2.0.0'], 'a bare 1.10 stays the tag 1.10');
  assert.equal(b?.includeReferrers, false);
  assert.equal(b?.where, 'm.yaml:7');
  assert.equal(ref(c?.source)?.repository, 'library/alpine');
  assert.deepEqual(c?.destination, { kind: 'layout', path: './transfer/alpine' }, 'a path is a layout directory');
  assert.deepEqual(d?.source, { kind: 'layout', path: '../carried/alpine' });
});

test('every mistake is a usage error naming the file and the line, before anything else', () => {
  const entry = (extra: string) => `- source: oci://r.io/a\n  destination: oci://s.io/a\n${extra}`;
  const table: Array<[string, RegExp]> = [
    [entry('  semvr: "1.x"\n'), /^m\.yaml:3: unknown key "semvr" \(known: source, destination, semver, tags, regex, includeReferrers\)$/],
    ['- source: oci://r.io/a\n', /^m\.yaml:1: the entry has no destination/],
    ['- destination: oci://r.io/a\n', /^m\.yaml:1: the entry has no source/],
    [entry('- source: oci://r.io/a:v1\n  destination: oci://s.io/a\n'), /^m\.yaml:3: invalid repository .*without tag or digest/],
    [entry('- source: oci://r.io/A\n  destination: oci://s.io/a\n'), /^m\.yaml:3: invalid reference/],
    [entry('  semver: ">=1.0.0 <<"\n'), /^m\.yaml:3: invalid semver range/],
    [entry('  regex: "(unclosed"\n'), /^m\.yaml:3: invalid regular expression/],
    [entry('  tags: [v1, "bad tag"]\n'), /^m\.yaml:3: invalid tag "bad tag"/],
    [entry('  tags: []\n'), /^m\.yaml:3: tags is a list of tags/],
    [entry('  tags: [v1]\n  regex: ^v\n'), /^m\.yaml:3: tags names the tags itself/],
    [entry('  includeReferrers: "yes"\n'), /^m\.yaml:3: includeReferrers is true or false/],
    [entry('  semver: true\n'), /^m\.yaml:3: semver is a string/],
    [entry('  source: oci://r.io/b\n'), /^m\.yaml:3: not valid YAML: Map keys must be unique/],
    ['source: oci://r.io/a\n', /^m\.yaml:1: expected a list of entries/],
    ['[]\n', /^m\.yaml:1: the list is empty/],
    ['', /^m\.yaml:1: expected a list of entries/],
    ['- just a string\n', /^m\.yaml:1: an entry is a mapping/],
    ['- source: [unclosed\n', /^m\.yaml:\d+: not valid YAML/],
  ];
  for (const [text, message] of table) {
    assert.throws(() => parseMirrorFile(text, 'm.yaml'), (err: unknown) => {
      assert.ok(err instanceof OcipackError && err.code === 'USAGE', `${text}: ${String(err)}`);
      assert.match(err.message, message, text);
      return true;
    });
  }
});
