#!/usr/bin/env node
// The bundled CLI (dist/cli, see scripts/bundle.mjs) starts faster; a tsc build newer than it wins.
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';

// `ocipack --version` alone is answered here, from package.json, before any module of the program
// loads (a third of its start-up); test/integration/ux.test checks it against `ocipack version`.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  await run();
}

async function run() {
  // Node >= 22.1 keeps V8's compiled code between runs (in ~/.cache, not TMPDIR, which belongs to the command); no-op on 20.
  module.enableCompileCache?.(`${homedir()}/.cache/ocipack/v8`);
  const plain = new URL('../dist/src/cli/main.js', import.meta.url);
  const bundle = new URL('../dist/cli/ocipack.js', import.meta.url);
  let entry = plain;
  try {
    if (statSync(bundle).mtimeMs >= statSync(plain).mtimeMs) entry = bundle;
  } catch {
    // no bundle (a plain `tsc` build): use the compiled modules
  }
  // bin/flux-ocipack.js sets this first: the same program, run by flux 2.9 as the `flux ocipack` plugin.
  const name = globalThis.__ocipackProgramName ?? 'ocipack';
  const m = await import(entry.href);
  await m.main(process.argv, name);
}
