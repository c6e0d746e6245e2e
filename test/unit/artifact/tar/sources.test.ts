import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { OcipackError } from '../../../../src/core/errors.js';
import { packToFile } from '../../../../src/artifact/tar/pack.js';
import { comparePaths, parseSources } from '../../../../src/artifact/tar/sources.js';

let work: string;
beforeEach(async () => { work = await fsp.mkdtemp(path.join(os.tmpdir(), 'ocipack-sources-')); });
afterEach(async () => { await fsp.rm(work, { recursive: true, force: true }); });

async function tree(root: string, files: Record<string, string>): Promise<string> {
  for (const [rel, content] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fsp.writeFile(path.join(root, rel), content);
  }
  await fsp.mkdir(root, { recursive: true });
  return root;
}

function list(file: string): string[] {
  return execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
}

describe('several sources, one layer', () => {
  it('parseSources: <src>[=<target>], split at the last "=" unless the whole value exists', async () => {
    const odd = await tree(path.join(work, 'a=b'), { 'x.yaml': 'x' });
    assert.deepEqual(parseSources(['dir', 'dir2=apps/extra', 'f.yaml=cfg/', '-=in/s.yaml', './x=./a//b/']).map((s) => [s.path, s.target]),
      [['dir', ''], ['dir2', 'apps/extra'], ['f.yaml', 'cfg/'], ['-', 'in/s.yaml'], ['./x', 'a/b/']]);
    assert.deepEqual(parseSources(odd).map((s) => [s.path, s.target]), [[odd, '']]);
    assert.deepEqual(parseSources(`${odd}=.`).map((s) => [s.path, s.target]), [[odd, '']]);
    for (const bad of [['x=/abs'], ['x=../up'], ['x=a\\b'], ['=t'], ['-', '-'], []]) {
      assert.throws(() => parseSources(bad), (err: unknown) => err instanceof OcipackError && err.code === 'USAGE', JSON.stringify(bad));
    }
  });

  it('archive order is depth-first by component bytes (a before a-c before a/b is wrong: a, a/b, a-c)', () => {
    assert.deepEqual(['a-c', 'a/b', 'a', 'B', 'a/b/c'].sort(comparePaths), ['B', 'a', 'a/b', 'a/b/c', 'a-c']);
  });

  it('places each source at its target, with parent directories, deterministically', async () => {
    const d1 = await tree(path.join(work, 'd1'), { 'apps/base.yaml': 'base', 'a-c.yaml': 'ac', 'logo.png': 'ignored' });
    const d2 = await tree(path.join(work, 'd2'), { 'extra.yaml': 'extra', '.sourceignore': 'skip.yaml\n', 'skip.yaml': 's' });
    const f = path.join(work, 'one.yaml');
    await fsp.writeFile(f, 'one');
    const paths = [d1, `${d2}=apps/extra`, f, `${f}=cfg/`, `${f}=cfg/renamed.yaml`, '-=in/stdin.yaml'];
    const run = async (n: number) => packToFile({ path: paths, stdin: Readable.from([Buffer.from('from stdin')]) }, path.join(work, `o${n}.tgz`));
    const first = await run(1);
    const again = await run(2);
    assert.equal(first.digest, again.digest, 'same sources, same digest');
    assert.deepEqual(list(first.file), [
      'a-c.yaml', 'apps/', 'apps/base.yaml', 'apps/extra/', 'apps/extra/.sourceignore', 'apps/extra/extra.yaml',
      'cfg/', 'cfg/one.yaml', 'cfg/renamed.yaml', 'in/', 'in/stdin.yaml', 'one.yaml',
    ]);
    assert.equal(execFileSync('tar', ['-xzOf', first.file, 'in/stdin.yaml'], { encoding: 'utf8' }), 'from stdin');
  });

  it('a single source without a target packs exactly as before (same digest as the plain path)', async () => {
    const d = await tree(path.join(work, 'd'), { 'a/b.yaml': 'b', 'a-c.yaml': 'c' });
    const plain = await packToFile({ path: d }, path.join(work, 'p.tgz'));
    const listed = await packToFile({ path: [d] }, path.join(work, 'l.tgz'));
    assert.equal(listed.digest, plain.digest);
  });

  it('a collision is a usage error naming the path and both sources', async () => {
    const d1 = await tree(path.join(work, 'd1'), { 'apps/x.yaml': '1' });
    const d2 = await tree(path.join(work, 'd2'), { 'x.yaml': '2' });
    await assert.rejects(packToFile({ path: [d1, `${d2}=apps`] }, path.join(work, 'c.tgz')), (err: unknown) => {
      assert.ok(err instanceof OcipackError && err.code === 'USAGE', String(err));
      assert.match(err.message, /"apps\/x\.yaml" would come from two sources: `path` ".*d1" and `path` ".*d2=apps"/);
      return true;
    });
    const f = path.join(work, 'apps');
    await fsp.writeFile(f, 'file named like a dir');
    await assert.rejects(packToFile({ path: [d1, f] }, path.join(work, 'c2.tgz')), /"apps" would come from two sources/);
  });
});
