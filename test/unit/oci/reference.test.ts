import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OcipackError } from '../../../src/core/errors.js';
import {
  formatReference, isLoopback, parseLayoutReference, parseReference, parseRepository,
  referenceOf, repositoryName, splitTagList, type Reference,
} from '../../../src/oci/reference.js';
import { parseTaggedTarget } from '../../../src/connect/open.js';

const D = `sha256:${'a'.repeat(64)}`;
const D512 = `sha512:${'b'.repeat(128)}`;
const HUB = { registry: 'docker.io', host: 'registry-1.docker.io' };

/** input → the exact Reference expected. */
const VALID: Array<[string, Reference]> = [
  ['alpine', { ...HUB, repository: 'library/alpine', tag: 'latest' }],
  ['alpine:3.20', { ...HUB, repository: 'library/alpine', tag: '3.20' }],
  ['docker.io/alpine', { ...HUB, repository: 'library/alpine', tag: 'latest' }],
  ['index.docker.io/alpine', { ...HUB, repository: 'library/alpine', tag: 'latest' }],
  ['registry-1.docker.io/library/alpine', { ...HUB, repository: 'library/alpine', tag: 'latest' }],
  ['docker.io/stefanprodan/podinfo:6.5.0', { ...HUB, repository: 'stefanprodan/podinfo', tag: '6.5.0' }],
  ['oci://docker.io/library/nginx', { ...HUB, repository: 'library/nginx', tag: 'latest' }],
  ['org/app', { ...HUB, repository: 'org/app', tag: 'latest' }],
  ['ghcr.io/org/app', { registry: 'ghcr.io', host: 'ghcr.io', repository: 'org/app', tag: 'latest' }],
  ['oci://ghcr.io/org/app/manifests:v1', { registry: 'ghcr.io', host: 'ghcr.io', repository: 'org/app/manifests', tag: 'v1' }],
  ['GHCR.IO/org/app:V1', { registry: 'ghcr.io', host: 'ghcr.io', repository: 'org/app', tag: 'V1' }],
  ['localhost/app', { registry: 'localhost', host: 'localhost', repository: 'app', tag: 'latest' }],
  ['localhost:5000/app', { registry: 'localhost:5000', host: 'localhost:5000', repository: 'app', tag: 'latest' }],
  ['localhost:5000/a/b:1.0.0', { registry: 'localhost:5000', host: 'localhost:5000', repository: 'a/b', tag: '1.0.0' }],
  ['127.0.0.1:5000/app:dev', { registry: '127.0.0.1:5000', host: '127.0.0.1:5000', repository: 'app', tag: 'dev' }],
  ['[::1]:5000/app', { registry: '[::1]:5000', host: '[::1]:5000', repository: 'app', tag: 'latest' }],
  ['[::1]/app:x', { registry: '[::1]', host: '[::1]', repository: 'app', tag: 'x' }],
  ['myhost:443/a', { registry: 'myhost:443', host: 'myhost:443', repository: 'a', tag: 'latest' }],
  ['reg.example.com:65535/a', { registry: 'reg.example.com:65535', host: 'reg.example.com:65535', repository: 'a', tag: 'latest' }],
  [`ghcr.io/org/app@${D}`, { registry: 'ghcr.io', host: 'ghcr.io', repository: 'org/app', digest: D }],
  [`ghcr.io/org/app:v1@${D}`, { registry: 'ghcr.io', host: 'ghcr.io', repository: 'org/app', tag: 'v1', digest: D }],
  [`oci://localhost:5000/app@${D512}`, { registry: 'localhost:5000', host: 'localhost:5000', repository: 'app', digest: D512 }],
  ['ghcr.io/a.b/c_d/e__f/g-h/i---j:x', { registry: 'ghcr.io', host: 'ghcr.io', repository: 'a.b/c_d/e__f/g-h/i---j', tag: 'x' }],
  ['ghcr.io/a/b:_under.score-1', { registry: 'ghcr.io', host: 'ghcr.io', repository: 'a/b', tag: '_under.score-1' }],
  [`ghcr.io/a/b:${'t'.repeat(128)}`, { registry: 'ghcr.io', host: 'ghcr.io', repository: 'a/b', tag: 't'.repeat(128) }],
  ['my-registry.local/x', { registry: 'my-registry.local', host: 'my-registry.local', repository: 'x', tag: 'latest' }],
];

