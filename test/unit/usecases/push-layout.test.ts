/**
 * push into an OCI layout directory, in-process: a tag list gives one manifest every tag; pushing the same
 * content again uploads nothing (and still writes a new tag of the list); a dry run plans and writes
 * nothing; a push signed with a key stores its signature by the artifact; bad input fails before any write.
 */
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OciLayoutStore } from '../../../src/content/layout.js';
import { OcipackError } from '../../../src/core/errors.js';
import { referrersTag } from '../../../src/oci/digest.js';
import { generateKeyPair } from '../../../src/usecases/keys.js';
import { push } from '../../../src/usecases/push.js';

let work: string;
let src: string;
// made here, not with scratchDir: an `after` registered inside a top-level `before` runs when that hook ends
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'ocipack-push-layout-'));
  src = join(work, 'src');
  await mkdir(src);
  await writeFile(join(src, 'deploy.yaml'), 'kind: ConfigMap\nmetadata:\n  name: app\n');
});
after(() => rm(work, { recursive: true, force: true }));

const env = { SOURCE_DATE_EPOCH: '1577836800' };
const open = (dir: string) => OciLayoutStore.open(dir, { create: false });

describe('push into a layout', () => {
  it('a tag list: one manifest under every tag; the same content again uploads nothing', async () => {
    const dir = join(work, 'multi');
    const r = await push({ reference: `${dir}:1.4.2,1.4,latest`, ociLayout: true, path: src, reproducible: true, env, source: 'https://example.com/app', revision: 'main@sha1:0123' });
    assert.equal(r.tag, '1.4.2');
    assert.deepEqual(r.tags, ['1.4.2', '1.4', 'latest']);
    assert.equal(r.unchanged, false);
    assert.equal(r.tagUrl, `${dir}:1.4.2`);
    const store = await open(dir);
    for (const t of r.tags) assert.equal((await store.resolve(t)).digest, r.digest);
    const m = JSON.parse((await store.fetchManifest('latest')).bytes.toString('utf8')) as { annotations: Record<string, string> };
    assert.equal(m.annotations['org.opencontainers.image.source'], 'https://example.com/app');
    assert.equal(m.annotations['org.opencontainers.image.revision'], 'main@sha1:0123');
    assert.equal(m.annotations['org.opencontainers.image.created'], '2020-01-01T00:00:00Z');

    const again = await push({ reference: `${dir}:1.4.2,stable`, ociLayout: true, path: src, reproducible: true, env, source: 'https://example.com/app', revision: 'main@sha1:0123' });
    assert.equal(again.unchanged, true);
    assert.equal(again.digest, r.digest);
    assert.equal((await (await open(dir)).resolve('stable')).digest, r.digest, 'the new tag of the list is written');
  });

  it('a dry run plans the upload and writes nothing, not even the directory', async () => {
    const dir = join(work, 'dry');
    const r = await push({ reference: `${dir}:v1`, ociLayout: true, path: src, env, dryRun: true });
    assert.deepEqual(r.plan?.blobs.map((b) => b.action), ['upload', 'upload']);
    assert.equal(r.plan?.previous, undefined);
    await assert.rejects(access(dir));
  });

  it('with a key: the signature is stored by the artifact', async () => {
    const keys = await generateKeyPair({ dir: work, password: 'pw', env: {} });
    const dir = join(work, 'signed');
    const r = await push({ reference: `${dir}:v1`, ociLayout: true, path: src, env, signKey: keys.privateKeyPath, signPassword: 'pw' });
    assert.ok(r.signature, 'a signature outcome');
    const tags = await (await open(dir)).listTags();
    assert.ok(tags.includes(referrersTag(r.digest)), tags.join(' '));
    const legacy = await push({ reference: `${dir}:v2`, ociLayout: true, path: src, env: { ...env, COSIGN_PASSWORD: 'pw' }, signKey: keys.privateKeyPath, signatureFormat: 'legacy', annotations: ['team=a'] });
    assert.ok((await (await open(dir)).listTags()).includes(`${referrersTag(legacy.digest)}.sig`));
  });

  it('bad input fails before anything is written', async () => {
    const dir = join(work, 'bad');
    const cases: Array<[Partial<Parameters<typeof push>[0]>, RegExp]> = [
      [{ path: '' }, /`path` is required/],
      [{ path: join(work, 'missing') }, /does not exist/],
      [{ annotations: ['no-equals'] }, /invalid annotation "no-equals"/],
      [{ signKey: join(work, 'nokey') }, /no such file/],
    ];
    for (const [o, message] of cases) {
      await assert.rejects(push({ reference: `${dir}:v1`, ociLayout: true, path: src, env, ...o }), (e: unknown) => e instanceof OcipackError && e.code === 'USAGE' && message.test(e.message), JSON.stringify(o));
    }
    await assert.rejects(access(dir));
  });
});
