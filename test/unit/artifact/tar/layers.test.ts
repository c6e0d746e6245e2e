import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { OcipackError } from '../../../../src/core/errors.js';
import { flattenLayers } from '../../../../src/artifact/tar/flatten.js';
import { filesAsTar } from '../../../../src/artifact/tar/synth.js';
import { readTar } from '../../../../src/artifact/tar/read.js';
import { DEFAULTS } from '../../../../src/core/defaults.js';
import { createZstdDecompressor, sniffFormat, zstdSupported } from '../../../../src/artifact/tar/zstd.js';
import { buildTar, buildTarGz, dir, file, type RawEntry } from '../../../helpers/tarbuilder.js';

let work: string;
beforeEach(async () => { work = await fsp.mkdtemp(path.join(os.tmpdir(), 'ocipack-layers-')); });
afterEach(async () => { await fsp.rm(work, { recursive: true, force: true }); });

/** path → content ('/' suffix for directories) of a tar stream, read with the safe reader. */
async function contents(source: Readable, onFormat?: (f: string) => void): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await readTar(source, (item) => {
    if (item.kind === 'dir') {
      out[`${item.path}/`] = '';
      return undefined;
    }
    const chunks: Buffer[] = [];
    return { write: (c) => void chunks.push(c), end: () => void (out[item.path] = Buffer.concat(chunks).toString()) };
  }, onFormat ? { onFormat } : {});
  return out;
}

describe('flattenLayers: layers in order with OCI whiteouts', () => {
  it('upper files win, .wh.<name> deletes, .wh..wh..opq hides a directory\'s lower contents, a file hides a lower directory', async () => {
    const layers: RawEntry[][] = [
      [dir('etc'), file('etc/a.conf', 'a0'), file('etc/b.conf', 'b0'), dir('opt'), file('opt/x', 'x0'), dir('var'), file('var/log', 'l0'), dir('gone'), file('gone/f', 'g')],
      [file('etc/a.conf', 'a1'), file('etc/.wh.b.conf'), file('opt/.wh..wh..opq'), file('opt/y', 'y1'), file('.wh.gone')],
      [file('var', 'now a file'), file('new.txt', 'n2')],
    ];
    const files = await Promise.all(layers.map(async (entries, i) => {
      const f = path.join(work, `l${i}`);
      await fsp.writeFile(f, i === 1 ? buildTar(entries) : buildTarGz(entries));
      return f;
    }));
    const flat = path.join(work, 'flat.tar');
    const r = await flattenLayers(files.map((f, i) => ({ label: `layer ${i}`, open: () => streamOf(f) })), flat);
    assert.deepEqual(await contents(streamOf(flat)), {
      'etc/': '', 'etc/a.conf': 'a1', 'opt/': '', 'opt/y': 'y1', var: 'now a file', 'new.txt': 'n2',
    });
    assert.ok(r.hidden >= 4, `hidden ${r.hidden}`);
    assert.match(execFileSync('tar', ['-tf', flat], { encoding: 'utf8' }), /etc\/a\.conf/);
  });

  it('keeps the reader\'s rules: a hard link in any layer is refused', async () => {
    const f = path.join(work, 'bad');
    await fsp.writeFile(f, buildTar([file('a', 'x'), { name: 'b', type: '1', linkname: 'a' }]));
    await assert.rejects(flattenLayers([{ label: 'l0', open: () => streamOf(f) }], path.join(work, 'o.tar')),
      (err: unknown) => err instanceof OcipackError && err.code === 'UNSAFE');
  });
});

describe('raw layers as tar entries, and zstd', () => {
  it('filesAsTar: names and bytes as given; a short body fails with VERIFY', async () => {
    const body = Buffer.from('kind: ConfigMap\r\n\u0000end');
    const tar = filesAsTar([{ name: 'cfg/app.yaml', size: body.length, open: () => Readable.from([body]) }, { name: 'empty', size: 0, open: () => Readable.from([]) }]);
    assert.deepEqual(await contents(tar), { 'cfg/app.yaml': body.toString(), empty: '' });
    const short = filesAsTar([{ name: 'x', size: 10, open: () => Readable.from([Buffer.from('abc')]) }]);
    await assert.rejects(contents(short), (err: unknown) => err instanceof OcipackError && err.code === 'VERIFY');
  });

  it('a zstd tar (made by the zstd tool) reads by its magic bytes, through this Node\'s decoder', async () => {
    const tar = path.join(work, 'l.tar');
    await fsp.writeFile(tar, buildTar([dir('app'), file('app/a.yaml', 'a: 1\n'), file('big.bin', Buffer.alloc(300_000, 7))]));
    execFileSync('zstd', ['-q', '-19', tar, '-o', `${tar}.zst`]);
    const zst = await fsp.readFile(`${tar}.zst`);
    assert.equal(sniffFormat(zst), 'zstd');
    const formats: string[] = [];
    const got = await contents(Readable.from([zst.subarray(0, 7), zst.subarray(7)]), (f) => formats.push(f));
    assert.deepEqual(formats, ['zstd']);
    assert.equal(got['app/a.yaml'], 'a: 1\n');
    assert.equal(got['big.bin']!.length, 300_000);
    assert.ok(zstdSupported());
    const truncated = contents(Readable.from([zst.subarray(0, zst.length - 20)]));
    // Node's zlib may end a cut frame quietly: then the tar reader finds the archive cut
    await assert.rejects(truncated, (err: unknown) => err instanceof OcipackError && err.code === 'BAD_INPUT' && /zstd|truncated/i.test(err.message));
    const d = createZstdDecompressor(DEFAULTS.decompressChunkBytes);
    assert.equal(typeof d.pipe, 'function');
  });
});

function streamOf(file: string): Readable {
  return Readable.from((async function* () { yield await fsp.readFile(file); })());
}
