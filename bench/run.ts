/**
 * `npm run bench`: generates the data, starts a real registry on loopback, measures every goal of
 * issues 16 and 26 as a ratio against a real peer (fluxgo, GNU tar, pigz, curl, skopeo, node) in one run, contenders
 * interleaved, best of --reps; prints one markdown table and writes JSON.
 *
 *   node dist/bench/run.js [--reps N] [--quick] [--2g] [--only a,b] [--out bench/results.json] [--work dir]
 */
import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { startRegistry } from '../test/helpers/registry.js';
import { cleanEnv, ROOT, type Ctx } from './context.js';
import { ensureTree, QUICK_TREES, TREES } from './data.js';
import { GNU_TIME } from './measure.js';
import { table, writeJson, type Row } from './report.js';
import { big } from './suite-big.js';
import { copies } from './suite-copy.js';
import { list } from './suite-list.js';
import { gzipEngines, packing } from './suite-local.js';
import { pull200, pullSmall } from './suite-pull.js';
import { buildSmall, failFast, push200, pushSmall } from './suite-push.js';
import { pushTransfer, rePush } from './suite-registry.js';
import { startup } from './suite-start.js';
import { typical } from './suite-typical.js';
import { uploadModes } from './upload-modes.js';

const SUITES = ['typical', 'startup', 'pull', 'small', 'push', 'build', 'copy', 'list', 'failfast', 'big', 'packing', 'gzip', 'transfer', 'upload', 'repush'] as const;
type Suite = (typeof SUITES)[number];

async function requireTools(): Promise<void> {
  const { execFile } = await import('node:child_process');
  const missing: string[] = [];
  for (const tool of ['curl', 'gzip', 'pigz', 'skopeo', 'tar', 'htpasswd'] as const) {
    const ok = await new Promise<boolean>((resolve) => execFile('sh', ['-c', `command -v ${tool}`], (err) => resolve(!err)));
    if (!ok) missing.push(tool === 'htpasswd' ? 'apache2-utils' : tool);
  }
  if (!(await access(GNU_TIME).then(() => true, () => false))) missing.push('time');
  if (missing.length > 0) throw new Error(`the benchmark needs: apt-get install ${missing.join(' ')} (or: node scripts/setup.mjs)`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string' },
      quick: { type: 'boolean', default: false },
      '2g': { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string', default: join(ROOT, 'bench', 'results.json') },
      // Where the repetitions write (extractions, layouts, temp files): a tmpfs such as /dev/shm takes the
      // disk's own noise out (ext4 with discard slows file creation for seconds after each mass delete).
      work: { type: 'string', default: join(ROOT, '.bench', 'work') },
    },
  });
  const quick = values.quick;
  const reps = Number(values.reps ?? (quick ? 1 : 5));
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps must be a positive integer');
  const only = new Set((values.only ?? SUITES.join(',')).split(',') as Suite[]);
  for (const s of only) if (!SUITES.includes(s)) throw new Error(`unknown suite "${s}"; known: ${SUITES.join(', ')}`);
  await requireTools();

  const base = join(ROOT, '.bench');
  const work = values.work;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const log = (m: string) => process.stderr.write(`► ${m}\n`);
  log('generating data (once; reused from .bench/data)');
  const specs = quick ? QUICK_TREES : TREES;
  const data = join(base, 'data');
  const trees: Ctx['trees'] = { mixed200: await ensureTree(data, specs.mixed200), small20k: await ensureTree(data, specs.small20k) };
  if (values['2g'] && only.has('big')) trees.mixed2g = await ensureTree(data, specs.mixed2g);
  const label = quick
    ? { mixed200: '20 MiB (quick)', small20k: '2 000 small files (quick)', mixed2g: '60 MiB (quick --2g)' }
    : { mixed200: '200 MiB', small20k: '20 000 small files', mixed2g: '2 GiB' };

  const registry = await startRegistry();
  let n = 0;
  const ctx: Ctx = {
    reps, quick, root: ROOT, work, trees, label, env: await cleanEnv(work), registry,
    copyBlobBytes: (quick ? 4 : 64) * 2 ** 20, fresh: (p) => `${p}-${++n}`,
  };
  const rows: Row[] = [];
  let requests: string[] = [];
  const steps: Array<[Suite, () => Promise<Row[]>]> = [
    ['typical', () => typical(ctx)],
    ['startup', () => startup(ctx)],
    ['pull', () => pull200(ctx)],
    ['small', async () => [...(await pullSmall(ctx)), ...(await pushSmall(ctx))]],
    ['push', () => push200(ctx)],
    ['build', () => buildSmall(ctx)],
    ['copy', () => copies(ctx)],
    ['list', () => list(ctx)],
    ['failfast', () => failFast(ctx)],
    ['big', () => big(ctx)],
    ['packing', () => packing(ctx)],
    ['gzip', () => gzipEngines(ctx)],
    ['transfer', () => pushTransfer(ctx)],
    ['upload', () => uploadModes(ctx)],
    ['repush', async () => {
      const r = await rePush(ctx);
      requests = r.requests;
      return r.rows;
    }],
  ];
  try {
    for (const [name, fn] of steps) {
      if (!only.has(name) || (name === 'gzip' && !only.has('packing'))) continue;
      const started = performance.now();
      rows.push(...(await fn()));
      log(`${name} (best of ${reps}): ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await registry.stop();
  }
  process.stdout.write(`${table(rows)}\n`);
  if (requests.length > 0) process.stdout.write(`\nrequests of the second --reproducible push:\n  ${requests.join('\n  ')}\n`);
  await writeJson(values.out, rows, { reps, quick, work, tmpdir: tmpdir(), requestsOfRePush: requests, trees: specs });
  log(`wrote ${values.out}`);
  await rm(work, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`✗ ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
