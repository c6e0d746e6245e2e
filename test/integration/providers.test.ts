/**
 * `--provider aws|azure|gcp` end to end (issue 14 §1): the providers' real SDK chains against local
 * stand-ins of ECR's API, App Service's managed identity + ACR's /oauth2/exchange, and GCE's metadata
 * server; the credential they produce is what the real token-auth registry's token server accepts, so
 * push and pull actually work. Also: wrong host, empty chain, and no SDK module loaded without --provider.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { BIN, ocipack, runProcess, tempDir, type CliResult } from '../helpers/cli.js';
import { startAppServiceIdentity, startCloudFront, startEcrApi, startGceMetadata, type CloudFront, type StandIn } from '../helpers/cloud.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startTokenRegistry, type TokenRegistry } from '../helpers/tokenserver.js';

const ECR = '123456789012.dkr.ecr.us-west-2.amazonaws.com';
const ACR = 'ocipacktest.azurecr.io';
const GAR = 'europe-west1-docker.pkg.dev';
const ECR_PASSWORD = `ecr-${'p'.repeat(20)}`;
const GCP_TOKEN = 'ya29.stand-in-access-token';
const AKID = 'AKIAOCIPACKTEST00001';
const IDENTITY_SECRET = 'app-service-identity-header';

let tok: TokenRegistry;
let front: CloudFront;
let ecr: StandIn;
let gce: StandIn;
let msi: StandIn & { issued: string[] };
let caBundle: string;
let src: string;
const acrRefresh: string[] = [];

before(async () => {
  tok = await startTokenRegistry({ users: { AWS: ECR_PASSWORD, oauth2accesstoken: GCP_TOKEN } });
  msi = await startAppServiceIdentity(IDENTITY_SECRET);
  front = await startCloudFront([ECR, ACR, GAR], tok.registry.host, (form, host) => {
    // ACR's exchange: a valid Entra access token for this registry buys a refresh token its token server honours.
    if (form.grant_type !== 'access_token' || form.service !== host || !msi.issued.includes(form.access_token ?? '')) return { status: 401, doc: { errors: [{ code: 'UNAUTHORIZED' }] } };
    const refresh = tok.tokens.refreshTokenFor('acr-ci');
    acrRefresh.push(refresh);
    return { status: 200, doc: { refresh_token: refresh } };
  });
  ecr = await startEcrApi(AKID, ECR_PASSWORD);
  gce = await startGceMetadata(GCP_TOKEN);
  const dir = await tempDir();
  caBundle = join(dir, 'ca.pem');
  await writeFile(caBundle, `${await readFile(tok.tokens.certFile, 'utf8')}\n${await readFile(front.certFile, 'utf8')}`);
  src = await tempDir();
  await writeFile(join(src, 'app.yaml'), 'kind: ConfigMap\n');
});
after(async () => {
  await Promise.all([tok?.stop(), front?.stop(), ecr?.stop(), gce?.stop(), msi?.stop()]);
});

/** The CLI as a CI job runs it: isolated HOME, the stand-ins' CA trusted, cloud names through the proxy. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return ocipack(args, {
    env: { HOME: await tempDir('ocipack-home-'), NODE_EXTRA_CA_CERTS: caBundle, HTTPS_PROXY: front.proxyUrl, NO_PROXY: '127.0.0.1,localhost', ...env },
  });
}

const AWS_ENV = { AWS_ACCESS_KEY_ID: AKID, AWS_SECRET_ACCESS_KEY: 'stand-in-secret-key', AWS_ENDPOINT_URL_ECR: '', AWS_EC2_METADATA_DISABLED: 'true' };

async function pushPull(host: string, repo: string, env: Record<string, string>, provider: string): Promise<void> {
  const ref = `oci://${host}/${repo}:v1`;
  const pushed = await cli(['push', ref, '--path', src, '--provider', provider], env);
  assert.equal(pushed.code, 0, pushed.stderr);
  const out = await tempDir();
  const pulled = await cli(['pull', ref, '--output', out, '--provider', provider], env);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(await readFile(join(out, 'app.yaml'), 'utf8'), 'kind: ConfigMap\n');
  // another tag: the same tag could be "unchanged" (same second, same annotations) and need no write at all
  const anonymous = await cli(['push', `oci://${host}/${repo}:anonymous`, '--path', src], env);
  assert.equal(anonymous.code, 1, 'without --provider the same push is refused');
}

test('aws: env keys → SigV4 GetAuthorizationToken (region from the host) → Basic AWS:<password> at the token server; push and pull', async () => {
  const env = { ...AWS_ENV, AWS_ENDPOINT_URL_ECR: ecr.url };
  const n = tok.tokens.requests.length;
  await pushPull(ECR, 'team/app', env, 'aws');
  assert.ok(ecr.requests.length >= 1);
  assert.match(String(ecr.requests[0]?.headers.authorization), new RegExp(`Credential=${AKID}/\\d{8}/us-west-2/ecr/aws4_request`));
  const users = new Set(tok.tokens.requests.slice(n).map((r) => r.user));
  assert.ok(users.has('AWS'), JSON.stringify([...users]));
  assert.ok(front.connects.includes(`${ECR}:443`));
});

test('azure: managed identity → Entra token → /oauth2/exchange → refresh token as identity token; push and pull', async () => {
  const env = { IDENTITY_ENDPOINT: `${msi.url}/msi/token`, IDENTITY_HEADER: IDENTITY_SECRET };
  const n = tok.tokens.requests.length;
  await pushPull(ACR, 'team/app', env, 'azure');
  assert.ok(msi.requests.some((r) => r.url.includes('resource=https%3A%2F%2Fmanagement.azure.com')), JSON.stringify(msi.requests.map((r) => r.url)));
  const posts = tok.tokens.requests.slice(n).filter((r) => r.method === 'POST');
  assert.ok(posts.length >= 1 && posts.every((r) => r.user === 'acr-ci' && acrRefresh.includes(r.form?.refresh_token ?? '')));
});

test('gcp: ADC from the metadata server → oauth2accesstoken:<token>; push and pull', async () => {
  const env = { GCE_METADATA_HOST: gce.host, METADATA_SERVER_DETECTION: 'assume-present' };
  const n = tok.tokens.requests.length;
  await pushPull(GAR, 'proj/repo/app', env, 'gcp');
  assert.ok(gce.requests.some((r) => r.url.startsWith('/computeMetadata/v1/instance/service-accounts/default/token')));
  assert.ok(tok.tokens.requests.slice(n).some((r) => r.user === 'oauth2accesstoken'));
});

test('wrong host, empty chain, bad value: one line naming provider, host and what to set; exit 1 (2 for a bad value); no stack', async () => {
  const wrong = await cli(['pull', `oci://${GAR}/p/r/app:v1`, '-o', await tempDir(), '--provider', 'aws'], AWS_ENV);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, new RegExp(`✗ pull failed: --provider aws does not serve ${GAR.replace(/\./g, '\\.')}: it serves ECR`));
  const empty = await cli(['pull', `oci://${ECR}/team/app:v1`, '-o', await tempDir(), '--provider', 'aws'], { AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL_ECR: ecr.url });
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, new RegExp(`✗ pull failed: --provider aws found no AWS credentials for ${ECR.replace(/\./g, '\\.')}\\n  hint: set AWS_ACCESS_KEY_ID`));
  const bad = await cli(['list', `oci://${ACR}/team/app`, '--provider', 'oracle']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid --provider "oracle": use generic, aws, azure or gcp/);
  for (const r of [wrong, empty, bad]) assert.doesNotMatch(r.stderr, /\n\s+at /);
});

/** The module URLs a CLI run resolved, recorded by a resolve hook registered with --import. */
async function loadedModules(args: string[], env: Record<string, string> = {}): Promise<{ r: CliResult; urls: string[] }> {
  const dir = await tempDir();
  const log = join(dir, 'modules.log');
  await writeFile(join(dir, 'hooks.mjs'), "import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(process.env.OCIPACK_MODULE_LOG, r.url + '\\n'); return r; }\n");
  await writeFile(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
  await writeFile(log, '');
  const r = await runProcess(process.execPath, ['--import', join(dir, 'register.mjs'), BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: await tempDir('ocipack-home-'), NO_COLOR: '1', NODE_EXTRA_CA_CERTS: caBundle, HTTPS_PROXY: front.proxyUrl, NO_PROXY: '127.0.0.1,localhost', OCIPACK_MODULE_LOG: log, ...env },
  });
  return { r, urls: (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '') };
}

