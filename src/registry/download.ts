/**
 * A blob download that survives a broken connection (SPEC §6, issue "Retries"): when the body fails
 * midway with a retryable error, the blob is asked for again with `Range: bytes=<received>-` (RFC 9110
 * §14.2). A 206 from that offset continues the stream; a 200 restarts it and the bytes already passed
 * on are skipped. The caller hashes everything that comes out, so the digest covers the final bytes.
 */
import { Readable } from 'node:stream';
import { OcipackError } from '../core/errors.js';
import { discard } from '../http/body.js';
import { errorCode, networkError } from '../http/errors.js';
import { failure } from './failure.js';
import { header, type HttpResponse } from '../http/request.js';
import { isRetryableError } from '../http/retry.js';
import type { Descriptor } from '../oci/descriptor.js';
import { apiPath, ctxOf, type Repo } from './repo.js';

/** GET the blob, from `offset` when it is above 0. */
export function requestBlob(repo: Repo, desc: Descriptor, offset = 0): Promise<HttpResponse> {
  const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
  return repo.client.send({ method: 'GET', target: apiPath(repo, `blobs/${desc.digest}`), scopes: repo.scopes, headers });
}

/** The first byte of a `Content-Range: bytes <first>-<last>/<total>` header, or undefined. */
export function rangeStart(value: string | undefined): number | undefined {
  const m = /^\s*bytes\s+(\d+)-\d+\/(?:\d+|\*)\s*$/i.exec(value ?? '');
  return m ? Number(m[1]) : undefined;
}

/** True for failures of a response body that another request may get past. */
function retryableBodyError(err: unknown): boolean {
  if (err instanceof OcipackError) return false;
  const code = errorCode(err);
  return isRetryableError(err) || code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'UND_ERR_BODY_TIMEOUT';
}

/**
 * The blob's bytes from an already answered first GET (status 200), resuming after a break. Stops
 * after the run's retry attempts; never yields more than `desc.size + 1` bytes (the verifier fails there).
 */
export function resumableBody(repo: Repo, desc: Descriptor, first: HttpResponse): Readable {
  // A consumer that destroys the stream (a failed extraction, a copy whose upload restarts) makes
  // Readable.from throw into the generator: that is a stop, never a break to resume with Range.
  const stream: Readable = Readable.from(chunks(repo, desc, first, () => stream.destroyed), { objectMode: false });
  return stream;
}

async function* chunks(repo: Repo, desc: Descriptor, first: HttpResponse, stopped: () => boolean): AsyncGenerator<Buffer> {
  let res = first;
  let received = 0;
  let skip = 0;
  const attempts = await repo.client.attempts();
  try {
    for (let failures = 0; ; ) {
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          let buf = chunk;
          if (skip > 0) {
            const drop = Math.min(skip, buf.length);
            skip -= drop;
            buf = buf.subarray(drop);
            if (buf.length === 0) continue;
          }
          received += buf.length;
          yield buf;
        }
        return;
      } catch (err) {
        const signal = await repo.client.signal();
        if (stopped()) throw err;
        if (signal?.aborted || !retryableBodyError(err) || ++failures >= attempts || received > desc.size) {
          throw networkError(err, repo.client.host, signal);
        }
        await repo.client.pause(failures - 1);
        if (stopped()) return;
      }
      res = await requestBlob(repo, desc, received);
      skip = await continuation(repo, desc, res, received);
    }
  } finally {
    await discard(res.body);
  }
}

/** How many bytes of the new response to drop: 0 for a 206 from `received`, `received` for a fresh 200. */
async function continuation(repo: Repo, desc: Descriptor, res: HttpResponse, received: number): Promise<number> {
  if (res.status === 206 && rangeStart(header(res, 'content-range')) === received) return 0;
  if (res.status === 200) return received;
  if (res.status === 206) {
    await discard(res.body);
    throw new OcipackError('REGISTRY', `${repo.client.host} resumed blob ${desc.digest} at the wrong offset`);
  }
  return failure(res, ctxOf(repo, `blob ${desc.digest}`));
}
