/** Reading response bodies safely: never more than a cap, and never leaving a body unconsumed. */
import type { Readable } from 'node:stream';

/** Something undici hands back as a body (a BodyReadable), or any readable stream. */
export type ResponseBody = Readable & { dump?: (opts?: { limit: number }) => Promise<void> };

export interface CappedRead {
  bytes: Buffer;
  /** False when the body was longer than the cap; `bytes` then holds only the first `max` bytes. */
  complete: boolean;
}

/** Reads at most `max` bytes, then destroys the rest of the body instead of downloading it. */
export async function readCapped(body: ResponseBody, max: number): Promise<CappedRead> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      if (size + buf.length > max) {
        chunks.push(buf.subarray(0, max - size));
        body.destroy();
        return { bytes: Buffer.concat(chunks, max), complete: false };
      }
      chunks.push(buf);
      size += buf.length;
    }
  } finally {
    if (!body.destroyed && !body.readableEnded) body.destroy();
  }
  await released();
  return { bytes: Buffer.concat(chunks, size), complete: true };
}

/** Throws a body away so its connection can be reused (small bodies) or closed (large ones). */
export async function discard(body: ResponseBody | undefined | null): Promise<void> {
  if (!body || body.destroyed) return;
  if (!body.readableEnded) {
    try {
      if (typeof body.dump === 'function') await body.dump({ limit: 128 * 1024 });
      else body.destroy();
    } catch {
      /* the connection is gone either way */
    }
  }
  await released();
}

/**
 * undici puts the connection back in its pool a turn of the event loop after a body ended: a request sent
 * before then opens a second connection (a push's blob HEAD right after the 404 of its tag: a TCP connection more).
 */
function released(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
