/**
 * `prune` and `list` over 100 000 tags (issue 27 §6): the stand-in tags endpoint of the test harness
 * (test/helpers/tagstandin.ts: `Link` pages of 1000, a HEAD/GET per tag) in place of a registry, which
 * cannot hold that many tags quickly. Prints wall time and peak RSS of each CLI run (GNU time).
 * Run: `npm run build && node dist/bench/tags-100k.js`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN } from '../test/helpers/cli.js';
import { startTagStandIn } from '../test/helpers/tagstandin.js';

const COUNT = 100_000;

async function measure(label: string, args: string[]): Promise<void> {
  const { stderr } = await promisify(execFile)('/usr/bin/time', ['-f', 'TIME %e s, peak RSS %M KiB', process.execPath, BIN, ...args], { maxBuffer: 1 << 30 });
  console.log(`${label}: ${/TIME (.*)/.exec(stderr)?.[1] ?? stderr}`);
}

const standIn = await startTagStandIn({
  name: 'big/app', count: COUNT, tags: (i) => (i % 2 === 0 ? `1.${Math.floor(i / 1000)}.${i % 1000}` : `build-${i}`),
  manifestOf: (tag) => ({ key: tag, created: '2020-01-01T00:00:00Z' }),
});
try {
  const repo = `oci://${standIn.host}/big/app`;
  await measure('list --filter-regex (one match)', ['list', repo, '--filter-regex', '^1\\.0\\.0$', '-o', 'json']);
  await measure('prune --keep-semver 10 (dry run, a HEAD per tag)', ['prune', repo, '--keep-semver', '10', '-o', 'json']);
  await measure('prune --keep-semver 10 --keep-newer-than 30d (a GET per candidate too)', ['prune', repo, '--keep-semver', '10', '--keep-newer-than', '30d', '-o', 'json']);
  console.log(`requests served: ${standIn.log.length}`);
} finally {
  await standIn.close();
}
