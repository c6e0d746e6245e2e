import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it, beforeEach, afterEach } from 'node:test';
import { gzipSync } from 'node:zlib';
import { OcipackError } from '../../../../src/core/errors.js';
import { readTarEntries, unpackStream, type UnpackOptions } from '../../../../src/artifact/tar/unpack.js';
import { buildTar, buildTarGz, dir, file, type RawEntry } from '../../../helpers/tarbuilder.js';
import { hintFor } from '../../../../src/cli/hints.js';

const unpackFile = (archive: string, opts: UnpackOptions) => unpackStream(createReadStream(archive), opts);

let work: string;
let target: string;

beforeEach(async () => {
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'ocipack-unpack-'));
  target = path.join(work, 'out');
});
afterEach(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

async function archive(entries: RawEntry[] | Buffer, gz = true): Promise<string> {
  const bytes = Buffer.isBuffer(entries) ? entries : gz ? buildTarGz(entries) : buildTar(entries);
  const file = path.join(work, `layer-${Math.random().toString(36).slice(2)}.tar.gz`);
  await fsp.writeFile(file, bytes);
  return file;
}

async function extract(entries: RawEntry[] | Buffer, opts: Partial<UnpackOptions> = {}) {
  const warnings: string[] = [];
  const result = await unpackFile(await archive(entries), { target, onWarning: (m) => warnings.push(m), ...opts });
  return { result, warnings };
}

/** Asserts the extraction fails with `code` (and message pattern), and that nothing was left behind. */
async function rejects(entries: RawEntry[] | Buffer, code: string, message?: RegExp, opts: Partial<UnpackOptions> = {}) {
  const before = await listing(work);
  await assert.rejects(extract(entries, opts), (err: unknown) => {
    assert.ok(err instanceof OcipackError, `expected OcipackError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
  // Only the archive file itself is new: no target, no staging directory, nothing outside.
  const after = (await listing(work)).filter((p) => !/^layer-.*\.tar\.gz$/.test(p));
  assert.deepEqual(after, before.filter((p) => !/^layer-.*\.tar\.gz$/.test(p)));
}

/** Every path below `root`, sorted, with symlinks marked. */
async function listing(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const ent of await fsp.readdir(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      out.push(ent.isSymbolicLink() ? `${r}@` : ent.isDirectory() ? `${r}/` : r);
      if (ent.isDirectory()) await walk(path.join(dir, ent.name), r);
    }
  };
  await walk(root, '');
  return out.sort();
}

describe('unpack: well-formed archives', () => {
  it('extracts files and directories with their content and safe modes', async () => {
    const { result } = await extract([dir('d/'), file('d/a.txt', 'alpha'), file('run.sh', '#!/bin/sh\n', 0o755), file('top.txt', 'top')]);
    assert.deepEqual(result, { files: 3, dirs: 1, bytes: 5 + 10 + 3, skipped: [] });
    assert.equal(await fsp.readFile(path.join(target, 'd/a.txt'), 'utf8'), 'alpha');
    assert.equal((await fsp.stat(path.join(target, 'run.sh'))).mode & 0o100, 0o100);
    assert.equal((await fsp.stat(path.join(target, 'top.txt'))).mode & 0o111, 0);
  });

  it('accepts plain (not gzipped) tar', async () => {
    const file1 = await archive([file('x', 'plain')], false);
    await unpackFile(file1, { target });
    assert.equal(await fsp.readFile(path.join(target, 'x'), 'utf8'), 'plain');
  });

  it('accepts flux-style archives: a "." root entry and directories without a trailing slash', async () => {
    await extract([dir('.'), dir('deploy'), file('deploy/app.yaml', 'kind: X'), dir('./')]);
    assert.deepEqual(await listing(target), ['deploy/', 'deploy/app.yaml']);
  });

  it('creates missing parent directories of a file', async () => {
    await extract([file('a/b/c.txt', 'c')]);
    assert.equal(await fsp.readFile(path.join(target, 'a/b/c.txt'), 'utf8'), 'c');
  });

  it('extracts an empty archive into an empty target', async () => {
    const { result } = await extract(Buffer.alloc(1024));
    assert.equal(result.files, 0);
    assert.deepEqual(await listing(target), []);
  });

  it('strips setuid, setgid and sticky bits and keeps files owner-readable', async () => {
    await extract([file('suid', 'x', 0o4755), file('sgid', 'x', 0o2755), file('locked', 'x', 0o000), dir('sticky/', 0o1777)]);
    for (const name of ['suid', 'sgid', 'locked', 'sticky']) {
      const { mode } = await fsp.stat(path.join(target, name));
      assert.equal(mode & 0o7000, 0, `${name} keeps special bits: ${mode.toString(8)}`);
      assert.equal(mode & 0o600, 0o600, `${name} is not owner-readable/writable`);
    }
  });

  it('uses the PAX path and a GNU long name as the entry name', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(130)}.txt`;
    await extract([
      { ...file('ignored-ustar-name', 'pax'), pax: { path: 'from-pax/é.txt' } },
      { ...file('ignored-too', 'gnu'), gnuLongName: `${long}\0` },
    ]);
    assert.equal(await fsp.readFile(path.join(target, 'from-pax/é.txt'), 'utf8'), 'pax');
    assert.equal(await fsp.readFile(path.join(target, long), 'utf8'), 'gnu');
    assert.ok(!(await listing(target)).some((p) => p.startsWith('ignored')));
  });

  it('skips symlinks with a warning naming each one and creates no link', async () => {
    const { result, warnings } = await extract([file('a', 'a'), { name: 'link', type: '2', linkname: 'a' }, { name: 'abs', type: '2', linkname: '/etc/passwd' }]);
    assert.deepEqual(result.skipped, ['link', 'abs']);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /"link"/);
    assert.match(warnings[1] ?? '', /"abs"/);
    assert.deepEqual(await listing(target), ['a']);
  });

  it('extracts under a sub-directory', async () => {
    await extract([file('Chart.yaml', 'name: c')], { subdir: 'mychart' });
    assert.equal(await fsp.readFile(path.join(target, 'mychart/Chart.yaml'), 'utf8'), 'name: c');
    await assert.rejects(extract([file('x')], { subdir: '../up' }), { code: 'BAD_INPUT' });
  });

  it('overwrites files in an existing target and keeps the others', async () => {
    await fsp.mkdir(path.join(target, 'd'), { recursive: true });
    await fsp.writeFile(path.join(target, 'd/a.txt'), 'old');
    await fsp.writeFile(path.join(target, 'keep.txt'), 'mine');
    await extract([dir('d/'), file('d/a.txt', 'new'), file('b.txt', 'b')]);
    assert.equal(await fsp.readFile(path.join(target, 'd/a.txt'), 'utf8'), 'new');
    assert.equal(await fsp.readFile(path.join(target, 'keep.txt'), 'utf8'), 'mine');
    assert.deepEqual(await listing(work).then((l) => l.filter((p) => p.includes('staging'))), []);
  });

  it('moves entries into an existing empty target (the directory itself stays)', async () => {
    await fsp.mkdir(target);
    const ino = (await fsp.stat(target)).ino;
    await extract([file('x', 'x')]);
    assert.equal((await fsp.stat(target)).ino, ino);
    assert.deepEqual(await listing(target), ['x']);
  });

  it('refuses a target that is a file', async () => {
    await fsp.writeFile(target, 'not a dir');
    await assert.rejects(extract([file('x')]), { code: 'USAGE' });
  });

  for (const format of ['gnu', 'pax', 'ustar']) {
    it(`extracts what GNU tar --format=${format} writes (./ prefixes, long names)`, async () => {
      const src = path.join(work, 'src');
      const long = format === 'ustar' ? 'l'.repeat(90) : `${'l'.repeat(120)}/${'m'.repeat(130)}.yaml`;
      await fsp.mkdir(path.join(src, path.dirname(long), 'sub'), { recursive: true });
      await fsp.writeFile(path.join(src, long), 'long');
      await fsp.writeFile(path.join(src, 'sub.txt'), 'sub');
      const file1 = path.join(work, `gnu-${format}.tar.gz`);
      execFileSync('tar', [`--format=${format}`, '-czf', file1, '-C', src, '.']);
      await unpackFile(file1, { target });
      assert.equal(await fsp.readFile(path.join(target, long), 'utf8'), 'long');
      assert.equal(await fsp.readFile(path.join(target, 'sub.txt'), 'utf8'), 'sub');
    });
  }

  it('reads from a stream too', async () => {
    await unpackStream(Readable.from([buildTarGz([file('s', 'stream')])]), { target });
    assert.equal(await fsp.readFile(path.join(target, 's'), 'utf8'), 'stream');
  });
});

