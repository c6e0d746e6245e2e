/** Request bodies for copyGraph: streams refetched on retry, counted streams, buffered small blobs. */
import { Readable, Transform, pipeline } from 'node:stream';
import { OcipackError } from '../core/errors.js';
import type { Body } from './target.js';

/** Upload bodies are read 1 MiB at a time: a sixteenth of the stream turns of the 64 KiB default (bench/). */
export const UPLOAD_READ_BYTES = 1024 * 1024;

/**
 * A replayable Body for a blob of another store: the first read gets the stream already open, every
 * later one (a destination's retry) fetches the blob from the source again (by digest, verified),
 * so a registry → registry copy streams without a temp copy.
 */
export function refetching(first: Readable, refetch: () => Promise<Readable>, signal: AbortSignal): Body {
  let used = false;
  return () => {
    if (!used) {
      used = true;
      return first;
    }
    if (!first.destroyed) first.destroy();
    return Readable.from(again(refetch, signal), { objectMode: false });
  };
}

async function* again(refetch: () => Promise<Readable>, signal: AbortSignal): AsyncGenerator<Buffer> {
  if (signal.aborted) throw cancelled(signal);
  const stream = await refetch();
  const onAbort = (): void => void stream.destroy(cancelled(signal));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.destroy();
  }
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

/**
 * The same body, telling `onBytes` how many bytes of the current attempt were read so far (a retry
 * starts again from 0). Bytes in memory are not counted: they go in one write.
 */
export function counting(body: Body, onBytes: (bytes: number) => void): Body {
  if (Buffer.isBuffer(body)) return body;
  return () => countingStream(body(), onBytes);
}

/** `stream` passed through, telling `onBytes` the bytes read so far; errors and destruction go both ways. */
export function countingStream(stream: Readable, onBytes: (bytes: number) => void): Readable {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      onBytes(bytes);
      cb(null, chunk);
    },
  });
  pipeline(stream, counter, () => { /* errors reach the consumer through `counter` */ });
  return counter;
}