/** input → a substring the usage error message must contain. */
const INVALID: Array<[string, string]> = [
  ['', 'empty'],
  ['   ', 'whitespace'],
  ['ghcr.io/org/app :v1', 'whitespace'],
  ['oci://', 'nothing after oci://'],
  ['https://ghcr.io/org/app', 'only the oci:// scheme'],
  ['Foo/Bar', 'invalid reference "Foo/Bar": repository must be lowercase'],
  ['ghcr.io/Org/app', 'repository must be lowercase'],
  ['ghcr.io/org/app/', 'must not end with "/"'],
  ['ghcr.io//app', 'empty path component'],
  ['ghcr.io/org//app', 'empty path component'],
  ['ghcr.io', 'missing repository after registry "ghcr.io"'],
  ['localhost:5000', 'missing repository'],
  ['ghcr.io/', 'missing repository'],
  ['ghcr.io/org/app:', 'empty tag'],
  ['ghcr.io/org/app:-bad', 'invalid tag "-bad"'],
  ['ghcr.io/org/app:.bad', 'invalid tag'],
  [`ghcr.io/org/app:${'t'.repeat(129)}`, 'invalid tag'],
  ['ghcr.io/org/app@sha256:abc', 'sha256 needs exactly 64 lowercase hex'],
  [`ghcr.io/org/app@sha256:${'A'.repeat(64)}`, 'lowercase hex'],
  [`ghcr.io/org/app@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm "md5"'],
  ['ghcr.io/org/app@', 'invalid digest'],
  [`ghcr.io/org/app@${D}@${D}`, 'invalid digest'],
  ['localhost:0/app', 'invalid port "0"'],
  ['localhost:65536/app', 'invalid port "65536"'],
  ['localhost:/app', 'invalid port ""'],
  ['localhost:50a/app', 'invalid port'],
  ['[::1/app', 'invalid IPv6'],
  ['[zz::1]:5000/app', 'invalid IPv6'],
  ['bad_host.io/app', 'invalid registry host'],
  ['-bad.io/app', 'invalid registry host'],
  ['ghcr.io/org/a$p', 'invalid repository path component "a$p"'],
  ['ghcr.io/org/-app', 'invalid repository path component'],
  ['ghcr.io/org/app.', 'invalid repository path component'],
  ['ghcr.io/a..b', 'invalid repository path component'],
  [`ghcr.io/${'a'.repeat(250)}`, 'name longer than 255'],
  ['user:secret@ghcr.io/org/app', 'credentials go in `creds`'],
];

for (const [input, expected] of VALID) {
  test(`parseReference(${JSON.stringify(input.length > 60 ? input.slice(0, 60) : input)})`, () => {
    assert.deepEqual(parseReference(input), expected);
  });
}

for (const [input, fragment] of INVALID) {
  test(`parseReference rejects ${JSON.stringify(input.length > 60 ? input.slice(0, 60) : input)}`, () => {
    assert.throws(() => parseReference(input), (err: unknown) => {
      assert.ok(err instanceof OcipackError, 'an OcipackError');
      assert.equal(err.code, 'USAGE');
      assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    });
  });
}

test('the table is big enough', () => {
  assert.ok(VALID.length + INVALID.length >= 40);
});

test('error messages never echo credentials written before the host', () => {
  assert.throws(() => parseReference('oci://user:s3cr3t@ghcr.io/org/app'), (err: Error) => !err.message.includes('s3cr3t'));
});

test('a name of exactly 255 characters is accepted', () => {
  const repo = 'a'.repeat(255 - 'ghcr.io/'.length);
  assert.equal(parseReference(`ghcr.io/${repo}`).repository, repo);
});

test('defaultTag: false leaves the tag unset', () => {
  assert.deepEqual(parseReference('ghcr.io/org/app', { defaultTag: false }), { registry: 'ghcr.io', host: 'ghcr.io', repository: 'org/app' });
  assert.equal(parseReference('ghcr.io/org/app:v2', { defaultTag: false }).tag, 'v2');
});

test('parseRepository accepts a bare repository and rejects tag or digest', () => {
  assert.deepEqual(parseRepository('oci://localhost:5000/org/app'), { registry: 'localhost:5000', host: 'localhost:5000', repository: 'org/app' });
  assert.deepEqual(parseRepository('alpine'), { ...HUB, repository: 'library/alpine' });
  for (const bad of ['ghcr.io/org/app:v1', `ghcr.io/org/app@${D}`, 'Bad/Repo']) {
    assert.throws(() => parseRepository(bad), (err: unknown) => err instanceof OcipackError && err.code === 'USAGE');
  }
});

test('referenceOf: digest wins over tag, tag over the default', () => {
  assert.equal(referenceOf(parseReference(`ghcr.io/a/b:v1@${D}`)), D);
  assert.equal(referenceOf(parseReference('ghcr.io/a/b:v1')), 'v1');
  assert.equal(referenceOf(parseReference('ghcr.io/a/b', { defaultTag: false })), 'latest');
});

test('formatReference and repositoryName keep docker.io as written by users', () => {
  assert.equal(formatReference(parseReference('alpine')), 'docker.io/library/alpine:latest');
  assert.equal(formatReference(parseReference(`oci://ghcr.io/a/b:v1@${D}`)), `ghcr.io/a/b:v1@${D}`);
  assert.equal(formatReference(parseReference(`[::1]:5000/a@${D}`)), `[::1]:5000/a@${D}`);
  assert.equal(repositoryName(parseReference('index.docker.io/org/app:v1')), 'docker.io/org/app');
  assert.equal(repositoryName(parseReference('localhost:5000/x/y')), 'localhost:5000/x/y');
});

