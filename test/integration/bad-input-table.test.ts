/**
 * One row per bad input of issue 6 and SPEC §5–§6, each run through the built CLI: the exit code, the
 * one `✗` line's message, and (for pulls) no output directory left behind. Offline rows use local
 * files and hand-written OCI layouts; network rows use the real registry on loopback behind fault
 * proxies (plain and TLS), each row on its own repository so rows can run side by side.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ocipack, tempDir, type CliResult } from '../helpers/cli.js';
import { freePort, startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../helpers/faultproxy.js';
import { makeTestCa, type TestCa } from '../helpers/tls.js';
import { artifactFor, exists, pushRaw, sha256, tgz, writeRawLayout, type LayoutTamper, type RawArtifact } from '../helpers/hostile.js';
import { buildTar, dir, file, type RawEntry } from '../helpers/tarbuilder.js';

interface Ctx {
  work: string;
  reg: RunningRegistry;
  plain: FaultProxy;
  secure: FaultProxy;
  ca: TestCa;
  /** A fault proxy of its own (for rows that script every request of the host: the first one makes the contact), rules made knowing its host. */
  own(rules: (p: FaultProxy) => FaultRule[], tls?: boolean): Promise<FaultProxy>;
}

interface Row {
  name: string;
  /** CLI arguments; `out` is a path that must not exist afterwards when `pull` fails. */
  args: (c: Ctx, out: string) => Promise<string[]> | string[];
  env?: (c: Ctx) => Record<string, string>;
  code: number;
  message: RegExp;
  /** This row's repository `table/<repo>` (seeded with a good artifact before the rows run). */
  repo?: string;
  /** Rules for the shared proxies, scoped to this row's repository. */
  rules?: (repo: string) => FaultRule[];
}

const SOME = 'oci://127.0.0.1:9/none/app:v1'; // the discard port: a usage error must come before any I/O
const good = (): RawArtifact => artifactFor(tgz([dir('deploy/'), file('deploy/app.yaml', 'kind: ConfigMap\n')]));

/** A layout with one artifact under `v1` in its own directory. */
async function layout(c: Ctx, name: string, art: RawArtifact, tamper: LayoutTamper = {}): Promise<string> {
  const d = join(c.work, 'layouts', name);
  await writeRawLayout(d, 'v1', art, tamper);
  return `${d}:v1`;
}

/** `pull --oci-layout` of a layout holding `layer` (tar+gzip bytes) as the artifact's only layer. */
function layoutPull(name: string, layer: Buffer, extra: string[] = [], tamper?: (a: RawArtifact) => LayoutTamper, opts: Parameters<typeof artifactFor>[1] = {}): Row['args'] {
  return async (c, out) => {
    const art = artifactFor(layer, opts);
    return ['pull', await layout(c, name, art, tamper?.(art) ?? {}), '--oci-layout', '-o', out, ...extra];
  };
}

const hostile = (name: string, entries: RawEntry[], message: RegExp, extra: string[] = [], code = 1): Row => ({
  name: `layer: ${name}`, code, message, args: layoutPull(name.replace(/\W+/g, '-'), tgz([file('ok.txt', 'ok'), ...entries]), extra),
});

/** A row pulling `table/<repo>:v1` through the shared plain proxy, with these rules for it. */
function net(name: string, repo: string, code: number, message: RegExp, rules?: Row['rules'], extra: string[] = []): Row {
  const row: Row = { name, repo, code, message, args: (c, out) => ['pull', `oci://${c.plain.host}/table/${repo}:v1`, '-o', out, ...extra] };
  if (rules) row.rules = rules;
  return row;
}
const BLOB = (repo: string): RegExp => new RegExp(`/v2/${repo}/blobs/sha256:`);
const MANIFEST = (repo: string): RegExp => new RegExp(`/v2/${repo}/manifests/`);

