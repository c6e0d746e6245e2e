/** Every next step an error can carry, in CLI words: the flag for an option, the host, path or program it names, and a fallback without them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { hintFor, rejectedHint } from '../../../src/cli/hints.js';
import { CredentialsRejectedError, OcipackError, type ErrorContext } from '../../../src/core/errors.js';

const hint = (ctx: ErrorContext, code: ConstructorParameters<typeof OcipackError>[0] = 'BAD_INPUT'): string | undefined => hintFor(new OcipackError(code, 'x', { context: ctx }));

test('next steps that name something: with it given, and the words used without it', () => {
  const table: Array<[ErrorContext, RegExp]> = [
    [{ next: 'raise-cap', option: 'maxLayerBytes' }, /^raise it with --max-layer-size if this is expected$/],
    [{ next: 'raise-cap' }, /^raise the cap if this is expected$/],
    [{ next: 'login', host: 'r.io' }, /^run `ocipack login r\.io` or pass --creds$/],
    [{ next: 'login' }, /ocipack login <host>/],
    [{ next: 'login-rejected', host: 'ghcr.io' }, /for ghcr\.io; a token needs scopes/],
    [{ next: 'login-rejected' }, /for the registry;/],
    [{ next: 'redirect-auth', host: 'cdn.example' }, /handed the request to cdn\.example;/],
    [{ next: 'redirect-auth' }, /to another host;/],
    [{ next: 'stale-lock', path: '/l/.lock' }, /^remove \/l\/\.lock if no other/],
    [{ next: 'stale-lock' }, /^remove the lock file/],
    [{ next: 'provider-no-credentials', program: 'aws' }, /AWS_ACCESS_KEY_ID/],
    [{ next: 'provider-no-credentials', program: 'azure' }, /AZURE_TENANT_ID/],
    [{ next: 'provider-no-credentials', program: 'gcp' }, /GOOGLE_APPLICATION_CREDENTIALS/],
    [{ next: 'provider-no-credentials' }, /^configure the provider's credentials$/],
    [{ next: 'provider-denied', program: 'aws' }, /ecr:GetAuthorizationToken/],
    [{ next: 'provider-denied', program: 'azure' }, /AcrPull/],
    [{ next: 'provider-denied', program: 'gcp' }, /^check the identity's access to the registry$/],
    [{ next: 'provider-install', program: '@aws-sdk/a @aws-sdk/b' }, /npm i @aws-sdk\/a @aws-sdk\/b \(or npx -p ocipack -p @aws-sdk\/a -p @aws-sdk\/b ocipack …\)/],
    [{ next: 'layout-choose-image', path: './saved' }, /ocipack list --oci-layout \.\/saved shows them/],
    [{ next: 'layout-choose-image' }, /--oci-layout <dir> shows/],
    [{ next: 'disk-full', path: '/out' }, /holds \/out,/],
    [{ next: 'disk-full' }, /holds the output,/],
    [{ next: 'read-only', path: '/ro' }, /^\/ro is on a read-only filesystem/],
    [{ next: 'read-only' }, /^it is on a read-only/],
    [{ next: 'permission', path: '/p' }, /may not access \/p:/],
    [{ next: 'permission' }, /may not access that path:/],
    [{ next: 'cross-device', path: '/o/m' }, /^\/o\/m is another filesystem/],
    [{ next: 'cross-device' }, /^it is another filesystem/],
    [{ next: 'missing-path', path: '/a/b' }, /check the path: \/a\/b is missing/],
    [{ next: 'missing-path' }, /a directory on the way is missing/],
    [{ next: 'temp-full', path: '/t' }, /\(\/t\)/],
    [{ next: 'temp-full' }, new RegExp(`\\(${tmpdir()}\\)`)],
    [{ next: 'temp-unwritable', path: '/t' }, /temporary space \(\/t\) cannot be written/],
    [{ next: 'temp-unwritable' }, /set TMPDIR to a writable directory/],
    [{ next: 'temp-missing', path: '/t' }, /temporary space \/t does not exist/],
    [{ next: 'temp-missing' }, /does not exist: create it/],
    [{ next: 'list-tags', host: 'r.io', repository: 'org/app' }, /`ocipack list oci:\/\/r\.io\/org\/app`/],
    [{ next: 'list-tags' }, /oci:\/\/<host>\/<repository>/],
    [{ next: 'layout-slip', path: 'store' }, /^store is a local directory: .* add --oci-layout/],
    [{ next: 'layout-slip' }, /^it is a local directory/],
    [{ next: 'tag-positional', suggestion: 'ocipack tag r:v1 -t latest' }, /: ocipack tag r:v1 -t latest$/],
    [{ next: 'tag-positional' }, /: ocipack tag <reference> --tag <tag>$/],
    [{ next: 'oci-layout', option: 'fromOciLayout' }, /^for a local OCI layout directory add --from-oci-layout$/],
    [{ next: 'oci-layout' }, /add --oci-layout$/],
    [{ next: 'layout-missing', path: './l' }, /^check the path \.\/l;/],
    [{ next: 'proxy-unreachable', host: 'proxy:3128' }, /proxy at proxy:3128 is running/],
    [{ next: 'proxy-unreachable' }, /proxy at that address/],
    [{ next: 'proxy-tunnel', host: 'r.io' }, /could not reach r\.io/],
    [{ next: 'proxy-tunnel' }, /could not reach the registry/],
    [{ next: 'connection-refused', host: 'r.io:5000' }, /port of r\.io:5000/],
    [{ next: 'connection-refused' }, /port of the registry/],
    [{ next: 'deletes-refused', host: 'ghcr.io' }, /github\.com/],
    [{ next: 'deletes-refused', host: 'docker.io' }, /hub\.docker\.com/],
    [{ next: 'deletes-refused', host: 'r.io' }, /storage\.delete\.enabled: true/],
    [{ next: 'deletes-refused' }, /storage\.delete\.enabled/],
  ];
  for (const [ctx, want] of table) assert.match(hint(ctx) ?? '(none)', want, JSON.stringify(ctx));
});

test('next steps in fixed words, each its own; none for an unknown step falls back to the code\'s hint, or none', () => {
  const fixed: Array<[NonNullable<ErrorContext['next']>, RegExp]> = [
    ['insecure', /--insecure-registry/], ['ca-file', /--ca-file/], ['choose-layer', /--media-type <type> or --layer <n>/],
    ['choose-platform', /--platform/], ['helper-missing', /credsStore\/credHelpers/], ['key-password', /COSIGN_PASSWORD/],
    ['no-terminal', /no terminal/], ['force', /--force/], ['resolve-symlinks', /--resolve-symlinks/], ['keyless-together', /--trusted-root/],
    ['timeout', /--timeout 15m/], ['retry-later', /^try again later$/], ['realm-withheld', /token realm over https/],
    ['signature-format', /cosign 3/], ['provider-host', /--provider generic/], ['layer-copy', /--layer-operation copy/],
    ['zstd-node', /Node 22\.15/], ['sources-collide', /--path <src>=<target>/], ['empty-stdin', /--allow-empty to push an empty file/],
    ['empty-tree', /\.sourceignore/], ['overwrite-dirs', /--overwrite-dirs/], ['delete-force', /add --force to delete the manifest/],
  ];
  const seen = new Set<string>();
  for (const [next, want] of fixed) {
    const h = hint({ next }) ?? '(none)';
    assert.match(h, want, next);
    assert.ok(!seen.has(h), `${next} has its own words`);
    seen.add(h);
  }
  assert.equal(hint({ next: 'nonsense' as NonNullable<ErrorContext['next']> }), undefined);
  assert.equal(hint({}, 'DENIED'), 'check that these credentials may access this repository (push needs write access)');
  assert.equal(hint({ next: 'timeout' }, 'NETWORK'), 'raise the deadline with --timeout, e.g. --timeout 15m', 'the thrower\'s step wins over the code\'s');
  assert.equal(hintFor(new Error('plain')), undefined);
});

test('refused credentials: what to fix depends on where they came from', () => {
  const table: Array<[ConstructorParameters<typeof CredentialsRejectedError>[2], RegExp]> = [
    [{ kind: 'flag', flag: 'toCreds' }, /^check the value of --to-creds \(user:password, or a token\) for r\.io$/],
    [{ kind: 'docker-config', key: 'r.io', file: 'DOCKER_AUTH_CONFIG' }, /^fix the "r\.io" entry of DOCKER_AUTH_CONFIG, or pass --creds$/],
    [{ kind: 'docker-config', key: 'r.io', file: '/h/.docker/config.json' }, /^run `ocipack login r\.io` to replace the stored credentials \(\/h\/\.docker\/config\.json\)$/],
    [{ kind: 'podman', key: 'r.io', file: '/run/auth.json' }, /^run `podman login r\.io` \(or remove its entry from \/run\/auth\.json\)/],
    [{ kind: 'helm', key: 'r.io', file: '/h/registry.json' }, /ocipack login --helm r\.io.*helm registry login r\.io/],
    [{ kind: 'helper', name: 'pass', file: '/h/.docker/config.json' }, /docker-credential-pass holds for r\.io/],
    [{ kind: 'provider', provider: 'aws' }, /the aws identity in use may access r\.io/],
    [undefined, /^check the credentials, or pass new ones with --creds$/],
  ];
  for (const [source, want] of table) {
    const err = new CredentialsRejectedError(401, 'r.io', source);
    assert.match(rejectedHint(err), want, JSON.stringify(source));
    assert.equal(hintFor(err), rejectedHint(err));
  }
});
