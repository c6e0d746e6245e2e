/**
 * Rows of the benchmark: one table on stdout (markdown, so the README can quote it) and JSON.
 * Run alone, it prints the README's Performance table from a results file:
 *   node dist/bench/report.js bench/results.json
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Best } from './measure.js';
import { round } from './measure.js';

export interface Row {
  group: string;
  /** What ocipack did. */
  name: string;
  value: number;
  unit: 's' | 'MiB' | 'requests' | 'connections' | 'blob uploads' | 'bytes';
  /** The peer it is compared with, its value in the same unit, and ocipack / peer. */
  peer?: string;
  peerValue?: number;
  ratio?: number;
  /** Human text of the goal, and whether this run met it (the JSON keeps the names `target`, `ok`). */
  target?: string;
  ok?: boolean;
  /** Every repetition, for the JSON. */
  all?: number[];
  peerAll?: number[];
}

/** A timing row: ocipack's best against the peer's best, with an upper bound on the ratio. */
export function timeRow(group: string, name: string, ours: Best, peer?: { name: string; best: Best }, maxRatio?: number, targetText?: string): Row {
  const row: Row = { group, name, value: ours.seconds, unit: 's', all: ours.all };
  if (peer) {
    row.peer = peer.name;
    row.peerValue = peer.best.seconds;
    row.peerAll = peer.best.all;
    row.ratio = round(ours.seconds / peer.best.seconds, 2);
    if (maxRatio !== undefined) {
      row.target = targetText ?? `≤ ${maxRatio}×`;
      row.ok = row.ratio <= maxRatio;
    }
  }
  return row;
}

/** A value row with an upper bound (memory, request counts). */
export function limitRow(group: string, name: string, value: number, unit: Row['unit'], max?: number, targetText?: string): Row {
  const row: Row = { group, name, value, unit };
  if (max !== undefined) {
    row.target = targetText ?? `≤ ${max} ${unit}`;
    row.ok = value <= max;
  }
  return row;
}

function fmt(v: number | undefined, unit: string): string {
  if (v === undefined) return '';
  if (unit === 's') return v < 1 ? `${Math.round(v * 1000)} ms` : `${v.toFixed(2)} s`;
  if (unit === 'MiB') return `${Math.round(v)} MiB`;
  return `${v} ${unit === 'requests' ? 'req' : unit}`;
}

/** The markdown table of every row: the goal column says met or missed where there is a goal. */
export function table(rows: Row[]): string {
  const head = ['group', 'ocipack', 'value', 'peer', 'peer value', 'ratio', 'goal', 'met'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const cells = [
      r.group, r.name, fmt(r.value, r.unit), r.peer ?? '', fmt(r.peerValue, r.unit),
      r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`, r.target ?? '', r.ok === undefined ? '' : r.ok ? 'met' : 'missed',
    ];
    lines.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** What run.ts writes to results.json (the part the README table needs). */
export interface Results {
  date: string;
  reps: number;
  quick?: boolean;
  machine: { cpus: number; model: string; node: string; zlib: string };
  rows: Row[];
}

/** The README's Performance table from a results file: one line naming the run, then the table. */
export function readmeTable(results: Results): string {
  const m = results.machine;
  const cpu = m.model.replace(/\s+\d+-Core Processor$/, '').trim();
  const run = `${results.date.slice(0, 10)}, ${m.cpus} vCPU ${cpu}, Node ${m.node.replace(/^v/, '')}, zlib ${m.zlib}; best of ${results.reps}${results.quick ? ', --quick (smoke run, not a measurement)' : ''}`;
  const goals = results.rows.filter((r) => r.ok !== undefined);
  const met = goals.filter((r) => r.ok).length;
  return `The run committed as \`bench/results.json\` (${run}); ${met} of ${goals.length} goals met:\n\n${table(results.rows)}\n`;
}

/** Writes the rows with enough context to read them later (machine, load, versions). */
export async function writeJson(file: string, rows: Row[], extra: Record<string, unknown>): Promise<void> {
  const machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? 'unknown',
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    zlib: process.versions.zlib,
    loadavgAtEnd: loadavg().map((x) => round(x, 2)),
  };
  await writeFile(file, `${JSON.stringify({ date: new Date().toISOString(), machine, ...extra, rows }, null, 2)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node dist/bench/report.js bench/results.json\n');
    process.exitCode = 2;
  } else {
    process.stdout.write(readmeTable(JSON.parse(await readFile(file, 'utf8')) as Results));
  }
}
