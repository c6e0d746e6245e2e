/**
 * What the transfers of a run stand at, from the use-cases' blob events: bytes and blobs done of the
 * planned total, blobs in flight, files extracted. Pure (time is passed in), so the terminal spinner
 * (progress.ts) and the plain lines of a pipe (ui.ts) render the same numbers.
 */
import { DEFAULTS } from '../core/defaults.js';
import type { BlobAction, ProgressEvent } from '../core/events.js';
import { formatBytes } from './format.js';

const VERBS: Record<BlobAction, string> = { pack: 'packing', upload: 'uploading', download: 'downloading', extract: 'extracting', copy: 'copying' };
/** `uploaded`, `copied`, …: the past tense of an action, for the lines a finished blob gets. */
export const DONE: Record<BlobAction, string> = { pack: 'packed', upload: 'uploaded', download: 'downloaded', extract: 'extracted', copy: 'copied' };

/** Events the board follows. */
export type TransferEvent = Extract<ProgressEvent, { type: 'blob:start' | 'blob:progress' | 'blob:plan' | 'blob:skip' | 'blob:done' | 'activity' }>;

interface InFlight { bytes: number; total: number | undefined; since: number }

/** `uploading 12.4 MiB / 30.0 MiB (8.1 MiB/s)`: the text of one transfer (a rate only after a while). */
export function describeProgress(action: BlobAction, bytes: number | undefined, total: number | undefined, elapsedMs: number): string {
  const verb = VERBS[action];
  if (bytes === undefined || bytes === 0) return total ? `${verb} ${formatBytes(total)}…` : `${verb}…`;
  const of = total !== undefined ? ` / ${formatBytes(total)}` : '';
  return `${verb} ${formatBytes(bytes)}${of}${rateOf(bytes, elapsedMs)}`;
}

function rateOf(bytes: number, elapsedMs: number): string {
  const p = DEFAULTS.progress;
  if (elapsedMs < p.rateAfterMs || bytes < p.rateAfterBytes) return '';
  return ` (${formatBytes((bytes * 1000) / elapsedMs)}/s)`;
}

/** A blob digest cut to what a person compares: `sha256:0123456789ab`. */
export function shortDigest(digest: string): string {
  const i = digest.indexOf(':');
  return i < 0 ? digest.slice(0, 12) : digest.slice(0, i + 13);
}

/** The state of the current group of transfers (one action at a time: packing, then uploading, …). */
export class TransferBoard {
  private action: BlobAction | undefined;
  private since = 0;
  private readonly inFlight = new Map<string, InFlight>();
  private planned = { blobs: 0, bytes: 0 };
  private done = { blobs: 0, bytes: 0 };
  private extracted: { files: number; bytes: number } | undefined;
  private activity: string | undefined;

  /** Takes one event at time `now` (ms); a new action starts a new group. */
  apply(e: TransferEvent, now: number): void {
    switch (e.type) {
      case 'activity':
        this.reset(undefined, now);
        this.activity = e.message;
        return;
      case 'blob:plan':
        this.enter(e.action, now);
        this.planned = { blobs: this.planned.blobs + e.blobs, bytes: this.planned.bytes + e.bytes };
        return;
      case 'blob:skip':
        this.inFlight.delete(e.digest); // a transfer that ended without completing (verify: missing or corrupt)
        if (this.planned.blobs > 0) this.planned = { blobs: this.planned.blobs - 1, bytes: this.planned.bytes - (e.size ?? 0) };
        return;
      case 'blob:start':
        this.enter(e.action, now);
        this.inFlight.set(e.digest ?? '', { bytes: 0, total: e.total, since: now });
        return;
      case 'blob:progress':
        if (e.action === 'extract' && this.action !== undefined && this.action !== 'extract' && !this.idle) {
          this.extracted = { files: e.files ?? 0, bytes: e.bytes };
          return;
        }
        this.enter(e.action, now);
        this.progress(e.digest ?? this.onlyKey(), e.bytes, e.total, now);
        return;
      case 'blob:done':
        this.enter(e.action, now);
        this.inFlight.delete(this.inFlight.has(e.digest ?? '') ? e.digest ?? '' : this.onlyKey());
        this.done = { blobs: this.done.blobs + 1, bytes: this.done.bytes + e.size };
        return;
    }
  }