const SDK = /@aws-sdk|@smithy|@azure|google-auth-library|gcp-metadata|credentials\/providers/;

test('start-up: --version and a plain pull load no provider module or cloud SDK; --provider aws does', async () => {
  let plain: RunningRegistry | undefined;
  try {
    plain = await startRegistry({ auth: 'none' });
    const pushed = await ocipack(['push', `oci://${plain.host}/s/app:v1`, '--path', src]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const version = await loadedModules(['--version']);
    assert.equal(version.r.code, 0, version.r.stderr);
    const pull = await loadedModules(['pull', `oci://${plain.host}/s/app:v1`, '-o', await tempDir()]);
    assert.equal(pull.r.code, 0, pull.r.stderr);
    assert.ok(pull.urls.length > 3, 'the hook saw the CLI load');
    for (const u of [...version.urls, ...pull.urls]) assert.doesNotMatch(u, SDK);
    const aws = await loadedModules(['pull', `oci://${ECR}/team/app:v1`, '-o', await tempDir(), '--provider', 'aws'], { ...AWS_ENV, AWS_ENDPOINT_URL_ECR: ecr.url });
    assert.equal(aws.r.code, 0, aws.r.stderr);
    assert.ok(aws.urls.some((u) => u.includes('@aws-sdk/client-ecr')), 'the check can see an SDK when one loads');
    assert.ok(!aws.urls.some((u) => /@azure|google-auth-library/.test(u)), 'only the named provider loads');
  } finally {
    await plain?.stop();
  }
});

test('missing library: an install without the optional SDK says what to install, in one line (exit 1)', async () => {
  // A copy of the package whose node_modules has everything but the cloud SDKs, as `npm i ocipack` leaves it.
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const pkg = join(await tempDir(), 'ocipack');
  await mkdir(join(pkg, 'node_modules'), { recursive: true });
  await cp(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
  await cp(join(root, 'bin'), join(pkg, 'bin'), { recursive: true });
  await cp(join(root, 'package.json'), join(pkg, 'package.json'));
  for (const entry of await readdir(join(root, 'node_modules'))) {
    if (['@aws-sdk', '@azure', 'google-auth-library'].includes(entry)) continue;
    await symlink(join(root, 'node_modules', entry), join(pkg, 'node_modules', entry));
  }
  const r = await runProcess(process.execPath, [join(pkg, 'bin', 'ocipack.js'), 'pull', `oci://${ECR}/team/app:v1`, '-o', await tempDir(), '--provider', 'aws'], {
    env: { PATH: process.env.PATH ?? '', HOME: await tempDir('ocipack-home-'), NO_COLOR: '1', NODE_EXTRA_CA_CERTS: caBundle, HTTPS_PROXY: front.proxyUrl, NO_PROXY: '127.0.0.1,localhost', ...AWS_ENV },
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`✗ pull failed: --provider aws needs @aws-sdk/client-ecr for ${ECR.replace(/\./g, '\\.')}, and it is not installed\n  hint: install it beside ocipack: npm i @aws-sdk/client-ecr`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('flux spelling: --provider on push, pull, diff, list and tag (and --provider=aws), as flux artifact command lines write it', async () => {
  const env = { ...AWS_ENV, AWS_ENDPOINT_URL_ECR: ecr.url };
  const repo = `oci://${ECR}/flux/podinfo-deploy`;
  const out = await tempDir();
  // flux <verb> artifact(s) … → ocipack <verb> …, flags exactly as in flux's docs.
  const lines: string[][] = [
    ['push', `${repo}:v1.0.0`, `--path=${src}`, '--source=https://github.com/stefanprodan/podinfo', '--revision=6.1.6@sha1:82e1d1f', '--provider=aws'],
    ['tag', `${repo}:v1.0.0`, '--tag', 'latest', '--provider', 'aws'],
    ['list', repo, '--provider=aws'],
    ['pull', `${repo}:latest`, `--output=${out}`, '--provider', 'aws'],
    ['diff', `${repo}:v1.0.0`, `--path=${src}`, '--provider=aws'],
  ];
  for (const args of lines) {
    const r = await cli(args, env);
    assert.equal(r.code, 0, `${args.join(' ')}\n${r.stderr}`);
    if (args[0] === 'list') assert.match(r.stdout, /podinfo-deploy:v1\.0\.0/);
  }
  assert.equal(await readFile(join(out, 'app.yaml'), 'utf8'), 'kind: ConfigMap\n');
  for (const provider of ['azure', 'gcp', 'generic']) {
    const host = provider === 'azure' ? ACR : provider === 'gcp' ? GAR : tok.registry.host;
    const penv: Record<string, string> = provider === 'azure' ? { IDENTITY_ENDPOINT: `${msi.url}/msi/token`, IDENTITY_HEADER: IDENTITY_SECRET } : { GCE_METADATA_HOST: gce.host, METADATA_SERVER_DETECTION: 'assume-present' };
    const r = await cli(['push', `oci://${host}/flux/app:v1`, `--path=${src}`, `--provider=${provider}`, ...(provider === 'generic' ? ['--creds', `AWS:${ECR_PASSWORD}`] : [])], penv);
    assert.equal(r.code, 0, `${provider}: ${r.stderr}`);
  }
});