test('formatReference round-trips through parseReference', () => {
  for (const [input] of VALID) {
    const ref = parseReference(input);
    assert.deepEqual(parseReference(formatReference(ref)), ref, input);
  }
});

test('isLoopback', () => {
  const yes = ['localhost', 'LOCALHOST:5000', '127.0.0.1', '127.0.0.1:5000', '127.255.1.2:80', '[::1]', '[::1]:5000',
    '::1', '[0:0:0:0:0:0:0:1]:443', '[::ffff:127.0.0.1]:5000'];
  const no = ['ghcr.io', 'localhost.example.com', '128.0.0.1', '127.0.0.256', '10.0.0.1:5000', '[::2]:5000', '[::]',
    '1127.0.0.1', 'mylocalhost', '0.0.0.0', '[::1'];
  for (const h of yes) assert.equal(isLoopback(h), true, h);
  for (const h of no) assert.equal(isLoopback(h), false, h);
});

test('parseLayoutReference', () => {
  const cases: Array<[string, { dir: string; tag?: string; digest?: string }]> = [
    ['./layout', { dir: './layout' }],
    ['layout:v1', { dir: 'layout', tag: 'v1' }],
    ['/tmp/oci/layout:1.2.3', { dir: '/tmp/oci/layout', tag: '1.2.3' }],
    [`./layout@${D}`, { dir: './layout', digest: D }],
    [`./layout:v1@${D}`, { dir: './layout', tag: 'v1', digest: D }],
    ['/tmp/a:b/layout', { dir: '/tmp/a:b/layout' }],
    ['/tmp/x@y/layout', { dir: '/tmp/x@y/layout' }],
    ['dir:with space', { dir: 'dir:with space' }],
    ['dir:.notatag', { dir: 'dir:.notatag' }],
    ['C:', { dir: 'C:' }],
    ['C:\\work\\layout', { dir: 'C:\\work\\layout' }],
    ['C:\\work\\layout:v2', { dir: 'C:\\work\\layout', tag: 'v2' }],
    ['D:/layout', { dir: 'D:/layout' }],
    ['mail@example', { dir: 'mail@example' }],
    // podman's and Helm's full references as ref.name: everything after the last "@tag=".
    ['./podman@tag=localhost/app:latest', { dir: './podman', tag: 'localhost/app:latest' }],
    ['/tmp/x@tag=y/cache@tag=ghcr.io/org/chart:1.2.3', { dir: '/tmp/x@tag=y/cache', tag: 'ghcr.io/org/chart:1.2.3' }],
    [`l@tag=app@${D}`, { dir: 'l', tag: `app@${D}` }],
  ];
  for (const [input, expected] of cases) assert.deepEqual(parseLayoutReference(input), expected, input);
  for (const bad of ['', ':v1', `@${D}`, './layout@sha256:abc', 'dir@tag=', '@tag=x', 'dir@tag=a b', 'dir@tag=a\nb']) {
    assert.throws(() => parseLayoutReference(bad), (err: unknown) => err instanceof OcipackError && err.code === 'USAGE', bad);
  }
});

