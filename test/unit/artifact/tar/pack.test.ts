import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, it, beforeEach, afterEach } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { DEFAULTS } from '../../../../src/core/defaults.js';
import { OcipackError } from '../../../../src/core/errors.js';
import { listEntries, packEntriesToFile, packToFile, packToStream, type PackOptions } from '../../../../src/artifact/tar/pack.js';
import { unpackStream } from '../../../../src/artifact/tar/unpack.js';
import { hintFor } from '../../../../src/cli/hints.js';
import { GZIP_CHUNK_BYTES } from '../../../../src/artifact/tar/gzip.js';
import { guardFiles } from '../../../../src/artifact/guard.js';
import { FindingsError } from '../../../../src/core/findings.js';
import { errorLine } from '../../../../src/cli/run.js';

const unpackFile = (archive: string, opts: { target: string }) => unpackStream(createReadStream(archive), opts);

let work: string;
beforeEach(async () => {
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'ocipack-pack-'));
});
afterEach(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

type Tree = Record<string, string | { content: string; mode: number } | null>;

/** Writes a tree: `name/` keys (value null) are directories, others files. */
async function makeTree(root: string, tree: Tree, fileMode = 0o644, dirMode = 0o755): Promise<string> {
  await fsp.mkdir(root, { recursive: true });
  for (const [name, value] of Object.entries(tree)) {
    const abs = path.join(root, name);
    if (value === null) {
      await fsp.mkdir(abs, { recursive: true, mode: dirMode });
      await fsp.chmod(abs, dirMode);
      continue;
    }
    await fsp.mkdir(path.dirname(abs), { recursive: true });
    const { content, mode } = typeof value === 'string' ? { content: value, mode: fileMode } : value;
    await fsp.writeFile(abs, content);
    await fsp.chmod(abs, mode);
  }
  return root;
}

async function pack(opts: Partial<PackOptions> & { path: string }) {
  const warnings: string[] = [];
  const out = path.join(work, `out-${Math.random().toString(36).slice(2)}.tar.gz`);
  const result = await packToFile({ onWarning: (m) => warnings.push(m), ...opts }, out);
  return { result, warnings, bytes: await fsp.readFile(out) };
}

/** Entry names as GNU tar lists them (literal: in the C locale of a bare CI machine tar prints é as \303\251). */
function gnuList(file: string): string[] {
  return execFileSync('tar', ['--quoting-style=literal', '-tzf', file], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const SAMPLE: Tree = {
  'deploy/': null,
  'deploy/app.yaml': 'kind: Deployment\n',
  'deploy/svc.yaml': 'kind: Service\n',
  'run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
  'README.md': '# readme\n',
  'a-b': 'dash',
  'a/': null,
  'a/z': 'z',
  'a.txt': 'dot',
};

describe('pack: format', () => {
  it('writes a deterministic tar+gzip whose digests and sizes match the bytes', async () => {
    const src = await makeTree(path.join(work, 'src'), SAMPLE);
    const { result, bytes } = await pack({ path: src });
    const tar = gunzipSync(bytes);
    assert.equal(result.digest, sha(bytes));
    assert.equal(result.size, bytes.length);
    assert.equal(result.diffId, sha(tar));
    assert.equal(result.tarSize, tar.length);
    assert.equal(result.entries, 9);
    // gzip header: no FNAME/flags, MTIME 0, OS byte 255 whatever the platform.
    assert.deepEqual([...bytes.subarray(0, 4)], [0x1f, 0x8b, 8, 0]);
    assert.equal(bytes.readUInt32LE(4), 0);
    assert.equal(bytes[9], 255);
    // Go archive/tar ends with two zero blocks and no record padding.
    assert.equal(tar.length % 512, 0);
    assert.ok(tar.subarray(tar.length - 1024).every((b) => b === 0));
    assert.ok(tar.subarray(tar.length - 1536, tar.length - 1024).some((b) => b !== 0));
    execFileSync('gzip', ['-t', result.file]);
  });

  it('lists entries in byte-wise sorted depth-first order, directories first, with normalised headers', async () => {
    const src = await makeTree(path.join(work, 'src'), { ...SAMPLE, 'B/': null, 'B/x': 'x', 'é.txt': 'e' });
    const { result } = await pack({ path: src });
    assert.deepEqual(gnuList(result.file), [
      'B/', 'B/x', 'README.md', 'a/', 'a/z', 'a-b', 'a.txt', 'deploy/', 'deploy/app.yaml', 'deploy/svc.yaml', 'run.sh', 'é.txt',
    ]);
    const verbose = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvzf', result.file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    for (const line of verbose.trim().split('\n')) {
      assert.match(line, /^(-rw-r--r--|-rwxr-xr-x|drwxr-xr-x) 0\/0 +\d+ 1970-01-01 00:00:00 /, line);
    }
    assert.match(verbose, /-rwxr-xr-x 0\/0 +18 1970-01-01 00:00:00 run\.sh/);
    assert.match(verbose, /-rw-r--r-- 0\/0 +3 1970-01-01 00:00:00 a\.txt/);
  });

  it('gives the same digests for the same tree whatever the mtimes, order of creation and non-owner-exec bits', async () => {
    const one = await makeTree(path.join(work, 'one'), SAMPLE, 0o644, 0o755);
    const reversed = Object.fromEntries(Object.entries(SAMPLE).reverse());
    const two = await makeTree(path.join(work, 'two'), { ...reversed, 'run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o700 } }, 0o600, 0o700);
    await fsp.chmod(path.join(two, 'README.md'), 0o666);
    const old = new Date('2001-02-03T04:05:06Z');
    await fsp.utimes(path.join(two, 'deploy/app.yaml'), old, old);
    await fsp.utimes(path.join(two, 'deploy'), old, old);
    const a = await pack({ path: one });
    const b = await pack({ path: two });
    assert.equal(b.result.diffId, a.result.diffId);
    assert.equal(b.result.digest, a.result.digest);
    assert.deepEqual(b.bytes, a.bytes);
  });

  it('writes ustar bytes identical to GNU tar --format=ustar with the same normalised metadata', async () => {
    const src = await makeTree(path.join(work, 'src'), {
      ...SAMPLE,
      [`${'q'.repeat(60)}/${'r'.repeat(60)}/x.yaml`]: 'split prefix/name',
    });
    const { bytes } = await pack({ path: src });
    const names = (await listEntries({ path: src })).map((e) => e.path);
    const list = path.join(work, 'names');
    await fsp.writeFile(list, `${names.join('\n')}\n`);
    const gnu = execFileSync('tar', [
      '--format=ustar', '-b1', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--no-recursion',
      '-cf', '-', '-C', src, '-T', list,
    ]);
    assert.equal(gunzipSync(bytes).length, gnu.length);
    assert.ok(gunzipSync(bytes).equals(gnu), 'tar bytes differ from GNU tar');
  });

  it('keeps a golden diff_id for a fixed tree (the tar bytes never depend on zlib)', async () => {
    const src = await makeTree(path.join(work, 'src'), SAMPLE);
    const { result } = await pack({ path: src });
    assert.equal(result.diffId, 'sha256:4bc2bc9434564284ceea6b283d0ab6154df7c26bcfc033173718b672e68a08a5');
  });

  it('packs an empty directory as an archive with only the end marker when allowEmpty', async () => {
    const src = await makeTree(path.join(work, 'empty'), {});
    const { result, bytes } = await pack({ path: src, allowEmpty: true });
    assert.equal(result.entries, 0);
    assert.deepEqual(gunzipSync(bytes), Buffer.alloc(1024));
  });

  it('refuses an empty tree, and one whose every file is ignored, naming the path and the rules', async () => {
    const empty = await makeTree(path.join(work, 'empty'), {});
    await assert.rejects(pack({ path: empty }), (err: unknown) => err instanceof OcipackError && err.code === 'USAGE'
      && err.message.includes(`"${empty}" holds no files`) && /--allow-empty/.test(hintFor(err) ?? ''));
    const src = await makeTree(path.join(work, 'ignored'), {
      'logo.png': 'x', 'sub/a.yaml': 'a: 1\n', '.sourceignore': 'sub/\n',
    });
    await assert.rejects(pack({ path: src, addIgnorePaths: ['.sourceignore'] }), (err: unknown) => {
      assert.ok(err instanceof OcipackError && err.code === 'USAGE', String(err));
      assert.match(err.message, /every file in ".*ignored" is ignored \(3 path\(s\) left out/);
      assert.match(err.message, /"\*\.png" \(flux's default ignore list\)/);
      assert.match(err.message, /"sub\/" \(\.sourceignore\)/);
      assert.match(err.message, /"\.sourceignore" \(`addIgnorePaths`\)/);
      assert.match(errorLine(err, 'push').message, /"\.sourceignore" \(--add-ignore-paths\)/);
      return true;
    });
  });

  it('puts a single file at the root under its base name', async () => {
    const src = await makeTree(path.join(work, 'src'), { 'sub/only.yaml': { content: 'x: 1\n', mode: 0o751 } });
    const { result } = await pack({ path: path.join(src, 'sub/only.yaml') });
    assert.equal(result.entries, 1);
    assert.deepEqual(gnuList(result.file), ['only.yaml']);
    assert.match(execFileSync('tar', ['-tvzf', result.file], { encoding: 'utf8' }), /^-rwxr-xr-x/);
  });

  it('writes unicode and long names (ustar prefix split, PAX beyond it) that GNU tar reads back', async () => {
    const split = `${'p'.repeat(120)}/${'n'.repeat(90)}.yaml`; // fits prefix/name
    const unsplittable = `${'x'.repeat(150)}.yaml`; // one segment > 100 bytes: PAX
    const deep = `${'d'.repeat(99)}/${'e'.repeat(99)}/${'f'.repeat(99)}/g.yaml`; // > 255 bytes: PAX
    const tree: Tree = { 'ünïcødé/': null, 'ünïcødé/日本.yaml': 'jp', [split]: 's', [unsplittable]: 'u', [deep]: 'd' };
    const src = await makeTree(path.join(work, 'src'), tree);
    const { result, bytes } = await pack({ path: src });
    const names = gnuList(result.file);
    for (const name of ['ünïcødé/', 'ünïcødé/日本.yaml', split, unsplittable, deep]) assert.ok(names.includes(name), `${name} missing from ${names.join(', ')}`);
    assert.equal(names.filter((n) => n.includes('PaxHeaders')).length, 0);
    // The splittable long name needs no extended header.
    const tar = gunzipSync(bytes);
    // PAX for: the unicode dir and file, the one-segment name, the 300-byte name, and the dirs
    // `ppp…/` (one segment + '/' > 100) and `ddd…/eee…/fff…/` (> 255): 6 records.
    assert.equal(tar.toString('latin1').split(' path=').length - 1, 6);
  });
});

describe('pack: what goes in', () => {
  it("applies flux's default ignores, --ignore-paths (replace) and --add-ignore-paths (extend)", async () => {
    const src = await makeTree(path.join(work, 'src'), { '.git/HEAD': 'ref', 'logo.png': 'png', 'a.yaml': 'a', 'b.json': 'b', 'keep.zip': 'z' });
    assert.deepEqual((await listEntries({ path: src })).map((e) => e.path), ['a.yaml', 'b.json']);
    assert.deepEqual((await listEntries({ path: src, ignorePaths: ['*.json'] })).map((e) => e.path), ['.git', '.git/HEAD', 'a.yaml', 'keep.zip', 'logo.png']);
    assert.deepEqual((await listEntries({ path: src, addIgnorePaths: ['b.*'] })).map((e) => e.path), ['a.yaml']);
  });

  it('honours .sourceignore files, nested ones only below their directory', async () => {
    const src = await makeTree(path.join(work, 'src'), {
      '.sourceignore': 'secret.txt\n',
      'secret.txt': 's',
      'x.yaml': 'x',
      'only.txt': 'o',
      'sub/.sourceignore': '*.yaml\n/only.txt\n!keep.yaml\n',
      'sub/x.yaml': 'x',
      'sub/keep.yaml': 'k',
      'sub/only.txt': 'o',
      'sub/deeper/only.txt': 'o',
      'sub/deeper/secret.txt': 's',
      'sub/deeper/y.yaml': 'y',
    });
    const paths = (await listEntries({ path: src })).map((e) => e.path);
    assert.deepEqual(paths, ['.sourceignore', 'only.txt', 'sub', 'sub/.sourceignore', 'sub/deeper', 'sub/deeper/only.txt', 'sub/keep.yaml', 'x.yaml']);
  });

  it('skips symlinks with a warning naming each one', async () => {
    const src = await makeTree(path.join(work, 'src'), { 'a.yaml': 'a', 'd/b.yaml': 'b' });
    await fsp.symlink('a.yaml', path.join(src, 'link.yaml'));
    await fsp.symlink('../a.yaml', path.join(src, 'd/up.yaml'));
    const { result, warnings } = await pack({ path: src });
    assert.deepEqual(gnuList(result.file), ['a.yaml', 'd/', 'd/b.yaml']);
    assert.deepEqual(warnings, ['skipping symlink "d/up.yaml"', 'skipping symlink "link.yaml"']);
  });

  it('--resolve-symlinks archives targets inside the root under the link name', async () => {
    const src = await makeTree(path.join(work, 'src'), { 'a.yaml': 'a', 'd/b.yaml': 'b' });
    await fsp.symlink('a.yaml', path.join(src, 'link.yaml'));
    await fsp.symlink('d', path.join(src, 'linkdir'));
    await fsp.symlink('..', path.join(src, 'd/loop'));
    const { result, warnings } = await pack({ path: src, resolveSymlinks: true });
    assert.deepEqual(gnuList(result.file), ['a.yaml', 'd/', 'd/b.yaml', 'link.yaml', 'linkdir/', 'linkdir/b.yaml']);
    assert.equal(warnings.length, 2, warnings.join('\n')); // d/loop and linkdir/loop point to a parent
    assert.ok(warnings.every((w) => /loop".*parent/.test(w)));
    const out = path.join(work, 'x');
    await unpackFile(result.file, { target: out });
    assert.equal(await fsp.readFile(path.join(out, 'link.yaml'), 'utf8'), 'a');
    assert.equal((await fsp.lstat(path.join(out, 'link.yaml'))).isFile(), true);
  });

  it('--resolve-symlinks refuses a target outside the root, naming the link', async () => {
    const src = await makeTree(path.join(work, 'src'), { 'a.yaml': 'a' });
    await fsp.writeFile(path.join(work, 'outside.txt'), 'o');
    await fsp.symlink(path.join(work, 'outside.txt'), path.join(src, 'escape'));
    await assert.rejects(pack({ path: src, resolveSymlinks: true }), (err: OcipackError) => {
      assert.equal(err.code, 'BAD_INPUT');
      assert.match(err.message, /"escape"/);
      return true;
    });
  });

  it('skips sockets and FIFOs with a warning', async () => {
    const src = await makeTree(path.join(work, 'src'), { 'a.yaml': 'a' });
    execFileSync('mkfifo', [path.join(src, 'fifo')]);
    const { result, warnings } = await pack({ path: src });
    assert.equal(result.entries, 1);
    assert.deepEqual(warnings, ['skipping "fifo": not a regular file or directory']);
  });

  it('reports a missing path as a usage error', async () => {
    await assert.rejects(pack({ path: path.join(work, 'nope') }), { code: 'USAGE' });
  });

  it('packs stdin as one file named by stdinName', async () => {
    const stdin = Readable.from([Buffer.from('from '), Buffer.from('stdin\n')]);
    const { result, bytes } = await pack({ path: '-', stdin, stdinName: 'values.yaml', tmpDir: work });
    assert.deepEqual(gnuList(result.file), ['values.yaml']);
    assert.match(gunzipSync(bytes).toString('latin1'), /from stdin\n/);
    // the stdin copy lived in this user's ocipack directory of the temp space, and is gone
    assert.deepEqual(await fsp.readdir(path.join(work, `ocipack-${process.getuid?.() ?? 'user'}`)), []);
    await assert.rejects(pack({ path: '-', stdin: Readable.from([]), stdinName: '../x' }), { code: 'USAGE' });
  });

  it('streams to any writable and honours cancellation', async () => {
    const src = await makeTree(path.join(work, 'src'), SAMPLE);
    const chunks: Buffer[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => { chunks.push(c); cb(); } });
    const res = await packToStream({ path: src }, sink);
    assert.equal(res.digest, sha(Buffer.concat(chunks)));
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(pack({ path: src, signal: ac.signal }), { code: 'CANCELLED' });
    assert.deepEqual((await fsp.readdir(work)).filter((n) => n.startsWith('out-')), []);
  });
});

describe('pack → unpack round trip', () => {
  it('restores the tree: names, contents and exec bits', async () => {
    const big = Buffer.alloc(700_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    const src = await makeTree(path.join(work, 'src'), { ...SAMPLE, 'ünï/日本.yaml': 'jp', [`${'l'.repeat(150)}/${'m'.repeat(120)}`]: 'long', 'empty/': null });
    await fsp.writeFile(path.join(src, 'deploy/big.bin'), big);
    const { result } = await pack({ path: src });
    const out = path.join(work, 'out');
    const res = await unpackFile(result.file, { target: out });
    assert.equal(res.files + res.dirs, result.entries);
    const before = await listEntries({ path: src });
    const after = await listEntries({ path: out });
    assert.deepEqual(after.map(({ absPath: _a, ...e }) => e), before.map(({ absPath: _a, ...e }) => e));
    for (const e of before.filter((x) => x.type === 'file')) {
      assert.deepEqual(await fsp.readFile(path.join(out, e.path)), await fsp.readFile(e.absPath), e.path);
    }
  });
});

describe('pack: a file that changes size between the walk and the read', () => {
  // The walk's size goes into the header; the read must find exactly that many bytes (small files are
  // read with one call asking for a byte more, large ones in chunk-sized reads plus an end check).
  for (const [title, real] of [['small', 100], ['larger than a gzip chunk', 3 * 1024 * 1024 + 7]] as const) {
    for (const delta of [-1, 1]) {
      it(`${title} file that ${delta < 0 ? 'grew' : 'shrank'}: IO error naming it, no output file`, async () => {
        const abs = path.join(work, 'f.bin');
        await fsp.writeFile(abs, Buffer.alloc(real, 7));
        const out = path.join(work, 'out.tgz');
        await assert.rejects(
          packEntriesToFile([{ path: 'f.bin', type: 'file', mode: 0o644, size: real + delta, absPath: abs }], out),
          (err: unknown) => err instanceof OcipackError && err.code === 'IO' && /"f\.bin" changed size/.test(err.message),
        );
        await assert.rejects(fsp.stat(out), { code: 'ENOENT' });
      });
    }
    it(`${title} file of the announced size packs byte for byte`, async () => {
      const abs = path.join(work, 'f.bin');
      const body = Buffer.alloc(real, 9);
      await fsp.writeFile(abs, body);
      const out = path.join(work, 'ok.tgz');
      await packEntriesToFile([{ path: 'f.bin', type: 'file', mode: 0o644, size: real, absPath: abs }], out);
      const tar = gunzipSync(await fsp.readFile(out));
      assert.deepEqual(tar.subarray(512, 512 + real), body);
    });
  }
});

describe('pack: order of names', () => {
  it('lists by UTF-8 bytes where UTF-16 order differs (a name beyond the BMP after U+FF21)', async () => {
    const src = await makeTree(path.join(work, 'src'), { '\u{1F600}.yaml': 'e', '\uFF21.yaml': 'a', 'z.yaml': 'z' });
    const { result } = await pack({ path: src });
    const entries = (await listEntries({ path: src })).map((e) => e.path);
    assert.deepEqual(entries, ['z.yaml', '\uFF21.yaml', '\u{1F600}.yaml']);
    assert.equal(result.entries, 3);
  });
});

describe('pack: the look at each file (inspect)', () => {
  it('is told every file as it is packed, with the very bytes packed when they fit one chunk (no second read)', async () => {
    const big = 'x'.repeat(GZIP_CHUNK_BYTES + 10);
    const src = await makeTree(path.join(work, 'src'), { 'a.yaml': 'kind: A\n', 'b/big.yaml': big, 'b/c.yaml': 'kind: C\n', 'empty.yaml': '' });
    const seen: Array<[string, string | undefined]> = [];
    let done = 0;
    const { bytes } = await pack({ path: src, inspect: () => ({ file: (e, content) => seen.push([e.path, content?.toString('utf8')]), done: () => { done++; } }) });
    assert.deepEqual(seen, [['a.yaml', 'kind: A\n'], ['b/big.yaml', undefined], ['b/c.yaml', 'kind: C\n'], ['empty.yaml', '']]);
    assert.equal(done, 1);
    assert.ok(gunzipSync(bytes).includes('kind: C\n'));
  });

  it('a refusal from done fails the pack and leaves no file behind', async () => {
    const src = await makeTree(path.join(work, 'src'), { 'secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: aHVudGVyMg==\n' });
    const out = path.join(work, 'refused.tar.gz');
    await assert.rejects(packToFile({ path: src, inspect: () => guardFiles({ refuse: true }) }, out), (err: unknown) => err instanceof FindingsError && err.findings[0]?.path === 'secret.yaml');
    await assert.rejects(fsp.stat(out), /ENOENT/);
  });
});

describe('pack: progress', () => {
  it('is told at the start, once per chunk of file bytes read, and at the end with every byte, not once per file', async () => {
    const tree: Tree = { 'big.bin': 'y'.repeat(2 * GZIP_CHUNK_BYTES + 5) };
    for (let i = 0; i < 300; i++) tree[`small/f${i}.yaml`] = `n: ${i}\n`;
    const src = await makeTree(path.join(work, 'src'), tree);
    const told: Array<[number, number, number]> = [];
    await pack({ path: src, onProgress: (bytes, total, files) => told.push([bytes, total, files]) });
    const total = 2 * GZIP_CHUNK_BYTES + 5 + [...Array(300).keys()].reduce((n, i) => n + `n: ${i}\n`.length, 0);
    assert.deepEqual(told[0], [0, total, 301]);
    assert.deepEqual(told.at(-1), [total, total, 301]);
    assert.ok(told.length >= 3 && told.length <= 6, `${told.length} progress events`);
    assert.ok(told.every(([b], i) => i === 0 || b >= told[i - 1]![0]), 'bytes never go back');
  });
});

describe('pack: cancellation while packing', () => {
  it('stops within DEFAULTS.cancelCheckEntries entries of the abort, not at the end of the tree', async () => {
    const tree: Tree = {};
    for (let i = 0; i < 400; i++) tree[`f${String(i).padStart(3, '0')}.yaml`] = `n: ${i}\n`;
    const src = await makeTree(path.join(work, 'src'), tree);
    const ac = new AbortController();
    let seen = 0;
    const inspect = () => ({ file: () => { if (++seen === 100) ac.abort(); }, done: () => undefined });
    await assert.rejects(pack({ path: src, signal: ac.signal, inspect }), { code: 'CANCELLED' });
    assert.ok(seen >= 100 && seen <= 100 + DEFAULTS.cancelCheckEntries, `${seen} files looked at`);
  });
});
