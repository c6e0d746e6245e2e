/** A token server's refusal quoted as one safe line; refused credentials hinted by their source. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenServerSays } from '../../../src/auth/failure.js';
import { rejectedHint } from '../../../src/cli/hints.js';
import { errorLine } from '../../../src/cli/run.js';
import { CredentialsRejectedError } from '../../../src/core/errors.js';

const body = (doc: unknown): Buffer => Buffer.from(JSON.stringify(doc));

test('tokenServerSays: errors[], Docker Hub details, OAuth2 error; one line, capped, secrets redacted', () => {
  assert.equal(tokenServerSays(body({ errors: [{ code: 'UNAUTHORIZED', message: 'bad\ncredentials' }] }), undefined), 'UNAUTHORIZED bad credentials');
  assert.equal(tokenServerSays(body({ details: 'incorrect username or password' }), undefined), 'incorrect username or password');
  assert.equal(tokenServerSays(body({ error: 'invalid_grant', error_description: 'refresh token expired' }), undefined), 'invalid_grant; refresh token expired');
  const cred = { username: 'alice', password: 'hunter2-secret' };
  const echoed = tokenServerSays(body({ details: 'password hunter2-secret is wrong for alice' }), cred);
  assert.equal(echoed, 'password <redacted> is wrong for alice');
  const jwt = `eyJhbGciOiJFUzI1NiJ9.${'a'.repeat(30)}.${'b'.repeat(30)}`;
  assert.equal(tokenServerSays(body({ details: `token ${jwt} expired` }), undefined), 'token <redacted> expired');
  const long = tokenServerSays(body({ details: 'word '.repeat(200) }), undefined);
  assert.ok(long.length <= 201 && long.endsWith('…'));
  assert.equal(tokenServerSays(Buffer.from('<html>nope</html>'), undefined), '');
});

test('rejected credentials: the message names the source, the hint depends on it', () => {
  const cases: Array<[CredentialsRejectedError, RegExp, RegExp]> = [
    [new CredentialsRejectedError(401, 'r.io', { kind: 'flag', flag: 'toCreds' }), /\(from `toCreds`\)$/, /check the value of --to-creds/],
    [new CredentialsRejectedError(401, 'r.io', { kind: 'docker-config', key: 'https://r.io', file: '/h/.docker/config.json' }), /\(from config\.json auths entry "https:\/\/r\.io"\)$/, /ocipack login r\.io/],
    [new CredentialsRejectedError(401, 'r.io', { kind: 'helper', name: 'pass', file: '/h/.docker/config.json' }), /\(from credential helper docker-credential-pass\)$/, /docker-credential-pass holds/],
    [new CredentialsRejectedError(401, 'r.io', { kind: 'podman', key: 'r.io', file: '/run/containers/auth.json' }), /\(from podman auth file \/run\/containers\/auth\.json\)$/, /podman login r\.io/],
    [new CredentialsRejectedError(401, 'r.io', { kind: 'helm', key: 'r.io', file: '/h/.config/helm/registry/config.json' }), /\(from helm registry config\)$/, /ocipack login --helm r\.io/],
    [new CredentialsRejectedError(401, 'r.io', { kind: 'provider', provider: 'aws' }), /\(from `provider` aws\)$/, /aws identity/],
  ];
  for (const [err, message, hint] of cases) {
    assert.match(err.message, message);
    assert.match(rejectedHint(err), hint);
    const line = errorLine(err, 'pull');
    assert.match(line.message, /^pull failed: credentials for r\.io were rejected/);
    assert.doesNotMatch(line.message, /`/, 'the CLI line names flags, not options');
    assert.equal(line.hint, rejectedHint(err));
  }
});