describe('unpack: hostile names', () => {
  const cases: Array<[string, RawEntry[]]> = [
    ['parent traversal', [file('../x', 'evil')]],
    ['absolute path', [file('/tmp/ocipack-evil-abs', 'evil')]],
    ['.. in the middle', [file('a/../../x', 'evil')]],
    ['backslash', [file('..\\x', 'evil')]],
    ['drive letter', [file('C:/x', 'evil')]],
    ['PAX path override with ..', [{ ...file('innocent.txt', 'evil'), pax: { path: '../x' } }]],
    ['PAX path override absolute', [{ ...file('innocent.txt', 'evil'), pax: { path: '/tmp/ocipack-evil-pax' } }]],
    ['GNU long name with ..', [{ ...file('innocent.txt', 'evil'), gnuLongName: `a/${'b/'.repeat(60)}../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../x\0` }]],
    ['ustar prefix with ..', [{ ...file('x', 'evil'), prefix: '..' }]],
    ['NUL in a PAX path', [{ ...file('innocent.txt', 'evil'), pax: { path: Buffer.from('a\0/../../x') } }]],
    ['NUL inside a GNU long name', [{ ...file('innocent.txt', 'evil'), gnuLongName: Buffer.from('a\0../../x\0') }]],
  ];
  for (const [title, entries] of cases) {
    it(`refuses ${title}`, async () => {
      await rejects([file('first.txt', 'ok'), ...entries], 'UNSAFE');
      await assert.rejects(fsp.access('/tmp/ocipack-evil-abs'));
      await assert.rejects(fsp.access('/tmp/ocipack-evil-pax'));
    });
  }

  it('cuts a ustar name at its NUL like every tar reader (nothing escapes)', async () => {
    await extract([file(Buffer.from('a\0/../../x') as unknown as string, 'nul')]);
    assert.deepEqual(await listing(work).then((l) => l.filter((p) => !p.startsWith('layer-'))), ['out/', 'out/a']);
  });

  it('refuses a file written through a symlink that points outside', async () => {
    const outside = path.join(work, 'outside');
    await fsp.mkdir(outside);
    await rejects([{ name: 'link', type: '2', linkname: outside }, file('link/evil', 'evil')], 'UNSAFE', /below symlink "link"/);
    assert.deepEqual(await listing(outside), []);
  });

  const special: Array<[string, RawEntry, RegExp]> = [
    ['hard link', { name: 'hl', type: '1', linkname: 'first.txt' }, /refusing hard link entry "hl"/],
    ['hard link to outside', { name: 'hl', type: '1', linkname: '../../etc/passwd' }, /hard link/],
    ['character device', { name: 'null', type: '3' }, /device/],
    ['block device', { name: 'sda', type: '4' }, /device/],
    ['FIFO', { name: 'pipe', type: '6' }, /FIFO/],
  ];
  for (const [title, entry, message] of special) {
    it(`refuses a ${title}`, async () => {
      await rejects([file('first.txt', 'ok'), entry], 'UNSAFE', message);
    });
  }

  const duplicates: Array<[string, RawEntry[]]> = [
    ['a file twice', [file('a', '1'), file('a', '2')]],
    ['a and ./a', [file('a', '1'), file('./a', '2')]],
    ['a dir twice (d/ and ./d)', [dir('d/'), dir('./d')]],
    ['a file and a dir of one name', [file('a', '1'), dir('a/')]],
    ['a file below a file', [file('a', '1'), file('a/b', '2')]],
    ['a file after files below it', [file('a/b', '1'), file('a', '2')]],
    ['a symlink then a file of its name', [{ name: 'l', type: '2', linkname: 'x' }, file('l', 'x')]],
    ['double slashes', [file('d/x', '1'), file('d//x', '2')]],
  ];
  for (const [title, entries] of duplicates) {
    it(`refuses ${title}`, async () => {
      await rejects(entries, 'UNSAFE');
    });
  }

  it('leaves an existing target untouched when a late entry is hostile', async () => {
    await fsp.mkdir(target);
    await fsp.writeFile(path.join(target, 'keep'), 'old');
    await assert.rejects(extract([file('keep', 'new'), file('added', 'x'), file('../x', 'evil')]), { code: 'UNSAFE' });
    assert.deepEqual(await listing(target), ['keep']);
    assert.equal(await fsp.readFile(path.join(target, 'keep'), 'utf8'), 'old');
    assert.deepEqual((await listing(work)).filter((p) => !p.startsWith('layer-')), ['out/', 'out/keep']);
  });
});

