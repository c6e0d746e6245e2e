#!/usr/bin/env node
/**
 * Bundles the CLI (dist/src/cli/main.js, compiled by tsc) into dist/cli/: one entry file holding the
 * command definitions and commander, plus one chunk per use-case that a command imports lazily.
 * Start-up then reads a handful of files instead of ~30 ES modules and commander's CommonJS files
 * (bench: `ocipack --version` against `node -e 0`). Runtime dependencies other than commander stay
 * external and load from node_modules when a command needs them. The library entry (dist/src) is
 * not touched. bin/ocipack.js uses the bundle only when it is at least as new as dist/src/cli/main.js,
 * so a plain `tsc` rebuild is never shadowed by a stale bundle.
 */
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { undiciFiles } from './undici-files.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/cli`;

/**
 * Bundled: commander (start-up always needs it) and the packages a push or pull loads on every run:
 * undici (the files src/http/undici.ts names) and yaml (push's guard). Node resolves
 * and reads each of their files on its own otherwise (package.json lookups, stats, a compile-cache
 * entry each): one chunk instead. Every other package (sigstore, the cloud SDKs, semver, ora …) stays
 * external and loads from node_modules when a command needs it.
 */
const BUNDLED = ['commander', 'undici', 'yaml'];
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (BUNDLED.some((p) => args.path === p || args.path.startsWith(`${p}/`))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/**
 * commander requires node:child_process at load time, only for executable sub-commands, which
 * ocipack does not use; loading it costs ~2 ms of every start. Give commander a lazy stand-in.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes(`${'node_modules'}/commander/`) ? { path: 'lazy-child-process', namespace: 'ocipack' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'ocipack' }, () => ({
      contents: "let cp; module.exports = new Proxy({}, { get: (_, k) => (cp ??= require('node:child_process'))[k] });",
      loader: 'js',
    }));
  },
};

/**
 * undici's client.js requires client-h2.js at load, which requires node:http2 (a dozen internal modules) in
 * every run, though only a connection that negotiated h2 uses it (ocipack offers no h2). Required on that
 * first use instead; the one line is checked so an undici update that changes it fails the build.
 */
const H2_LINE = "const connectH2 = require('./client-h2.js')";
const lazyHttp2 = {
  name: 'lazy-http2',
  setup(b) {
    b.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(H2_LINE)) throw new Error(`${args.path} changed: update lazyHttp2 in scripts/bundle.mjs`);
      const lazy = "let h2Connect; const connectH2 = (client, socket) => (h2Connect ??= require('./client-h2.js'))(client, socket)";
      return { contents: text.replace(H2_LINE, lazy), loader: 'js' };
    });
  },
};

/**
 * undici's HTTP/1 client reads the global `performance` (two calls to `performance.now()`, for an idle
 * socket's age). That global is loaded on first use: perf_hooks and eight internal modules, ~1.3 ms, and
 * ~2.6 ms once the CLI has set its V8 flags (engine.ts), which make Node compile them without its code
 * cache. Only differences of the clock are used, so a monotonic clock of process.hrtime does the same.
 * The two calls are checked so an undici update that changes them fails the build.
 */
const CLOCK = 'performance.now()';
const undiciClock = {
  name: 'undici-clock',
  setup(b) {
    b.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h1\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (text.split(CLOCK).length !== 3 || /\bperformance\b(?!\.now\(\))/.test(text.replaceAll(/\/\/.*$/gm, ''))) {
        throw new Error(`${args.path} changed: update undiciClock in scripts/bundle.mjs`);
      }
      const clock = 'function ocipackClockMs () { const [s, ns] = process.hrtime(); return s * 1e3 + ns / 1e6 }\n';
      return { contents: clock + text.replaceAll(CLOCK, 'ocipackClockMs()'), loader: 'js' };
    });
  },
};

/**
 * commander's ESM build does `import process from 'node:process'`. Importing a built-in from an ES module makes
 * Node build its module facade, which reads every export once: for node:process that runs all of `process`'s
 * lazy getters (report, finalization, …; +19 M instructions measured alone, ~4 % of a pull up to its first
 * request). Its default export is the global `process` itself, so the bundle takes that.
 */
const processWithoutFacade = {
  name: 'process-without-facade',
  setup(b) {
    b.onResolve({ filter: /^(node:)?process$/ }, (args) =>
      args.kind === 'import-statement' ? { path: 'process', namespace: 'ocipack-process' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'ocipack-process' }, () => ({ contents: 'export default globalThis.process;', loader: 'js' }));
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { ocipack: 'dist/src/cli/main.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // commander is CommonJS: give the ESM bundle a `require` for its `require('node:events')` and friends.
  banner: { js: "import { createRequire as __ocipackCreateRequire } from 'node:module'; const require = __ocipackCreateRequire(import.meta.url);" },
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: false,
  legalComments: 'none',
  // node_modules may be a symlink (a git worktree's): module names stay `node_modules/…` either way.
  preserveSymlinks: true,
  plugins: [lazyChildProcess, undiciFiles, lazyHttp2, undiciClock, processWithoutFacade, externalPackages],
  logLevel: 'warning',
});
