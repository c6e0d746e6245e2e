#!/usr/bin/env node
// The `ocipack` command. CommonJS on purpose: Node starts a CommonJS entry without initialising its ES
// module loader (~5 ms), so `ocipack --version` alone is answered as fast as `node -e 0`; everything
// else loads the program (ocipack.js, an ES module) and runs it.
'use strict';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  import('./ocipack.js');
}
