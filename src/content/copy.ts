/**
 * Copy a manifest graph between two Targets (oras-go's Copy, trimmed): an index's child manifests,
 * an image manifest's config and layers, children before parents, the root manifest last, and
 * nothing the destination already holds. `subject` is not followed (referrers are not "children").
 */
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import { emitter, type BlobAction, type OnEvent } from '../core/events.js';
import type { Descriptor } from '../oci/descriptor.js';
import { FOREIGN_LAYER_TYPES, MANIFEST_MEDIA_TYPES } from '../oci/mediatypes.js';
import { parseManifest, successors } from '../oci/manifest.js';
import { Limiter, settleAll } from './pool.js';
import { pushManifestTagged } from './multitag.js';
import type { Readable } from 'node:stream';
import { tryResolve } from './read.js';
import { cancelled, counting, countingStream, readAll, refetching } from './bodies.js';
import { holdsPartialGraphs, isReplayableSource, isStreamSink, type Body, type GraphSource, type Target } from './target.js';

/** Blobs up to this size are held in memory, so any destination can resend them on retry. */
const BUFFER_LIMIT = 4 * 1024 * 1024;


export interface CopyOptions {
  /** Tag the root manifest gets in the destination (by digest only when absent). */
  tag?: string;
  /** Several tags for the root (wins over `tag`): in one request where the destination can (content/multitag.ts). */
  tags?: readonly string[];
  /** Parallel transfers; default DEFAULTS.concurrency. */
  concurrency?: number;
  onEvent?: OnEvent;
  signal?: AbortSignal;
  /** Try to make a missing blob appear in the destination without a transfer (cross-repo mount). */
  mount?: (desc: Descriptor) => Promise<boolean>;
  /** Walk the graph and count what would be written (read from the source, checked in the destination); write nothing. */
  dryRun?: boolean;
  /** The action blob events carry: `upload` (a push, the default) or `copy` (between two stores). */
  action?: Extract<BlobAction, 'upload' | 'copy'>;
  /**
   * The caller just learned the root is not what the tag holds (push read the tag first): skip asking
   * whether the destination holds the root, one round trip fewer. Were it there under another name, its
   * blobs are found present and skipped, and the manifest is put again: the same result.
   */
  rootAbsent?: boolean;
  /**
   * A root the destination already holds (named by `tag`, when one is given) is left as it is: no manifest
   * is put again, so a rerun of a mirror writes nothing.
   */
  keepPresent?: boolean;
}

export interface CopyResult {
  /** Blobs and manifests written to the destination (the root manifest included). */
  copied: number;
  /** Blobs and manifests the destination already had, or that were mounted or left out. */
  skipped: number;
  /** Bytes of everything written. */
  bytes: number;
}

/** The graph-writer options a use-case's run options imply, with the tag (or tags) the root gets. */
export function graphOptions(opts: { onEvent?: OnEvent; signal?: AbortSignal }, tag?: string | readonly string[]): CopyOptions {
  const o: CopyOptions = {};
  if (typeof tag === 'string') o.tag = tag;
  else if (tag !== undefined) o.tags = tag;
  if (opts.onEvent) o.onEvent = opts.onEvent;
  if (opts.signal) o.signal = opts.signal;
  return o;
}

/** Copy `root` and everything it references from `src` to `dst`; the root manifest is written last. */
export async function copyGraph(src: GraphSource, dst: Target, root: Descriptor, opts: CopyOptions = {}): Promise<CopyResult> {
  return new GraphCopier(src, dst, opts).run(root);
}

class GraphCopier {
  private readonly result: CopyResult = { copied: 0, skipped: 0, bytes: 0 };
  private readonly emit: OnEvent;
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  private readonly limit: Limiter;
  private readonly started = new Map<string, Promise<void>>();
  /** Blobs already announced in a `blob:plan` event (a blob two manifests share counts once). */
  private readonly planned = new Set<string>();
  private readonly action: Extract<BlobAction, 'upload' | 'copy'>;
  private firstError: unknown;
  /**
   * A registry keeps a manifest only while it holds its blobs, so a present manifest means a present graph;
   * a store that declares it may hold partial graphs (a layout directory) has its graph always walked.
   */
  private readonly trustsGraph: boolean;

