/**
 * The typical workload (issue 26): a directory of Kubernetes YAML pushed or pulled by a one-shot process,
 * against a Go client doing flux's job (`fluxgo`, built from ../shared/peers/fluxgo with Debian's Go
 * packages). S / M / L trees (20, 300, 3 000 files) on loopback; push M and pull M through a 20 ms RTT
 * proxy (../shared/peers/delayproxy.py); requests and TCP connections of one push and one pull counted by
 * a relay. Skipped, with one line saying why, when Go or the peer's sources are missing. A third contender,
 * `node floor` (floor.cts: Node's own http, no checks at all), shows what Node itself costs on each row: a
 * reference without a goal, for what the goals ask of any Node program.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../test/helpers/registry.js';
import { freshDir, gone, ocipack, type Ctx } from './context.js';
import { compare, run, sh, type Cmd } from './measure.js';
import { limitRow, timeRow, type Row } from './report.js';
import { tcpCounter } from './tcpcount.js';

/** The goals of issue 26: ocipack / fluxgo wall time, best of the repetitions. */
const GOALS = { push: { S: 3.5, M: 2.0, L: 1.0 }, pull: { S: 3.5, M: 2.5, L: 1.3 }, rtt: 1.2 } as const;
/** Requests and connections one command may cost (a new repository for the push). */
const LIMITS = { pushRequests: 8, pullRequests: 3, pushConnections: 2, pullConnections: 1 } as const;
const SETS = ['S', 'M', 'L'] as const;
const RTT_MS = 20;
/** The floor's name in the rows. */
const FLOOR = 'node floor (node:http, no checks)';

/** Where the shared peers live: ../shared/peers beside the repository. */
function peersDir(ctx: Ctx): string {
  return join(ctx.root, '..', 'shared', 'peers');
}

/** Builds fluxgo once into .bench/fluxgo; undefined (and why) when it cannot be built here. */
async function buildPeer(ctx: Ctx): Promise<{ bin?: string; why?: string }> {
  const script = join(peersDir(ctx), 'fluxgo', 'build.sh');
  if (!(await access(script).then(() => true, () => false))) return { why: `no ${script}` };
  const hasGo = await run(sh('command -v go', ctx.env)).then(() => true, () => false);
  if (!hasGo) return { why: 'Go is not installed (apt-get install golang-go golang-oras-oras-go-dev)' };
  const bin = join(ctx.root, '.bench', 'fluxgo');
  if (!(await access(bin).then(() => true, () => false))) await run({ cmd: 'bash', args: [script, bin], env: { ...ctx.env, GOCACHE: join(ctx.root, '.bench', 'gocache') } });
  return { bin };
}

/** The S, M and L trees of typical-data.py, generated once under .bench/data/typical. */
async function trees(ctx: Ctx): Promise<Record<(typeof SETS)[number], string>> {
  const root = join(ctx.root, '.bench', 'data', 'typical');
  if (!(await access(join(root, 'L')).then(() => true, () => false))) {
    await mkdir(root, { recursive: true });
    await run({ cmd: 'python3', args: [join(peersDir(ctx), 'typical-data.py'), root, ...SETS], env: ctx.env });
  }
  return { S: join(root, 'S'), M: join(root, 'M'), L: join(root, 'L') };
}

/** The floor program (floor.cts) as a command. */
function floor(ctx: Ctx, args: string[]): Cmd {
  return { cmd: process.execPath, args: [join(ctx.root, 'dist', 'bench', 'floor.cjs'), ...args], env: ctx.env };
}

/** A push and a pull of `tree` through `host`, ocipack against fluxgo and the Node floor, interleaved. */
async function pushPull(ctx: Ctx, bin: string, host: string, tree: string, reps: number) {
  const ours = (args: string[]): Cmd => ocipack(ctx, args);
  const push = await compare(reps, {
    ocipack: { cmd: () => ours(['push', `oci://${host}/typical/${ctx.fresh('o')}:v1`, '--path', tree, '--source', 'bench', '--revision', 'r1']) },
    fluxgo: { cmd: () => ({ cmd: bin, args: ['push', `${host}/typical/${ctx.fresh('g')}:v1`, tree, 'bench', 'r1'], env: ctx.env }) },
    floor: { cmd: () => floor(ctx, ['push', `${host}/typical/${ctx.fresh('f')}:v1`, tree]) },
  });
  const ref = `${host}/typical/${ctx.fresh('pull')}:v1`;
  await run(ours(['push', `oci://${ref}`, '--path', tree, '--source', 'bench', '--revision', 'r1']));
  const outs: string[] = [];
  const out = async () => {
    const d = await freshDir(ctx, 'typical-out');
    outs.push(d);
    return d;
  };
  let dir = '';
  const pull = await compare(reps, {
    ocipack: { before: async () => void (dir = await out()), cmd: () => ours(['pull', `oci://${ref}`, '-o', dir]), after: () => gone(dir) },
    fluxgo: { before: async () => void (dir = await out()), cmd: () => ({ cmd: bin, args: ['pull', ref, dir], env: ctx.env }), after: () => gone(dir) },
    floor: { before: async () => void (dir = await out()), cmd: () => floor(ctx, ['pull', ref, dir]), after: () => gone(dir) },
  });
  return { push, pull };
}

