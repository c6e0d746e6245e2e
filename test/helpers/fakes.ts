/**
 * The test doubles several unit tests had each written for themselves: a loopback HTTP server closed
 * after the tests, an event sink, an in-memory Target, a credential-helper `exec` answering from a
 * table, content items (descriptor + bytes), scratch directories and layouts removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after } from 'node:test';
import { OciLayoutStore } from '../../src/content/layout.js';
import type { Body, FetchedManifest, Target } from '../../src/content/target.js';
import { OcipackError } from '../../src/core/errors.js';
import type { ProgressEvent } from '../../src/core/events.js';
import type { ExecResult, HelperExec } from '../../src/credentials/helper.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { digestOf } from '../../src/oci/digest.js';

/** A plain HTTP server on a free loopback port, closed (open connections too) after the tests. */
export async function fakeServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ host: string; url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { host, url: `http://${host}`, server };
}

/** Records what a use-case emits; `messages(type)` lists the messages of one kind (`debug`, `warning`, …). */
export function eventSink(): { events: ProgressEvent[]; onEvent: (e: ProgressEvent) => void; messages: (type: string) => string[] } {
  const events: ProgressEvent[] = [];
  return {
    events,
    onEvent: (e) => {
      events.push(e);
    },
    messages: (type) => events.flatMap((e) => (e.type === type && 'message' in e ? [e.message] : [])),
  };
}

/** Every byte of a stream. */
export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Content and its descriptor. */
export interface Item { desc: Descriptor; bytes: Buffer }

/** `content` with a descriptor of `mediaType` (and any extra descriptor fields). */
export function item(content: string | Buffer, mediaType = 'application/octet-stream', extra: Partial<Descriptor> = {}): Item {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return { desc: { mediaType, digest: digestOf(bytes), size: bytes.length, ...extra }, bytes };
}

/** A Target held in memory: manifests by digest and by tag, blobs by digest; counts manifest fetches. */
export class MemoryTarget implements Target {
  readonly name: string = 'memory';
  readonly manifests = new Map<string, Buffer>();
  readonly blobs = new Map<string, Buffer>();
  fetches = 0;

  /** Store a blob; returns its descriptor. */
  addBlob(bytes: Buffer, mediaType = 'application/octet-stream'): Descriptor {
    const { desc } = item(bytes, mediaType);
    this.blobs.set(desc.digest, bytes);
    return desc;
  }

  /** Store a manifest (an object, serialised), under `tag` too when given; returns its descriptor. */
  addManifest(manifest: unknown, tag?: string, mediaType = 'application/vnd.oci.image.manifest.v1+json'): Descriptor {
    const { desc, bytes } = item(JSON.stringify(manifest), mediaType);
    this.manifests.set(desc.digest, bytes);
    if (tag) this.manifests.set(tag, bytes);
    return desc;
  }

  async resolve(ref: string): Promise<Descriptor> {
    return (await this.fetchManifest(ref)).descriptor;
  }
  async fetchManifest(ref: string): Promise<FetchedManifest> {
    this.fetches++;
    const bytes = this.manifests.get(ref);
    if (!bytes) throw new OcipackError('NOT_FOUND', `no ${ref}`);
    return { descriptor: item(bytes, 'application/vnd.oci.image.manifest.v1+json').desc, bytes };
  }
  async fetchBlob(d: Descriptor): Promise<Readable> {
    const bytes = this.blobs.get(d.digest);
    if (!bytes) throw new OcipackError('NOT_FOUND', `no blob ${d.digest}`);
    return Readable.from([bytes]);
  }
  async exists(d: Descriptor): Promise<boolean> {
    return this.blobs.has(d.digest) || this.manifests.has(d.digest);
  }
  async pushBlob(d: Descriptor, body: Body): Promise<void> {
    this.blobs.set(d.digest, typeof body === 'function' ? await readAll(body()) : body);
  }
  async pushManifest(d: Descriptor, bytes: Buffer, tag?: string): Promise<void> {
    this.manifests.set(d.digest, bytes);
    if (tag) this.manifests.set(tag, bytes);
  }
  async listTags(): Promise<string[]> {
    return [...this.manifests.keys()].filter((k) => !k.includes(':'));
  }
}

/** One call of a credential helper, as `fakeExec` records it. */
export interface HelperCall { program: string; args: string[]; input: string }

/**
 * A credential-helper `exec` answering from a table keyed `"<program> <stdin>"` or `"<program>"`
 * (an Error is thrown); a program not in it is not installed (ENOENT). Calls are recorded in `calls`.
 */
export function fakeExec(answers: Record<string, Partial<ExecResult> | Error>, calls: HelperCall[] = []): HelperExec {
  return async (program, args, opts) => {
    calls.push({ program, args, input: opts.input });
    const a = answers[`${program} ${opts.input}`] ?? answers[program];
    if (a instanceof Error) throw a;
    if (!a) throw Object.assign(new Error('spawn ENOENT'), { code: 'ENOENT' });
    return { code: 0, stdout: '', stderr: '', ...a };
  };
}

/** A fresh temporary directory, removed after the tests. */
export async function scratchDir(prefix = 'ocipack-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A new OCI layout (`<scratch>/layout`), removed after the tests. */
export async function scratchLayout(prefix = 'ocipack-layout-'): Promise<OciLayoutStore> {
  return OciLayoutStore.open(join(await scratchDir(prefix), 'layout'), { create: true });
}