  constructor(private readonly src: GraphSource, private readonly dst: Target, private readonly opts: CopyOptions) {
    this.emit = emitter(opts.onEvent);
    this.signal = opts.signal ? AbortSignal.any([opts.signal, this.stop.signal]) : this.stop.signal;
    this.limit = new Limiter(Math.max(1, opts.concurrency ?? DEFAULTS.concurrency), this.signal);
    this.trustsGraph = !holdsPartialGraphs(dst);
    this.action = opts.action ?? 'upload';
  }

  async run(root: Descriptor): Promise<CopyResult> {
    try {
      const fetched = await this.limit.run(() => this.src.fetchManifest(root.digest));
      const desc = withMediaType(root, fetched.descriptor.mediaType);
      checkSize(desc, fetched.bytes);
      const tags = this.opts.tags ?? (this.opts.tag === undefined ? [] : [this.opts.tag]);
      const present = !this.opts.rootAbsent && (await this.dst.exists(desc));
      if (present && this.trustsGraph) this.emit({ type: 'debug', message: `${desc.digest} already in ${this.dst.name}` });
      else await this.children(desc, fetched.bytes, 0);
      // a manifest kept as it is (keepPresent) once its graph is known complete: a layout's was just walked
      if (present && this.opts.keepPresent && (await this.tagged(desc, tags))) {
        this.skip(desc, 'exists');
        return { ...this.result };
      }
      if (!this.opts.dryRun) {
        const writes = await this.limit.run(() => pushManifestTagged(this.dst, desc, fetched.bytes, tags));
        if (tags.length > 1) this.emit({ type: 'debug', message: `${tags.length} tags of ${desc.digest} written in ${writes} manifest request(s)` });
      }
      this.count(desc);
      if (tags.length === 0) this.emit({ type: 'manifest:pushed', digest: desc.digest });
      for (const tag of tags) this.emit({ type: 'manifest:pushed', digest: desc.digest, tag });
      return { ...this.result };
    } catch (err) {
      throw this.firstError ?? err;
    }
  }

  /** True when every destination tag asked for (if any) already names `desc`. */
  private async tagged(desc: Descriptor, tags: readonly string[]): Promise<boolean> {
    for (const tag of tags) {
      if ((await this.limit.run(() => tryResolve(this.dst, tag)))?.digest !== desc.digest) return false;
    }
    return true;
  }

  /** Copy what a manifest references, all in parallel (bounded by the limiter), and wait for all. */
  private async children(desc: Descriptor, bytes: Buffer, depth: number): Promise<void> {
    if (depth >= DEFAULTS.caps.depth) throw new OcipackError('CAP', `manifest graph deeper than ${DEFAULTS.caps.depth} levels at ${desc.digest}`);
    // Biggest first: the long transfer starts at once, and a single progress line follows it.
    const kids = [...successors(parseManifest(bytes, { where: desc.digest, mediaType: desc.mediaType }))].sort((a, b) => b.size - a.size);
    this.plan(kids.filter((k) => !isManifestType(k.mediaType)));
    await settleAll(kids.map((k) => (isManifestType(k.mediaType) ? this.manifest(k, depth + 1) : this.blob(k))));
  }

  private manifest(desc: Descriptor, depth: number): Promise<void> {
    return this.once(desc, async () => {
      const present = await this.limit.run(() => this.dst.exists(desc));
      if (present && this.trustsGraph) return this.skip(desc, 'exists');
      const fetched = await this.limit.run(() => this.src.fetchManifest(desc.digest));
      checkSize(desc, fetched.bytes);
      const full = withMediaType(desc, fetched.descriptor.mediaType);
      await this.children(full, fetched.bytes, depth);
      if (present) return this.skip(desc, 'exists');
      if (!this.opts.dryRun) await this.limit.run(() => this.dst.pushManifest(full, fetched.bytes));
      this.count(full);
      this.emit({ type: 'debug', message: `copied manifest ${desc.digest}` });
    });
  }

  private blob(desc: Descriptor): Promise<void> {
    return this.once(desc, () => this.limit.run(async () => {
      if (await this.dst.exists(desc)) return this.skip(desc, 'exists');
      if (this.opts.dryRun) {
        this.count(desc);
        return this.emit({ type: 'info', message: `dry run: would copy ${desc.mediaType} ${desc.digest} (${desc.size} bytes)` });
      }
      if (this.opts.mount && (await this.opts.mount(desc))) return this.skip(desc, 'mounted');
      if (FOREIGN_LAYER_TYPES.has(desc.mediaType) && (desc.urls?.length ?? 0) > 0 && !(await this.src.exists(desc))) {
        this.emit({ type: 'warning', message: `foreign layer ${desc.digest} is not in ${this.src.name}; left out (its urls are not contacted)` });
        return this.skip(desc, 'foreign layer');
      }
      this.emit({ type: 'blob:start', action: this.action, digest: desc.digest, total: desc.size });
      await this.transfer(desc);
      this.count(desc);
      this.emit({ type: 'blob:done', action: this.action, digest: desc.digest, size: desc.size });
    }));
  }

