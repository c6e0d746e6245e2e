/**
 * `npm run bench`: generates the data, starts a real registry on loopback, measures ocipack against
 * its peers (GNU tar|gzip, pigz, skopeo, node), prints one markdown table and writes JSON.
 *
 *   node dist/bench/run.js [--reps N] [--no-1g] [--only a,b] [--out bench/results.json]
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startRegistry } from '../test/helpers/registry.js';
import { cleanEnv, ROOT, type Ctx } from './context.js';
import { ensureTree, TREES } from './data.js';
import { GNU_TIME } from './measure.js';
import { table, writeJson, type Row } from './report.js';
import { gzipEngines, packing, startup } from './suite-local.js';
import { big, pushPull200, pushTransfer, rePush, smallFiles } from './suite-registry.js';
import { uploadModes } from './upload-modes.js';
import { access } from 'node:fs/promises';

const SUITES = ['packing', 'gzip', 'transfer', 'pull', 'startup', 'small', 'big', 'repush', 'upload'] as const;
type Suite = (typeof SUITES)[number];

async function requireTools(): Promise<void> {
  const { execFile } = await import('node:child_process');
  const missing: string[] = [];
  for (const [tool, pkg] of [['gzip', 'gzip'], ['pigz', 'pigz'], ['skopeo', 'skopeo'], ['tar', 'tar']] as const) {
    const ok = await new Promise<boolean>((resolve) => execFile('sh', ['-c', `command -v ${tool}`], (err) => resolve(!err)));
    if (!ok) missing.push(pkg);
  }
  if (!(await access(GNU_TIME).then(() => true, () => false))) missing.push('time');
  if (missing.length > 0) throw new Error(`the benchmark needs: apt-get install ${missing.join(' ')}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '3' },
      'no-1g': { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string', default: join(ROOT, 'bench', 'results.json') },
    },
  });
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps must be a positive integer');
  const only = new Set((values.only ?? SUITES.join(',')).split(',') as Suite[]);
  for (const s of only) if (!SUITES.includes(s)) throw new Error(`unknown suite "${s}"; known: ${SUITES.join(', ')}`);
  await requireTools();

  const base = join(ROOT, '.bench');
  const work = join(base, 'work');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const log = (m: string) => process.stderr.write(`► ${m}\n`);
  log('generating data (once; reused from .bench/data)');
  const data = join(base, 'data');
  const trees: Ctx['trees'] = { mixed200: await ensureTree(data, TREES.mixed200), small20k: await ensureTree(data, TREES.small20k) };
  if (!values['no-1g'] && only.has('big')) trees.mixed1g = await ensureTree(data, TREES.mixed1g);

  const registry = await startRegistry();
  let n = 0;
  const ctx: Ctx = { reps, root: ROOT, work, trees, env: await cleanEnv(work), registry, fresh: (p) => `${p}-${++n}` };
  const rows: Row[] = [];
  let requests: string[] = [];
  const steps: Array<[Suite, () => Promise<Row[]>]> = [
    ['startup', () => startup(ctx)],
    ['packing', () => packing(ctx)],
    ['gzip', () => gzipEngines(ctx)],
    ['transfer', () => pushTransfer(ctx)],
    ['pull', () => pushPull200(ctx)],
    ['upload', () => uploadModes(ctx)],
    ['small', () => smallFiles(ctx)],
    ['big', () => big(ctx)],
    ['repush', async () => {
      const r = await rePush(ctx);
      requests = r.requests;
      return r.rows;
    }],
  ];
  try {
    for (const [name, fn] of steps) {
      if (!only.has(name) || (name === 'gzip' && !only.has('packing'))) continue;
      log(`${name} (best of ${reps})`);
      rows.push(...(await fn()));
    }
  } finally {
    await registry.stop();
  }
  process.stdout.write(`${table(rows)}\n`);
  if (requests.length > 0) process.stdout.write(`\nrequests of the second --reproducible push:\n  ${requests.join('\n  ')}\n`);
  await writeJson(values.out, rows, { reps, requestsOfRePush: requests, trees: TREES });
  log(`wrote ${values.out}`);
  await rm(work, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`✗ ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