const rows: Row[] = [
  // ── usage errors: exit 2 before any network call ──
  { name: 'reference: upper-case repository', code: 2, message: /invalid reference/, args: (_c, out) => ['pull', 'oci://localhost:5000/Team/App:v1', '-o', out] },
  { name: 'reference: tag with a space', code: 2, message: /invalid reference/, args: (_c, out) => ['pull', 'oci://localhost:5000/a:bad tag', '-o', out] },
  { name: 'reference: tag longer than 128', code: 2, message: /invalid reference/, args: (_c, out) => ['pull', `oci://localhost:5000/a:${'t'.repeat(129)}`, '-o', out] },
  { name: 'reference: short digest', code: 2, message: /invalid reference/, args: (_c, out) => ['pull', 'oci://localhost:5000/a@sha256:1234', '-o', out] },
  { name: 'reference: unknown digest algorithm', code: 2, message: /invalid reference/, args: (_c, out) => ['pull', `oci://localhost:5000/a@md5:${'a'.repeat(32)}`, '-o', out] },
  { name: 'reference: empty', code: 2, message: /invalid reference/, args: (_c, out) => ['pull', '', '-o', out] },
  { name: 'reference: credentials in it (never echoed)', code: 2, message: /^(?!.*hunter2).*invalid reference/, args: (_c, out) => ['pull', 'oci://bob:hunter2@localhost:5000/a:v1', '-o', out] },
  { name: 'reference: repository name over 255', code: 2, message: /invalid reference/, args: (_c, out) => ['pull', `oci://localhost:5000/${'r'.repeat(256)}:v1`, '-o', out] },
  { name: 'pull: no --output', code: 2, message: /--output is required/, args: () => ['pull', SOME] },
  { name: '--timeout: not a duration', code: 2, message: /invalid duration "soon"/, args: (_c, out) => ['pull', SOME, '-o', out, '--timeout', 'soon'] },
  { name: '--timeout: zero', code: 2, message: /invalid duration "0s"/, args: (_c, out) => ['pull', SOME, '-o', out, '--timeout', '0s'] },
  { name: '--max-layer-size: not a size', code: 2, message: /--max-layer-size must be a size/, args: (_c, out) => ['pull', SOME, '-o', out, '--max-layer-size', 'lots'] },
  { name: '--max-manifest-size: unknown unit', code: 2, message: /--max-manifest-size must be a size/, args: (_c, out) => ['pull', SOME, '-o', out, '--max-manifest-size', '1TB'] },
  { name: '--max-entries: negative', code: 2, message: /--max-entries must be a non-negative integer/, args: (_c, out) => ['pull', SOME, '-o', out, '--max-entries', '-1'] },
  { name: '--max-path-length: not a number', code: 2, message: /--max-path-length must be a non-negative integer/, args: (_c, out) => ['pull', SOME, '-o', out, '--max-path-length', 'long'] },
  { name: '--max-depth: not a number', code: 2, message: /--max-depth must be a non-negative integer/, args: (_c, out) => ['pull', SOME, '-o', out, '--max-depth', 'deep'] },
  { name: '--layer: not a number', code: 2, message: /--layer must be a non-negative integer/, args: (_c, out) => ['pull', SOME, '-o', out, '--layer', 'first'] },
  { name: '--format: unknown', code: 2, message: /xml/, args: (_c, out) => ['pull', SOME, '-o', out, '--format', 'xml'] },
  { name: '--platform: malformed', code: 2, message: /invalid platform "linux"/, args: (_c, out) => ['pull', SOME, '-o', out, '--platform', 'linux'] },
  { name: '--semver: not a range', code: 2, message: /invalid semver range/, args: (_c, out) => ['pull', 'oci://127.0.0.1:9/none/app', '-o', out, '--semver', '>>>1'] },
  { name: 'unknown flag', code: 2, message: /unknown option '--bogus'/, args: (_c, out) => ['pull', SOME, '-o', out, '--bogus'] },
  { name: 'unknown command', code: 2, message: /unknown command 'pul'/, args: () => ['pul', SOME] },
  { name: 'push: to a digest reference', code: 2, message: /cannot push to a digest reference/, args: (c) => ['push', `oci://127.0.0.1:9/a@${sha256('x')}`, '-f', c.work] },
  { name: 'push: no --path', code: 2, message: /--path is required/, args: () => ['push', SOME] },
  { name: '--oci-layout: malformed digest', code: 2, message: /invalid layout reference .*invalid digest/, args: (c, out) => ['pull', `${c.work}/x@sha256:zz`, '--oci-layout', '-o', out] },

  // ── hostile layers (SPEC §5), offline through --oci-layout ──
  hostile('parent traversal ../x', [file('../x', 'evil')], /refusing path with a "\.\." segment "\.\.\/x"/),
  hostile('absolute path', [file('/tmp/ocipack-table-abs', 'evil')], /refusing absolute path "\/tmp\/ocipack-table-abs"/),
  hostile('a/../../x', [file('a/../../x', 'evil')], /refusing path with a "\.\." segment "a\/\.\.\/\.\.\/x"/),
  hostile('backslash', [file('a\\..\\x', 'evil')], /refusing entry name with a backslash/),
  hostile('NUL in a PAX path', [{ ...file('n', 'evil'), pax: { path: Buffer.from('a\0/../x') } }], /refusing entry name with a NUL byte/),
  hostile('NUL in a GNU long name', [{ ...file('n', 'evil'), gnuLongName: Buffer.from('a\0/../x\0') }], /refusing entry name with a NUL byte/),
  hostile('drive letter', [file('C:/x', 'evil')], /refusing path with a drive letter "C:\/x"/),
  hostile('symlink to outside, then a file through it', [{ name: 'l', type: '2', linkname: '/etc' }, file('l/passwd', 'evil')], /refusing entry "l\/passwd" below symlink "l"/),
  hostile('relative symlink escape, then a file through it', [{ name: 'l', type: '2', linkname: '../..' }, file('l/x', 'evil')], /refusing entry "l\/x" below symlink "l"/),
  hostile('hard link to a file outside', [{ name: 'h', type: '1', linkname: '../../etc/passwd' }], /refusing hard link entry "h"/),
  hostile('character device', [{ name: 'c', type: '3' }], /refusing device entry "c"/),
  hostile('block device', [{ name: 'b', type: '4' }], /refusing device entry "b"/),
  hostile('FIFO', [{ name: 'p', type: '6' }], /refusing FIFO entry "p"/),
  hostile('duplicate entry', [file('d', '1'), file('d', '2')], /refusing duplicate entry "d"/),
  hostile('file below a file', [file('f', '1'), file('f/g', '2')], /refusing entry "f\/g" below file "f"/),
  hostile('PAX path override', [{ ...file('innocent', 'evil'), pax: { path: '../pax' } }], /refusing path with a "\.\." segment "\.\.\/pax"/),
  hostile('GNU long-name override', [{ ...file('innocent', 'evil'), gnuLongName: `${'a/'.repeat(55)}${'../'.repeat(56)}gnu\0` }], /refusing path with a "\.\." segment/),
  hostile('ustar prefix with ..', [{ ...file('x', 'evil'), prefix: '..' }], /refusing path with a "\.\." segment "\.\.\/x"/),
  hostile('entries over --max-entries', [file('a'), file('b')], /layer exceeds 2 entries/, ['--max-entries', '2']),
  hostile('path over --max-path-length', [file(`${'p'.repeat(30)}/x`)], /entry path exceeds 20 bytes/, ['--max-path-length', '20']),
  hostile('path deeper than --max-depth', [file('a/b/c/d')], /entry path is deeper than 2 directories/, ['--max-depth', '2']),
  hostile('content over --max-layer-size', [file('big', Buffer.alloc(8192))], /layer exceeds 4096 bytes when decompressed/, ['--max-layer-size', '4096']),
  hostile('extended header too large', [{ ...file('x', 'x'), paxRaw: Buffer.from(`${'x'.repeat(1024 * 1024 + 10)}\n`) }], /extended header of \d+ bytes is too large/, [], 2),
  { name: 'layer: header sizes that lie (real bytes over the cap)', code: 1, message: /layer exceeds 4096 bytes when decompressed/,
    args: layoutPull('lying-size', gzipSync(Buffer.concat([buildTar([{ ...file('z', ''), size: 0 }], { end: false }), Buffer.alloc(64 * 1024)])), ['--max-layer-size', '4096']) },
  { name: 'layer: compressed twice', code: 2, message: /layer is compressed twice/, args: layoutPull('double-gzip', gzipSync(tgz([file('a', 'x')]))) },
  { name: 'layer: bad header checksum', code: 2, message: /invalid tar archive/, args: layoutPull('checksum', tgz([{ ...file('a', 'x'), badChecksum: true }])) },
  { name: 'layer: truncated gzip', code: 2, message: /invalid tar archive|gzip/, args: layoutPull('truncated-gzip', tgz([file('a', Buffer.alloc(5000, 7))]).subarray(0, 40)) },
  { name: 'layer: not an archive at all', code: 2, message: /invalid tar archive/, args: layoutPull('garbage', Buffer.from('this is not a tar archive, not even close. '.repeat(40))) },

  // ── verification and layout problems (exit 3 for digest/size, 1 for the rest) ──
  { name: 'layout: a flipped byte in the layer blob', code: 3, message: /digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:/,
    args: layoutPull('flipped', tgz([file('a', 'x')]), [], (a) => ({ storedLayer: Buffer.from(a.layer.map((b, i) => (i === 20 ? b ^ 0xff : b))) })) },
  { name: 'layout: a truncated layer blob', code: 3, message: /size mismatch for sha256:[0-9a-f]{64}: expected \d+ bytes, got \d+/,
    args: layoutPull('short', tgz([file('a', 'x')]), [], (a) => ({ storedLayer: a.layer.subarray(0, 30) })) },
  { name: 'layout: a descriptor that lies about the layer size', code: 3, message: /size mismatch/, args: layoutPull('size-lie', tgz([file('a', 'x')]), [], undefined, { layerSize: 10 }) },
  { name: 'layout: manifest bytes that do not hash to the index digest', code: 3, message: /digest mismatch/,
    args: layoutPull('manifest-tampered', tgz([file('a', 'x')]), [], (a) => ({ storedManifest: Buffer.from(a.manifest.toString().replace('hostile-test', 'hostile-tesT')) })) },
  { name: 'layout: manifest over --max-manifest-size', code: 1, message: /more than the 100-byte cap/, args: layoutPull('manifest-cap', tgz([file('a', 'x')]), ['--max-manifest-size', '100']) },
  { name: 'layout: missing layer blob', code: 1, message: /not found/, args: layoutPull('no-blob', tgz([file('a', 'x')]), [], () => ({ omitLayer: true })) },
  { name: 'layout: layer over the cap by its stored size alone', code: 1, message: /cannot fit the 1024-byte cap/, args: layoutPull('stored-too-big', gzipSync(Buffer.alloc(3 * 1024 * 1024).map((_, i) => (i * 7919) % 251)), ['--max-layer-size', '1024']) },
  // A single layer of an unknown type is now written as a file (issue 15 §1); asking to extract it names the layer.
  { name: 'layout: --layer-operation extract on a layer that is no tar', code: 2, message: /layer 0 \(text\/plain, 22 B\): invalid tar archive/, args: layoutPull('foreign', Buffer.from('not a tar, just words\n'), ['--layer-operation', 'extract'], undefined, { mediaType: 'text/plain' }) },
  { name: 'layout: --layer out of range', code: 2, message: /--layer 5 is out of range/, args: layoutPull('layer-range', tgz([file('a', 'x')]), ['--layer', '5']) },
  { name: 'layout: --media-type not in the manifest', code: 2, message: /no layer with media type application\/x-nope/, args: layoutPull('media-type', tgz([file('a', 'x')]), ['--media-type', 'application/x-nope']) },
  { name: 'layout: tag not in the layout', code: 1, message: /not found/, args: async (c, out) => ['pull', (await layout(c, 'no-tag', good())).replace(/:v1$/, ':v2'), '--oci-layout', '-o', out] },
  { name: 'layout: directory missing', code: 2, message: /does not exist/, args: (c, out) => ['pull', `${c.work}/no-such-layout:v1`, '--oci-layout', '-o', out] },
  { name: 'layout: not an OCI layout', code: 2, message: /is not an OCI image layout/, args: async (c, out) => {
    await mkdir(join(c.work, 'plain-dir'), { recursive: true });
    return ['pull', `${c.work}/plain-dir:v1`, '--oci-layout', '-o', out];
  } },
  { name: 'output: an existing file', code: 2, message: /exists and is not a directory/, args: async (c) => {
    await writeFile(join(c.work, 'a-file'), 'x');
    return ['pull', await layout(c, 'out-file', good()), '--oci-layout', '-o', join(c.work, 'a-file')];
  } },

  // ── the network (SPEC §6): real registry behind fault proxies ──
  net('registry: 503 on every try', 'r503', 1, /answered 503 for blob sha256:/, (r) => [{ path: BLOB(r), action: { status: 503 } }]),
  net('registry: Retry-After beyond the cap', 'r429', 1, /asked to retry after 7200 s, longer than the 60 s we wait/,
    (r) => [{ path: BLOB(r), action: { status: 429, headers: { 'retry-after': '7200' } } }]),
  net('registry: a 1 MiB error body (read at most 64 KiB, message bounded)', 'big-error', 1, /^✗ .{0,300}answered 500 .{0,400}$/,
    (r) => [{ path: MANIFEST(r), action: { status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'x'.repeat(1 << 20) }] }) } }]),
  { name: 'registry: manifest unknown', repo: 'seeded', code: 1, message: /manifest v2 not found/, args: (c, out) => ['pull', `oci://${c.plain.host}/table/seeded:v2`, '-o', out] },
  net('registry: 401 (wrong credentials)', 'r401', 1, /credentials for 127\.0\.0\.1:\d+ were rejected \(from --creds\)/,
    (r) => [{ path: MANIFEST(r), action: { status: 401, headers: { 'www-authenticate': 'Basic realm="x"' } } }], ['--creds', 'a:b']),
  net('registry: a manifest with a malformed layer digest is bad remote data (exit 1, not 2)', 'bad-digest', 1, /manifest .* has a malformed digest "sha256:NOT-HEX"/,
    (r) => {
      const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.cncf.flux.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2 },
        layers: [{ mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', digest: 'sha256:NOT-HEX', size: 10 }] });
      return [{ path: MANIFEST(r), action: { status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body } }];
    }),
  net('registry: 403', 'r403', 1, /access to 127\.0\.0\.1:\d+\/table\/r403 denied/, (r) => [{ path: MANIFEST(r), action: { status: 403 } }]),
  net('redirect: to an unsupported scheme', 'ftp', 1, /redirected to an unsupported scheme ftp:/, (r) => [{ path: BLOB(r), action: { redirect: 'ftp://127.0.0.1/blob' } }]),
  net('redirect: more than 10 hops', 'loop', 1, /too many redirects/, (r) => [{ path: BLOB(r), action: { redirect: (req) => req.path } }]),
  { name: 'redirect: https to plain http', repo: 'downgrade', code: 1, message: /refusing redirect from https to plain http/,
    args: (c, out) => ['pull', `oci://${c.secure.host}/table/downgrade:v1`, '-o', out, '--ca-file', c.ca.ca],
    rules: (r) => [{ path: BLOB(r), action: { redirect: 'http://127.0.0.1:9/blob' } }] },
  { name: 'token realm: https to plain http', code: 1, message: /refusing token realm http:\/\/127\.0\.0\.1:9\/token of 127\.0\.0\.1:\d+: it downgrades https to http/,
    args: async (c, out) => {
      const p = await c.own(() => [{ path: /^\/v2\//, action: { status: 401, headers: { 'www-authenticate': 'Bearer realm="http://127.0.0.1:9/token",service="t"' } } }], true);
      return ['pull', `oci://${p.host}/table/seeded:v1`, '-o', out, '--ca-file', c.ca.ca];
    } },
  { name: 'token: response over 64 KiB', code: 1, message: /token response from 127\.0\.0\.1:\d+'s token server is larger than 65536 bytes/,
    args: async (c, out) => {
      const p = await c.own((me) => [
        { path: /^\/v2\//, action: { status: 401, headers: { 'www-authenticate': `Bearer realm="${me.url}/token",service="t"` } } },
        { path: /^\/token/, action: { status: 200, body: JSON.stringify({ token: 't'.repeat(70_000) }) } },
      ]);
      return ['pull', `oci://${p.host}/table/seeded:v1`, '-o', out];
    } },
  { name: 'token: response not JSON', code: 1, message: /token server of 127\.0\.0\.1:\d+ sent a response that is not JSON/,
    args: async (c, out) => {
      const p = await c.own((me) => [
        { path: /^\/v2\//, action: { status: 401, headers: { 'www-authenticate': `Bearer realm="${me.url}/token"` } } },
        { path: /^\/token/, action: { status: 200, body: '<html>login</html>' } },
      ]);
      return ['pull', `oci://${p.host}/table/seeded:v1`, '-o', out];
    } },
  net('manifest: body over 4 MiB', 'huge-manifest', 1, /manifest v1 in 127\.0\.0\.1:\d+\/table\/huge-manifest is larger than the 4194304-byte cap/,
    (r) => [{ method: 'GET', path: new RegExp(`/v2/${r}/manifests/v1`), action: { status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: Buffer.alloc(5 << 20, 0x20) } }]),
  net('manifest: over --max-manifest-size', 'small-cap', 1, /larger than the 100-byte cap/, undefined, ['--max-manifest-size', '100']),
  { name: 'manifest by digest: bytes that do not hash to it', repo: 'manifest-flip', code: 3, message: /digest mismatch/,
    args: (c, out) => ['pull', `oci://${c.plain.host}/table/manifest-flip@${good().digest}`, '-o', out],
    rules: (r) => [{ method: 'GET', path: new RegExp(`/v2/${r}/manifests/sha256:`), action: { flipByte: 40 } }] },
  net('blob: a flipped byte', 'blob-flip', 3, /digest mismatch: expected sha256:/, (r) => [{ path: BLOB(r), action: { flipByte: 10 } }]),
  net('blob: Content-Length disagrees with the descriptor', 'blob-length', 3, /size mismatch for sha256:[0-9a-f]{64}: expected \d+ bytes, 127\.0\.0\.1:\d+ announced 3/,
    (r) => [{ method: 'GET', path: BLOB(r), action: { status: 200, headers: { 'content-length': '3' }, body: 'abc' } }]),
  net('blob: body ends early (no length)', 'blob-short', 3, /size mismatch/, (r) => [{ path: BLOB(r), action: { truncateAfter: 10, keepLength: false } }]),
  net('blob: reset on every try', 'blob-reset', 1, /connection to 127\.0\.0\.1:\d+ broke|cannot reach 127\.0\.0\.1:\d+ \(ECONNRESET\)/, (r) => [{ path: BLOB(r), action: { resetResponseAfter: 5 } }]),
  { name: 'tags: Link to another origin', repo: 'link', code: 1, message: /linked the next tag page to another origin \(127\.0\.0\.1:9\); refusing/,
    args: (c) => ['list', `oci://${c.plain.host}/table/link`],
    rules: (r) => [{ path: new RegExp(`/v2/${r}/tags/list`), action: { status: 200, headers: { 'content-type': 'application/json', link: '<http://127.0.0.1:9/v2/x/tags/list?last=a>; rel="next"' }, body: JSON.stringify({ name: r, tags: ['a'] }) } }] },
  { name: 'upload Location: https to plain http', repo: 'location', code: 1, message: /refusing upload Location http:\/\/127\.0\.0\.1:9\/up of 127\.0\.0\.1:\d+: it downgrades https to http/,
    args: (c) => ['push', `oci://${c.secure.host}/table/location:v1`, '-f', join(c.work, 'src'), '--ca-file', c.ca.ca],
    rules: (r) => [{ method: 'POST', path: new RegExp(`/v2/${r}/blobs/uploads/`), action: { status: 202, headers: { location: 'http://127.0.0.1:9/up' } } }] },
  { name: 'TLS: certificate from an unknown CA', code: 1, message: /TLS certificate of 127\.0\.0\.1:\d+ not trusted/, args: (c, out) => ['pull', `oci://${c.secure.host}/table/seeded:v1`, '-o', out] },
  { name: 'TLS: --ca-file that does not exist', code: 1, message: /cannot read CA file \/nonexistent\/ca\.pem: ENOENT/, args: (c, out) => ['pull', `oci://${c.secure.host}/table/seeded:v1`, '-o', out, '--ca-file', '/nonexistent/ca.pem'] },
  { name: 'network: connection refused', code: 1, message: /cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/, args: async (_c, out) => ['pull', `oci://127.0.0.1:${await freePort()}/a/b:v1`, '-o', out] },
  { name: 'network: proxy not there', code: 1, message: /cannot reach the proxy 127\.0\.0\.1:9 \(HTTPS_PROXY\) on the way to 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/, args: (c, out) => ['pull', `oci://${c.plain.host}/table/seeded:v1`, '-o', out],
    env: () => ({ HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' }) },
];

let ctx: Ctx;
const extraProxies: FaultProxy[] = [];
before(async () => {
  const work = await tempDir('ocipack-table-');
  const [reg, ca] = await Promise.all([startRegistry({ auth: 'none' }), makeTestCa()]);
  const plain = await startFaultProxy({ upstream: reg.host });
  const secure = await startFaultProxy({ upstream: reg.host, tls: { cert: ca.cert, key: ca.key } });
  await mkdir(join(work, 'src'), { recursive: true });
  await writeFile(join(work, 'src/app.yaml'), 'kind: ConfigMap\n');
  const own = async (rules: (p: FaultProxy) => FaultRule[], tls = false): Promise<FaultProxy> => {
    const p = await startFaultProxy({ upstream: reg.host, ...(tls ? { tls: { cert: ca.cert, key: ca.key } } : {}) });
    p.script(rules(p));
    extraProxies.push(p);
    return p;
  };
  ctx = { work, reg, plain, secure, ca, own };
  const rules = rows.flatMap((r) => (r.rules && r.repo ? r.rules(`table/${r.repo}`) : []));
  const repos = new Set(['seeded', ...rows.map((r) => r.repo).filter((r): r is string => r !== undefined)]);
  await Promise.all([...repos].map((r) => pushRaw(reg.url, `table/${r}`, 'v1', good())));
  plain.script(rules);
  secure.script(rules);
});
after(async () => {
  await Promise.all([ctx?.plain.close(), ctx?.secure.close(), ...extraProxies.map((p) => p.close())]);
  await ctx?.reg.stop();
  await ctx?.ca.cleanup();
});

describe('bad inputs: exit code and one clear line', { concurrency: 4 }, () => {
  it('has at least 60 rows', () => {
    assert.ok(rows.length >= 60, `${rows.length} rows`);
    assert.equal(new Set(rows.map((r) => r.name)).size, rows.length, 'row names are unique');
  });
  for (const row of rows) {
    it(row.name, async (t) => {
      const out = join(await tempDir('ocipack-table-out-'), 'out');
      const r: CliResult = await ocipack(await row.args(ctx, out), { env: row.env?.(ctx) ?? {} });
      assert.equal(r.code, row.code, `exit ${r.code}\n${r.stderr}`);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('✗'));
      assert.equal(errors.length, 1, r.stderr);
      t.diagnostic(`exit ${r.code}: ${errors[0]!.slice(0, 300)}`);
      assert.match(errors[0]!, row.message);
      assert.equal(await exists(out), false, 'no output directory');
      assert.equal(r.stdout, '', 'nothing on stdout');
    });
  }
});
