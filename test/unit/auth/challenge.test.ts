import { test } from 'node:test';
import assert from 'node:assert/strict';
import { challengesOf, parseChallenges, type Challenge } from '../../../src/auth/challenge.js';

const cases: Array<[string, string, Challenge[]]> = [
  ['docker hub bearer', 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"', [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } },
  ]],
  ['basic', 'Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
  ['scheme and param names are case-insensitive', 'BEARER Realm="r", SERVICE="s"', [{ scheme: 'bearer', params: { realm: 'r', service: 's' } }]],
  ['comma inside quotes', 'Bearer realm="https://a/t",scope="repository:a:pull,push"', [
    { scheme: 'bearer', params: { realm: 'https://a/t', scope: 'repository:a:pull,push' } },
  ]],
  ['escaped quote and backslash', 'Basic realm="say \\"hi\\" \\\\ ok"', [{ scheme: 'basic', params: { realm: 'say "hi" \\ ok' } }]],
  ['two challenges in one header', 'Basic realm="b", Bearer realm="https://t/", service="svc"', [
    { scheme: 'basic', params: { realm: 'b' } },
    { scheme: 'bearer', params: { realm: 'https://t/', service: 'svc' } },
  ]],
  ['bare scheme then another challenge', 'Negotiate, Basic realm="x"', [
    { scheme: 'negotiate', params: {} },
    { scheme: 'basic', params: { realm: 'x' } },
  ]],
  ['token68', 'Negotiate abc+/def==, Basic realm="x"', [
    { scheme: 'negotiate', params: {}, token68: 'abc+/def==' },
    { scheme: 'basic', params: { realm: 'x' } },
  ]],
  ['unquoted values and spaces around =', 'Bearer realm = https://auth.example/token , service=reg', [
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'reg' } },
  ]],
  ['error and insufficient_scope', 'Bearer realm="https://t",service="s",scope="repository:x:pull repository:y:pull",error="insufficient_scope"', [
    { scheme: 'bearer', params: { realm: 'https://t', service: 's', scope: 'repository:x:pull repository:y:pull', error: 'insufficient_scope' } },
  ]],
  ['empty quoted value', 'Bearer realm=""', [{ scheme: 'bearer', params: { realm: '' } }]],
  ['unterminated quote takes the rest', 'Basic realm="abc', [{ scheme: 'basic', params: { realm: 'abc' } }]],
  ['empty header', '', []],
  ['only separators', ' , ,', []],
  ['a parameter before any scheme is dropped', 'realm="x", Basic realm="y"', [{ scheme: 'basic', params: { realm: 'y' } }]],
  ['junk characters are skipped', '@@@, Basic realm="y"', [{ scheme: 'basic', params: { realm: 'y' } }]],
];

for (const [name, header, expected] of cases) {
  test(`parseChallenges: ${name}`, () => {
    assert.deepEqual(parseChallenges(header), expected);
  });
}

test('challengesOf joins several WWW-Authenticate headers', () => {
  assert.deepEqual(challengesOf(['Basic realm="a"', 'Bearer realm="https://b"']).map((c) => c.scheme), ['basic', 'bearer']);
  assert.deepEqual(challengesOf(undefined), []);
});