describe('unpack: caps and broken archives', () => {
  it('caps the number of entries', async () => {
    await rejects([file('a'), file('b'), file('c')], 'CAP', /exceeds 2 entries/, { maxEntries: 2 });
    await extract([file('a'), file('b')], { maxEntries: 2 });
  });

  it('caps decompressed bytes, counted from the stream (a gzip bomb)', async () => {
    const bomb = buildTarGz([file('zeros', Buffer.alloc(8 * 1024 * 1024))]);
    assert.ok(bomb.length < 64 * 1024);
    await assert.rejects(extract(bomb, { maxLayerBytes: 1024 * 1024 }), (err: OcipackError) => {
      assert.equal(err.code, 'CAP');
      assert.match(hintFor(err) ?? '', /--max-layer-size/);
      return true;
    });
    await assert.rejects(fsp.access(target));
  });

  it('caps a header that lies about the size by the real bytes (no trust in header sizes)', async () => {
    const lying = buildTar([{ ...file('big', Buffer.alloc(4096)), size: 4096 }]);
    await rejects(gzipSync(lying), 'CAP', undefined, { maxLayerBytes: 2048 });
  });

  it('caps path length and depth', async () => {
    await rejects([file(`${'a'.repeat(40)}/${'b'.repeat(40)}`)], 'CAP', /exceeds 64 bytes/, { maxPathBytes: 64 });
    await extract([file(`${'a'.repeat(31)}/${'b'.repeat(32)}`)], { maxPathBytes: 64 });
    await rejects([file('a/b/c/d/e')], 'CAP', /deeper than 3/, { maxDepth: 3 });
  });

  it('rejects a checksum failure, a truncated archive, garbage and double gzip', async () => {
    await rejects([{ ...file('a', 'x'), badChecksum: true }], 'BAD_INPUT');
    const truncated = buildTar([file('a', Buffer.alloc(2000, 1))], { end: false }).subarray(0, 1024);
    await rejects(gzipSync(truncated), 'BAD_INPUT', /truncated/i);
    await rejects(Buffer.from('this is not a tar archive at all, not even close'.repeat(20)), 'BAD_INPUT');
    await rejects(gzipSync(gzipSync(buildTar([file('a', 'x')]))), 'BAD_INPUT', /compressed twice/);
    await rejects(buildTarGz([file('a', 'x')]).subarray(0, 20), 'BAD_INPUT');
  });

  it('rejects an extended header too large to read (it would change the next name)', async () => {
    const huge = Buffer.from(`${'x'.repeat(1024 * 1024 + 10)}\n`);
    await rejects([{ ...file('a', 'x'), paxRaw: huge }], 'BAD_INPUT', /extended header/);
  });

  it('stops on cancellation and removes the staging directory', async () => {
    const ac = new AbortController();
    ac.abort();
    await rejects([file('a', 'x')], 'CANCELLED', undefined, { signal: ac.signal });
    const ac2 = new AbortController();
    let seen = 0;
    await rejects([file('a', Buffer.alloc(4 * 1024 * 1024, 7)), file('b', 'x')], 'CANCELLED', undefined, {
      signal: ac2.signal,
      onProgress: (n) => {
        seen = n;
        if (n > 100_000) ac2.abort();
      },
    });
    assert.ok(seen > 100_000);
  });
});

describe('readTarEntries', () => {
  it('hashes every file without extracting and reports dirs and others', async () => {
    const file1 = await archive([dir('./'), dir('d/'), file('d/a', 'alpha', 0o755), { name: 'l', type: '2', linkname: 'd/a' }, { name: 'h', type: '1', linkname: 'd/a' }]);
    const seen: unknown[] = [];
    await readTarEntries(createReadStream(file1), (e) => seen.push(e));
    assert.deepEqual(seen, [
      { path: 'd', mode: 0o755, type: 'dir', size: 0 },
      { path: 'd/a', mode: 0o755, type: 'file', size: 5, sha256: '8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8' },
      { path: 'l', mode: 0o644, type: 'other', size: 0 },
      { path: 'h', mode: 0o644, type: 'other', size: 0 },
    ]);
    await assert.rejects(fsp.access(target));
  });

  it('applies the same name rules', async () => {
    const file1 = await archive([file('../x', 'evil')]);
    await assert.rejects(readTarEntries(createReadStream(file1), () => {}), { code: 'UNSAFE' });
  });
});