/** Starts delayproxy.py in front of the registry; resolves once it accepts connections. */
async function delayProxy(ctx: Ctx, targetPort: number): Promise<{ host: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('python3', [join(peersDir(ctx), 'delayproxy.py'), String(port), String(targetPort), String(RTT_MS)], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await accepts(port)); i++) await new Promise((r) => setTimeout(r, 50));
  return { host: `127.0.0.1:${port}`, proc };
}

/** Whether something listens on the loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Requests and connections of one fresh push and one pull of `tree`, for ocipack and fluxgo. */
async function counts(ctx: Ctx, bin: string, tree: string): Promise<Row[]> {
  const relay = await tcpCounter(Number(ctx.registry.host.split(':')[1]));
  const rows: Row[] = [];
  try {
    const who = {
      ocipack: { push: (ref: string) => ocipack(ctx, ['push', `oci://${ref}`, '--path', tree, '--source', 'bench', '--revision', 'r1']), pull: (ref: string, d: string) => ocipack(ctx, ['pull', `oci://${ref}`, '-o', d]) },
      fluxgo: { push: (ref: string) => ({ cmd: bin, args: ['push', ref, tree, 'bench', 'r1'], env: ctx.env }), pull: (ref: string, d: string) => ({ cmd: bin, args: ['pull', ref, d], env: ctx.env }) },
    };
    for (const [name, c] of Object.entries(who)) {
      const ref = `${relay.host}/typical/${ctx.fresh(`count-${name}`)}:v1`;
      relay.take();
      await run(c.push(ref));
      const pushed = relay.take();
      const dir = await freshDir(ctx, 'typical-count');
      await run(c.pull(ref, dir));
      const pulled = relay.take();
      await rm(dir, { recursive: true, force: true });
      const mine = name === 'ocipack';
      rows.push(
        limitRow('typical M: round trips', `${name} push (new repository): ${summary(pushed.requests)}`, pushed.requests.length, 'requests', mine ? LIMITS.pushRequests : undefined),
        limitRow('typical M: round trips', `${name} push: TCP connections`, pushed.connections, 'connections', mine ? LIMITS.pushConnections : undefined),
        limitRow('typical M: round trips', `${name} pull: ${summary(pulled.requests)}`, pulled.requests.length, 'requests', mine ? LIMITS.pullRequests : undefined),
        limitRow('typical M: round trips', `${name} pull: TCP connections`, pulled.connections, 'connections', mine ? LIMITS.pullConnections : undefined),
      );
    }
  } finally {
    await relay.close();
  }
  return rows;
}

/** `GET /v2/, HEAD blob ×2, PUT manifest`: each request by method and what it names, repeats counted, in order. */
export function summary(requests: string[]): string {
  const what = (path: string): string => (path === '/v2/' ? '/v2/' : path.includes('/blobs/uploads/') ? 'upload' : path.includes('/manifests/') ? 'manifest' : path.includes('/blobs/') ? 'blob' : path.includes('/referrers/') ? 'referrers' : 'other');
  const parts: Array<{ label: string; n: number }> = [];
  for (const r of requests) {
    const [method, path = ''] = r.split(' ');
    const label = `${method} ${what(path)}`;
    const last = parts.at(-1);
    if (last?.label === label) last.n += 1;
    else parts.push({ label, n: 1 });
  }
  return parts.map((p) => (p.n > 1 ? `${p.label} ×${p.n}` : p.label)).join(', ');
}

/** ocipack's push and pull against fluxgo (with their goals), then the Node floor's against fluxgo (none). */
function timeRows(group: string, r: Awaited<ReturnType<typeof pushPull>>, pushGoal: number, pullGoal: number): Row[] {
  const peer = (verb: 'push' | 'pull') => ({ name: `fluxgo ${verb}`, best: r[verb].fluxgo! });
  return [
    timeRow(group, 'ocipack push', r.push.ocipack!, peer('push'), pushGoal),
    timeRow(group, 'ocipack pull', r.pull.ocipack!, peer('pull'), pullGoal),
    timeRow(group, `${FLOOR} push`, r.push.floor!, peer('push')),
    timeRow(group, `${FLOOR} pull`, r.pull.floor!, peer('pull')),
  ];
}

/** Every row of the typical group; none (and one line on stderr) when the Go peer cannot be built. */
export async function typical(ctx: Ctx): Promise<Row[]> {
  const peer = await buildPeer(ctx);
  if (!peer.bin) {
    process.stderr.write(`⚠ typical workload skipped: ${peer.why}\n`);
    return [];
  }
  const bin = peer.bin;
  const t = await trees(ctx);
  const reps = Math.max(ctx.reps, ctx.quick ? 1 : 7);
  const rows: Row[] = [];
  for (const set of SETS) rows.push(...timeRows(`typical ${set} (loopback)`, await pushPull(ctx, bin, ctx.registry.host, t[set], reps), GOALS.push[set], GOALS.pull[set]));
  const proxy = await delayProxy(ctx, Number(ctx.registry.host.split(':')[1]));
  try {
    rows.push(...timeRows(`typical M (${RTT_MS} ms RTT)`, await pushPull(ctx, bin, proxy.host, t.M, reps), GOALS.rtt, GOALS.rtt));
  } finally {
    proxy.proc.kill();
  }
  rows.push(...(await counts(ctx, bin, t.M)));
  return rows;
}
