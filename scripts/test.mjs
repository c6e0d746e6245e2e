#!/usr/bin/env node
// Runs the compiled tests under a directory with Node's test runner, the same way on Node 22, 24 and 26:
// the files are listed here (sorted, so runs are comparable) instead of relying on the runner's own globbing.
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
