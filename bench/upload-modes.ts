/**
 * The push upload, two ways, in this process against a fresh registry each time:
 *  - temp file: pack to a file (digest known), then POST + one monolithic PUT from the file
 *    (what `ocipack push` does: the body is replayable, and a HEAD can skip an existing blob);
 *  - streamed: POST, then one PATCH whose body is the packer's output as it is produced, then
 *    PUT ?digest= (distribution's streamed upload; not replayable, and the digest comes too late
 *    for a HEAD check).
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import { packToFile, packToStream } from '../src/artifact/tar/pack.js';
import { startRegistry, type RunningRegistry } from '../test/helpers/registry.js';
import type { Ctx } from './context.js';
import { bestOf, type Best } from './measure.js';
import { timeRow, type Row } from './report.js';

async function startUpload(reg: RunningRegistry, repo: string): Promise<string> {
  const res = await request(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } });
  await res.body.dump();
  if (res.statusCode !== 202) throw new Error(`POST upload: ${res.statusCode}`);
  return new URL(String(res.headers.location), reg.url).toString();
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  url.searchParams.append('digest', digest);
  return url.toString();
}

async function expect(status: number, res: Awaited<ReturnType<typeof request>>, what: string): Promise<void> {
  const body = await res.body.text();
  if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${body.slice(0, 200)}`);
}

async function viaTempFile(reg: RunningRegistry, tree: string, file: string): Promise<void> {
  const packed = await packToFile({ path: tree }, file);
  const location = await startUpload(reg, 'bench/temp');
  const res = await request(withDigest(location, packed.digest), {
    method: 'PUT',
    headers: { 'content-length': String(packed.size), 'content-type': 'application/octet-stream' },
    body: createReadStream(file),
  });
  await expect(201, res, 'PUT');
  await rm(file, { force: true });
}

async function streamed(reg: RunningRegistry, tree: string): Promise<void> {
  const location = await startUpload(reg, 'bench/stream');
  const body = new PassThrough();
  const packing = packToStream({ path: tree }, body);
  const patch = request(location, { method: 'PATCH', headers: { 'content-type': 'application/octet-stream' }, body });
  const [packed, res] = await Promise.all([packing, patch]);
  await expect(202, res, 'PATCH');
  const next = new URL(String(res.headers.location), reg.url).toString();
  const put = await request(withDigest(next, packed.digest), { method: 'PUT', headers: { 'content-length': '0' } });
  await expect(201, put, 'PUT');
}

function add(total: Best, one: Best): void {
  total.all.push(...one.all);
  total.seconds = Math.min(total.seconds, one.seconds);
}

/** Best of `reps` for each upload mode of the 200 MiB tree. */
export async function uploadModes(ctx: Ctx): Promise<Row[]> {
  let reg: RunningRegistry | undefined;
  const fresh = async () => {
    await reg?.stop();
    reg = await startRegistry();
  };
  try {
    const file = join(ctx.work, 'upload-mode.tgz');
    const temp: Best = { seconds: Infinity, all: [], rssMiB: 0 };
    const stream: Best = { seconds: Infinity, all: [], rssMiB: 0 };
    for (let rep = 0; rep < ctx.reps; rep++) {
      // Interleaved, so both modes share the machine's noise.
      add(temp, await bestOf(1, () => viaTempFile(reg!, ctx.trees.mixed200, file), fresh));
      add(stream, await bestOf(1, () => streamed(reg!, ctx.trees.mixed200), fresh));
    }
    return [timeRow('push upload mode (in-process)', 'temp file, then PUT', temp, { name: 'streamed PATCH while packing', best: stream })];
  } finally {
    await reg?.stop();
  }
}