  /**
   * One fetch → push: small blobs as bytes, big ones streamed straight from the source into the
   * destination (no temp copy). A retrying destination asks the body again: it then reads the blob
   * from the source once more, by digest (refetch), so nothing is spooled to disk (issue 16 §6).
   */
  private async transfer(desc: Descriptor): Promise<void> {
    // A source whose bytes can be reopened (a layout's file, a local artifact's) needs no spool copy for retries.
    const replayable = isReplayableSource(this.src) ? await this.src.blobBody(desc, this.signal) : undefined;
    if (replayable !== undefined) {
      await this.dst.pushBlob(desc, this.counted(desc, replayable));
      return;
    }
    const stream = this.countedStream(desc, await this.src.fetchBlob(desc));
    // An abort may destroy the stream before its consumer is attached (while the destination checks what
    // it has): the consumer still sees the stream's error, and no unhandled 'error' event crashes the run.
    stream.on('error', () => undefined);
    const onAbort = (): void => void stream.destroy(cancelled(this.signal));
    this.signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (desc.size <= BUFFER_LIMIT) await this.dst.pushBlob(desc, await readAll(stream, this.signal));
      else if (isStreamSink(this.dst)) await this.dst.pushVerifiedStream(desc, stream);
      else await this.dst.pushBlob(desc, refetching(stream, async () => this.countedStream(desc, await this.src.fetchBlob(desc)), this.signal));
    } finally {
      this.signal.removeEventListener('abort', onAbort);
      stream.destroy();
    }
  }

  /** Start each digest's copy once; the first failure stops work that has not started yet. */
  private once(desc: Descriptor, fn: () => Promise<void>): Promise<void> {
    let p = this.started.get(desc.digest);
    if (!p) {
      p = fn().catch((err: unknown) => {
        if (this.firstError === undefined && !this.stop.signal.aborted) {
          this.firstError = err;
          this.stop.abort(err);
        }
        throw err;
      });
      this.started.set(desc.digest, p);
    }
    return p;
  }

  private skip(desc: Descriptor, reason: string): void {
    this.result.skipped++;
    this.emit({ type: 'blob:skip', digest: desc.digest, reason, size: desc.size });
  }

  /** Announces the blobs of a manifest not announced yet, so a listener can show blobs done of all. */
  private plan(blobs: Descriptor[]): void {
    const fresh = blobs.filter((b) => !this.planned.has(b.digest));
    if (fresh.length === 0) return;
    for (const b of fresh) this.planned.add(b.digest);
    this.emit({ type: 'blob:plan', action: this.action, blobs: fresh.length, bytes: fresh.reduce((n, b) => n + b.size, 0) });
  }

  /** The body, with byte progress events for `desc` as the destination reads it. */
  private counted(desc: Descriptor, body: Body): Body {
    return counting(body, this.progressOf(desc));
  }

  /** The source's stream, with byte progress events for `desc` as it is read (buffered or streamed on). */
  private countedStream(desc: Descriptor, stream: Readable): Readable {
    return countingStream(stream, this.progressOf(desc));
  }

  private progressOf(desc: Descriptor): (bytes: number) => void {
    return (bytes) => this.emit({ type: 'blob:progress', action: this.action, digest: desc.digest, bytes, total: desc.size });
  }

  private count(desc: Descriptor): void {
    this.result.copied++;
    this.result.bytes += desc.size;
  }
}

function isManifestType(mediaType: string): boolean {
  return (MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

function withMediaType(desc: Descriptor, fallback: string): Descriptor {
  return desc.mediaType ? desc : { ...desc, mediaType: fallback };
}

function checkSize(desc: Descriptor, bytes: Buffer): void {
  if (bytes.length !== desc.size) {
    throw new OcipackError('VERIFY', `manifest ${desc.digest} is ${bytes.length} bytes, its descriptor says ${desc.size}`);
  }
}
