#!/usr/bin/env node
// Runs the compiled tests under a directory with Node's test runner, the same way on Node 22, 24 and 26:
// the files are listed here (sorted, so runs are comparable) instead of relying on the runner's own globbing.
// The test processes get a temporary directory of their own (TMPDIR), removed when the run ends: what a test
// leaves there (its scratch directories, a killed run's files) does not pile up in the machine's /tmp.
//   node scripts/test.mjs dist/test [node --test options…]
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
// Short (podman refuses a run root of over 50 characters) and open to every user as /tmp is (tests run
// ocipack as another user too).
const temp = mkdtempSync(join(tmpdir(), 'ocipack-t-'));
chmodSync(temp, 0o1777);
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...options, ...files], { stdio: 'inherit', env: { ...process.env, TMPDIR: temp } });
try {
  rmSync(temp, { recursive: true, force: true, maxRetries: 3 });
} catch (err) {
  process.stderr.write(`could not remove the tests' temporary directory ${temp}: ${err.code ?? err.message}\n`);
}
process.exit(run.status ?? 1);
