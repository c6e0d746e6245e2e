/**
 * Timing and memory of real processes: wall time from spawn to exit, peak RSS from GNU time
 * (`/usr/bin/time -f %M`, the largest resident set of the process and the children it waited for).
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface Run {
  /** Wall seconds. */
  seconds: number;
  /** Peak resident set in MiB. */
  rssMiB: number;
  stdout: string;
}

export interface Cmd {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** The run must fail (fail-fast rows): a non-zero exit is its outcome, a zero exit an error of the bench. */
  mustFail?: boolean;
}

let seq = 0;

/** Runs `c` under GNU time; throws with its stderr when it exits non-zero. */
export async function run(c: Cmd): Promise<Run> {
  const rssFile = join(tmpdir(), `ocipack-bench-rss-${process.pid}-${seq++}`);
  const started = performance.now();
  const { code, stdout, stderr } = await spawnCollect(GNU_TIME, ['-f', '%M', '-o', rssFile, c.cmd, ...c.args], c);
  const seconds = (performance.now() - started) / 1000;
  const rssText = await readFile(rssFile, 'utf8').catch(() => '');
  await rm(rssFile, { force: true });
  if ((code !== 0) !== Boolean(c.mustFail)) {
    throw new Error(`${c.cmd} ${c.args.join(' ')} exited ${code}${c.mustFail ? ' (it must fail)' : ''}:\n${stderr.slice(-2000)}`);
  }
  const kib = Number(rssText.trim().split('\n').pop());
  return { seconds, rssMiB: Number.isFinite(kib) ? kib / 1024 : NaN, stdout };
}

/** `sh -c script` as a Cmd (for pipelines of peers). */
export function sh(script: string, env?: Record<string, string>): Cmd {
  return env ? { cmd: 'sh', args: ['-c', script], env } : { cmd: 'sh', args: ['-c', script] };
}

function spawnCollect(cmd: string, args: string[], c: Cmd): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: c.env ?? process.env, cwd: c.cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

export interface Best {
  /** Best (lowest) wall time over the repetitions. */
  seconds: number;
  /** Every repetition's wall time, in order. */
  all: number[];
  /** Highest peak RSS seen over the repetitions. */
  rssMiB: number;
}

/**
 * One contender: a process to run under GNU time (`cmd`) or an in-process timer (`time`, seconds);
 * `before` and `after` run untimed around each repetition (fresh dirs and registries, clean-up).
 */
export interface Contender {
  before?: (rep: number) => Promise<void>;
  cmd?: (rep: number) => Cmd;
  time?: (rep: number) => Promise<number>;
  after?: (rep: number) => Promise<void>;
}

/**
 * Runs each contender `reps` times, interleaved (A B, B A, …) so they share the machine's noise;
 * `before` runs untimed ahead of every repetition (fresh output dirs, fresh repositories).
 */
export async function compare(
  reps: number,
  contenders: Record<string, Contender>,
): Promise<Record<string, Best>> {
  const out: Record<string, Best> = {};
  const names = Object.keys(contenders);
  for (let rep = 0; rep < reps; rep++) {
    // A B C, then C B A: no contender always runs right after the same neighbour.
    for (const name of rep % 2 === 0 ? names : [...names].reverse()) {
      const c = contenders[name]!;
      await c.before?.(rep);
      const r = c.cmd ? await run(c.cmd(rep)) : { seconds: await c.time!(rep), rssMiB: 0 };
      await c.after?.(rep);
      const b = (out[name] ??= { seconds: Infinity, all: [], rssMiB: 0 });
      b.all.push(round(r.seconds));
      b.seconds = Math.min(b.seconds, round(r.seconds));
      b.rssMiB = Math.max(b.rssMiB, Math.round(r.rssMiB));
    }
  }
  return out;
}

/** Best of `reps` for an in-process async function. */
export async function bestOf(reps: number, fn: (rep: number) => Promise<void>, before?: (rep: number) => Promise<void>): Promise<Best> {
  const b: Best = { seconds: Infinity, all: [], rssMiB: 0 };
  for (let rep = 0; rep < reps; rep++) {
    await before?.(rep);
    const t = performance.now();
    await fn(rep);
    const s = round((performance.now() - t) / 1000);
    b.all.push(s);
    b.seconds = Math.min(b.seconds, s);
  }
  return b;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
