#!/usr/bin/env node
// The program's loader (bin/ocipack.cjs, the `ocipack` command, imports it; so does bin/flux-ocipack.js).
// The bundled CLI (dist/cli, see scripts/bundle.mjs) starts faster; a tsc build newer than it wins.
import { statSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';

// package.json `engines` (^22.22.2 || ^24.15.0 || >=26), checked before the program loads: on an older Node a
// dependency would fail with a syntax or API error and a stack trace instead of this one line (exit 2, usage).
const [major, minor, patch] = process.versions.node.split('.').map(Number);
const supported = major >= 26 || (major === 24 && minor >= 15) || (major === 22 && (minor > 22 || (minor === 22 && patch >= 2)));
if (!supported) {
  process.stderr.write(`✗ ocipack needs Node.js 22.22.2+, 24.15+ or 26+; this is Node.js ${process.version}: install a current Node (for example: nvm install 24) and run it again\n`);
  process.exit(2);
}

// Keeps V8's compiled code between runs (in ~/.cache, not TMPDIR, which belongs to the command).
module.enableCompileCache(`${homedir()}/.cache/ocipack/v8`);

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
import(entry.href).then((m) => m.main(process.argv, name));
