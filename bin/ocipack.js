#!/usr/bin/env node
// The program's loader (bin/ocipack.cjs, the `ocipack` command, imports it; so does bin/flux-ocipack.js).
// The bundled CLI (dist/cli, see scripts/bundle.mjs) starts faster; a tsc build newer than it wins.
import { statSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';

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
import(entry.href).then((m) => m.main(process.argv, name));
