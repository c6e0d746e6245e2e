/** When and how long to wait before sending a request again (SPEC §6 "Network manners"). */
import { DEFAULTS } from '../core/defaults.js';
import { errCode } from '../core/errno.js';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { ...DEFAULTS.retry };

/** 408, 429 and 5xx are worth another try; 501 and 505 say the server never will. */
export function isRetryableStatus(status: number): boolean {
  if (status === 408 || status === 429) return true;
  return status >= 500 && status <= 599 && status !== 501 && status !== 505;
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);

/** Connection-level failures worth another try (never TLS or certificate errors). */
export function isRetryableError(err: unknown): boolean {
  const code = errCode(err);
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** `Retry-After` as milliseconds (delta-seconds or HTTP-date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Jittered exponential backoff for attempt `n` (0-based): between half and all of base·2ⁿ, capped. */
export function backoffMs(n: number, policy: RetryPolicy = DEFAULT_RETRY, random: () => number = Math.random): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n);
  return Math.round(full / 2 + (random() * full) / 2);
}

/**
 * How long to wait before the next try after a retryable status, or undefined when the server asks
 * for longer than the cap (the caller then fails rather than hanging).
 */
export function delayForResponse(n: number, retryAfter: string | string[] | undefined, policy: RetryPolicy = DEFAULT_RETRY): number | undefined {
  const asked = parseRetryAfter(retryAfter);
  if (asked === undefined) return backoffMs(n, policy);
  return asked > policy.maxRetryAfterMs ? undefined : asked;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Why a retryable status was not retried: the server asked for a longer wait than the cap
 * (DEFAULTS.retry.maxRetryAfterMs), so we fail instead of hanging. Undefined otherwise.
 */
export function retryAfterNote(status: number, retryAfter: string | string[] | undefined, capMs = DEFAULTS.retry.maxRetryAfterMs): string | undefined {
  if (!isRetryableStatus(status)) return undefined;
  const asked = parseRetryAfter(retryAfter);
  if (asked === undefined || asked <= capMs) return undefined;
  return `asked to retry after ${Math.ceil(asked / 1000)} s, longer than the ${Math.round(capMs / 1000)} s we wait`;
}