test('splitTagList: oras\'s comma-separated tags, the reference with the first one', () => {
  const cases: Array<[string, boolean, { reference: string; tags: string[] }]> = [
    ['oci://r.io/app:1.4.2,1.4,latest', false, { reference: 'oci://r.io/app:1.4.2', tags: ['1.4.2', '1.4', 'latest'] }],
    ['localhost:5000/a/b:x,y', false, { reference: 'localhost:5000/a/b:x', tags: ['x', 'y'] }],
    ['[::1]:5000/app:a,b', false, { reference: '[::1]:5000/app:a', tags: ['a', 'b'] }],
    ['alpine:3,3.20', false, { reference: 'alpine:3', tags: ['3', '3.20'] }],
    ['oci://r.io/app:v1', false, { reference: 'oci://r.io/app:v1', tags: [] }],
    ['oci://r.io/app', false, { reference: 'oci://r.io/app', tags: [] }],
    [`oci://r.io/app:v1@${D}`, false, { reference: `oci://r.io/app:v1@${D}`, tags: [] }],
    ['oci://host,x:5000/app', false, { reference: 'oci://host,x:5000/app', tags: [] }],
    ['./layout:a,b', true, { reference: './layout:a', tags: ['a', 'b'] }],
    ['/tmp/a,b/layout:v1,v2', true, { reference: '/tmp/a,b/layout:v1', tags: ['v1', 'v2'] }],
    ['C:\\work\\layout:a,b', true, { reference: 'C:\\work\\layout:a', tags: ['a', 'b'] }],
    ['./dir,x', true, { reference: './dir,x', tags: [] }],
    ['./podman@tag=localhost/app:a,b', true, { reference: './podman@tag=localhost/app:a,b', tags: [] }],
  ];
  for (const [input, layout, expected] of cases) assert.deepEqual(splitTagList(input, layout), expected, input);
  const bad: Array<[string, boolean, RegExp]> = [
    ['oci://r.io/app:a,,b', false, /empty tag/],
    ['oci://r.io/app:a,', false, /empty tag/],
    ['oci://r.io/app:,a', false, /empty tag/],
    ['oci://r.io/app:a,b,a', false, /"a" is listed twice/],
    ['oci://r.io/app:a,-b', false, /invalid tag "-b"/],
    [`oci://r.io/app:a,${'t'.repeat(129)}`, false, /invalid tag/],
    [`oci://r.io/app:a,b@${D}`, false, /cannot be combined with a digest/],
    [`./layout:a,b@${D}`, true, /cannot be combined with a digest/],
    ['./layout:a,a', true, /listed twice/],
  ];
  for (const [input, layout, message] of bad) {
    assert.throws(() => splitTagList(input, layout), (err: unknown) => err instanceof OcipackError && err.code === 'USAGE' && message.test(err.message), input);
  }
});

test('parseTaggedTarget: the target with the first tag, and the tags as written', () => {
  const multi = parseTaggedTarget('oci://r.io/app:1.4.2,1.4,latest');
  assert.equal(multi.target.tag, '1.4.2');
  assert.equal(multi.target.display, 'r.io/app:1.4.2');
  assert.deepEqual(multi.tags, ['1.4.2', '1.4', 'latest']);
  assert.deepEqual(parseTaggedTarget('oci://r.io/app:v1').tags, ['v1']);
  assert.deepEqual(parseTaggedTarget('oci://r.io/app').tags, [], 'the default latest is not written');
  assert.equal(parseTaggedTarget('oci://r.io/app').target.tag, 'latest');
  const layout = parseTaggedTarget('./layout:a,b', true);
  assert.equal(layout.target.kind, 'layout');
  assert.deepEqual([layout.target.tag, layout.tags], ['a', ['a', 'b']]);
  assert.deepEqual(parseTaggedTarget('./layout', true).tags, []);
});

test('scheme slips carry the oci-scheme next step; a plain bad reference carries none', () => {
  const nextOf = (input: string): string | undefined => {
    try {
      parseReference(input);
    } catch (err) {
      return err instanceof OcipackError ? err.context.next ?? 'none' : 'not an OcipackError';
    }
    return 'parsed';
  };
  for (const slip of ['oci:/r.io/app', 'oci:r.io/app', 'oci:///r.io/app', 'oci//r.io/app']) assert.equal(nextOf(slip), 'oci-scheme', slip);
  assert.equal(nextOf('oci://r.io//app'), 'none');
  assert.equal(nextOf('oci/app'), 'parsed', 'a Docker Hub repository named oci/… is no slip');
});
