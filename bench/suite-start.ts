/**
 * Start-up: `ocipack --version` to exit, and a pull's first HTTP request (spawn → the request
 * reaching a listener in this process), both against `node -e 0`; with NODE_EXTRA_CA_CERTS unset
 * (the goals) and set to the system bundle (reported: Node loads that file itself at start).
 * Timed here with spawn directly, no GNU time in between, every contender the same way.
 */
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { ocipack, type Ctx } from './context.js';
import { compare, round } from './measure.js';
import { timeRow, type Row } from './report.js';

const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** Seconds from spawn to exit (`untilRequest` unset) or to the listener's next request (then the child is killed). */
function timed(cmd: string, args: string[], env: Record<string, string>, untilRequest?: Listener): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, stdio: 'ignore' });
    let requestAt: number | undefined;
    if (untilRequest) {
      untilRequest.next = (at) => {
        requestAt = at;
        child.kill('SIGKILL');
      };
    }
    child.on('error', reject);
    child.on('exit', (code) => {
      if (untilRequest) {
        untilRequest.next = undefined;
        if (requestAt === undefined) reject(new Error(`${cmd} ${args.join(' ')} exited ${code} before any request`));
        else resolve(round((requestAt - started) / 1000, 4));
      } else if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`));
      else resolve(round((performance.now() - started) / 1000, 4));
    });
  });
}

interface Listener {
  server: Server;
  url: string;
  next?: (at: number) => void;
}

/** A loopback HTTP listener that notes when a request arrives and answers 404. */
async function listener(): Promise<Listener> {
  const l: Listener = { server: createServer(), url: '' };
  l.server.on('request', (_req, res) => {
    l.next?.(performance.now());
    res.writeHead(404, { 'content-length': '0' }).end();
  });
  await new Promise<void>((resolve) => l.server.listen(0, '127.0.0.1', resolve));
  const addr = l.server.address();
  if (typeof addr !== 'object' || addr === null) throw new Error('listener has no address');
  l.url = `127.0.0.1:${addr.port}`;
  return l;
}

/** The start-up rows for one NODE_EXTRA_CA_CERTS setting; goals only where it is unset. */
async function oneSetting(ctx: Ctx, l: Listener, ca: boolean): Promise<Row[]> {
  const env = ca ? { ...ctx.env, NODE_EXTRA_CA_CERTS: CA_BUNDLE } : ctx.env;
  const cli = (args: string[]) => ocipack({ ...ctx, env }, args);
  const reps = ctx.quick ? 3 : Math.max(15, ctx.reps * 5);
  const version = cli(['--version']);
  const pull = cli(['pull', `oci://${l.url}/bench/first:v1`, '-o', join(ctx.work, 'first-request')]);
  const r = await compare(reps, {
    node: { time: () => timed(process.execPath, ['-e', '0'], env) },
    version: { time: () => timed(version.cmd, version.args, env) },
    pull: { time: () => timed(pull.cmd, pull.args, env, l) },
    get: { time: () => timed(process.execPath, ['-e', `require('http').get('http://${l.url}/v2/', (r) => r.resume())`], env, l) },
  });
  const node = { name: 'node -e 0', best: r.node! };
  const group = `start-up, NODE_EXTRA_CA_CERTS ${ca ? 'set' : 'unset'}`;
  return [
    timeRow(group, 'ocipack --version', r.version!, node, ca ? undefined : 1.3),
    timeRow(group, 'ocipack pull: spawn → first request', r.pull!, node, ca ? undefined : 2.5),
    timeRow(group, 'node http.get: spawn → first request (reference)', r.get!, node),
  ];
}

/** Both settings (the second only where the system CA bundle exists), and `push --help`. */
export async function startup(ctx: Ctx): Promise<Row[]> {
  const l = await listener();
  try {
    const rows = await oneSetting(ctx, l, false);
    if (await access(CA_BUNDLE).then(() => true, () => false)) rows.push(...(await oneSetting(ctx, l, true)));
    const help = await compare(ctx.quick ? 1 : 5, {
      help: { cmd: () => ocipack(ctx, ['push', '--help']) },
    });
    rows.push(timeRow('start-up', 'ocipack push --help (GNU time)', help.help!));
    return rows;
  } finally {
    l.server.closeAllConnections();
    await new Promise((resolve) => l.server.close(resolve));
  }
}
