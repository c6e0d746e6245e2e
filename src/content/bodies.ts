/** Request bodies for copyGraph: one-shot streams and buffered small blobs. */
import type { Readable } from 'node:stream';
import { OcipackError } from '../core/errors.js';
import type { Body } from './target.js';

/** Upload bodies are read 1 MiB at a time: a sixteenth of the stream turns of the 64 KiB default (bench/). */
export const UPLOAD_READ_BYTES = 1024 * 1024;

/** A Body for a destination that never retries: hands out the open stream once. */
export function oneShot(stream: Readable): Body {
  let used = false;
  return () => {
    if (used) throw new OcipackError('IO', 'blob body cannot be replayed');
    used = true;
    return stream;
  };
}

/** The whole stream in memory (small blobs only), stopping when `signal` fires. */
export async function readAll(stream: Readable, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    if (signal.aborted) throw cancelled(signal);
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

/** The CANCELLED error for a stopped copy, naming an earlier failure when that is why. */
export function cancelled(signal: AbortSignal): OcipackError {
  const reason: unknown = signal.reason;
  if (reason instanceof OcipackError) return new OcipackError('CANCELLED', 'copy stopped after an earlier failure', { cause: reason });
  return new OcipackError('CANCELLED', 'copy cancelled', { cause: reason });
}
