/** The bench's table: goals read met/missed, and the README table is printed from a results file, not typed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { limitRow, readmeTable, table, timeRow } from '../../../bench/report.js';

const REPORT = fileURLToPath(new URL('../../../bench/report.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const best = (seconds: number) => ({ seconds, all: [seconds], rssMiB: 0 });

test('a ratio under its goal is met, over it missed, and a row without a goal says neither', () => {
  const rows = [
    timeRow('pull', 'ocipack pull', best(1.2), { name: 'curl | pigz -dc | tar -xf', best: best(1) }, 1.5),
    timeRow('push', 'ocipack push', best(1.2), { name: 'tar | pigz -p2 + curl', best: best(1) }, 1.1),
    limitRow('peak RSS', 'ocipack pull', 130, 'MiB', 128),
    timeRow('list', 'ocipack list', best(0.5), { name: 'flux pattern', best: best(1) }),
  ];
  const lines = table(rows).split('\n');
  assert.match(lines[0]!, /\| goal \| met \|$/);
  assert.match(lines[2]!, /curl \\\| pigz -dc \\\| tar -xf \| 1\.00 s \| 1\.20× \| ≤ 1\.5× \| met \|$/);
  assert.match(lines[3]!, /1\.20× \| ≤ 1\.1× \| missed \|$/);
  assert.match(lines[4]!, /130 MiB .*\| ≤ 128 MiB \| missed \|$/);
  assert.match(lines[5]!, /500 ms \| flux pattern \| 1\.00 s \| 0\.50× \|  \|  \|$/);
});

test('report.js prints the README table of a results file, naming the run and counting the goals met', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-bench-report-'));
  try {
    const rows = [timeRow('pull', 'ocipack pull', best(0.7), { name: 'skopeo + tar', best: best(1) }, 0.8), limitRow('peak RSS', 'ocipack push', 140, 'MiB', 128)];
    const results = { date: '2026-12-02T04:00:00Z', reps: 5, machine: { cpus: 2, model: 'AMD EPYC 7B13 64-Core Processor', node: 'v20.20.2', zlib: '1.3.1' }, rows };
    const file = join(dir, 'results.json');
    await writeFile(file, JSON.stringify(results));
    const { stdout } = await promisify(execFile)(process.execPath, [REPORT, file]);
    assert.equal(stdout, readmeTable(results));
    assert.match(stdout, /^The run committed as `bench\/results\.json` \(2026-12-02, 2 vCPU AMD EPYC 7B13, Node 20\.20\.2, zlib 1\.3\.1; best of 5\); 1 of 2 goals met:/);
    assert.match(stdout, /\| 0\.70× \| ≤ 0\.8× \| met \|\n.*\| 140 MiB \|.*\| missed \|\n$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the committed bench/results.json prints one table line per row', async () => {
  const results = JSON.parse(await readFile(join(ROOT, 'bench', 'results.json'), 'utf8'));
  const lines = readmeTable(results).trimEnd().split('\n');
  assert.equal(lines.length, 4 + results.rows.length);
});

test('README\'s Performance table is the one report.js prints from the committed bench/results.json', async () => {
  const results = JSON.parse(await readFile(join(ROOT, 'bench', 'results.json'), 'utf8'));
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes(readmeTable(results).trimEnd()), 'regenerate it: node dist/bench/report.js bench/results.json');
});