  /** Nothing in flight and nothing announced left to do: there is nothing to show. */
  get idle(): boolean {
    return this.activity === undefined && this.inFlight.size === 0 && this.done.blobs >= this.planned.blobs;
  }

  /** Forgets a phase line (`moving files into place`) once a normal line was printed after it. */
  endActivity(): void {
    this.activity = undefined;
  }

  /** The spinner text: the group's total line, then (for a copy of several blobs) one line per blob in flight. */
  text(now: number): string {
    if (this.activity !== undefined) return this.activity;
    if (this.action === undefined) return '';
    const flying = [...this.inFlight.values()];
    const bytes = this.done.bytes + flying.reduce((n, b) => n + b.bytes, 0);
    const total = this.totalBytes(flying);
    let head = describeProgress(this.action, bytes, total === 0 && bytes === 0 ? undefined : total, now - this.since);
    if (this.action === 'copy' && this.planned.blobs > 1) head += `, ${this.done.blobs}/${this.planned.blobs} blobs`;
    if (this.extracted) {
      const { files, bytes: written } = this.extracted;
      head += `, ${files} ${files === 1 ? 'file' : 'files'} (${formatBytes(written)}) extracted`;
    }
    if (this.action !== 'copy' || this.planned.blobs <= 1) return head;
    return [head, ...this.blobLines(now)].join('\n');
  }

  /** The plain line a finished blob of a copy gets where there is no spinner: blob n of m, size, rate, digest. */
  doneLine(e: Extract<ProgressEvent, { type: 'blob:done' }>, since: number, now: number): string {
    const of = this.planned.blobs > 0 ? `/${this.planned.blobs}` : '';
    const rate = rateOf(e.size, now - since).replace(/^ \((.*)\)$/, ', $1');
    return `${DONE[e.action]} blob ${this.done.blobs}${of} (${formatBytes(e.size)}${rate}) ${e.digest ?? ''}`.trimEnd();
  }

  /** When the blob `digest` started (for the rate of its plain line), before `apply` forgets it. */
  startedAt(digest: string | undefined, fallback: number): number {
    return this.inFlight.get(digest ?? '')?.since ?? fallback;
  }

  /** Bytes the group moves in all: the plan when there is one, else what the blobs in flight announced (if all did). */
  private totalBytes(flying: InFlight[]): number | undefined {
    if (this.planned.blobs > 0) return this.planned.bytes;
    if (!flying.every((b) => b.total !== undefined)) return undefined;
    return this.done.bytes + flying.reduce((n, b) => n + (b.total ?? 0), 0);
  }

  private blobLines(now: number): string[] {
    const max = DEFAULTS.progress.blobLines;
    const flying = [...this.inFlight.entries()].sort((a, b) => (b[1].total ?? 0) - (a[1].total ?? 0));
    const lines = flying.slice(0, max).map(([digest, b]) => `  ${shortDigest(digest)} ${formatBytes(b.bytes)}${b.total !== undefined ? ` / ${formatBytes(b.total)}` : ''}${rateOf(b.bytes, now - b.since)}`);
    if (flying.length > max) lines.push(`  and ${flying.length - max} more`);
    return lines;
  }

  private progress(key: string, bytes: number, total: number | undefined, now: number): void {
    const b = this.inFlight.get(key) ?? { bytes: 0, total: undefined, since: now };
    b.bytes = bytes;
    if (total !== undefined) b.total = total;
    this.inFlight.set(key, b);
  }

  /** The key of the one blob in flight when an event names none (pack: one stream, no digest yet). */
  private onlyKey(): string {
    return this.inFlight.size === 1 ? [...this.inFlight.keys()][0]! : '';
  }

  private enter(action: BlobAction, now: number): void {
    if (action !== this.action || this.idle) this.reset(action, now);
  }

  private reset(action: BlobAction | undefined, now: number): void {
    this.action = action;
    this.since = now;
    this.inFlight.clear();
    this.planned = { blobs: 0, bytes: 0 };
    this.done = { blobs: 0, bytes: 0 };
    this.extracted = undefined;
    this.activity = undefined;
  }
}
