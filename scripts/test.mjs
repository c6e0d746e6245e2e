#!/usr/bin/env node
// Runs the compiled tests under a directory with Node's test runner, the same way on Node 20, 22 and 24:
// `node --test <dir>` only works on 20 (22+ take file globs, and 20 has none), so the files are listed here.
//   node scripts/test.mjs dist/test [node --test options…]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const [dir = 'dist/test', ...options] = process.argv.slice(2);
const files = readdirSync(dir, { recursive: true })
  .filter((name) => name.endsWith('.test.js'))
  .sort()
  .map((name) => join(dir, name));
if (files.length === 0) {
  process.stderr.write(`no *.test.js under ${dir}: run npm run build first\n`);
  process.exit(1);
}
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...options, ...files], { stdio: 'inherit' });
process.exit(run.status ?? 1);
