/**
 * Content digests (OCI image-spec descriptor.md "Digests"): parsing, hashing and verification of
 * bytes and streams. Only sha256 (64 hex) and sha512 (128 hex) are accepted, lowercase.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { OcipackError, usageError } from '../core/errors.js';

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

/** What a verified stream or buffer must hash to; `size` is optional when unknown. */
export interface ExpectedContent {
  digest: string;
  size?: number;
}

const HEX_LENGTH: Record<ParsedDigest['algorithm'], number> = { sha256: 64, sha512: 128 };
/** image-spec grammar: algorithm-component (separator algorithm-component)* ":" encoded. */
const DIGEST_SHAPE = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** Why `s` is not an acceptable digest, or undefined when it is (shared with reference parsing). */
export function digestProblem(s: string): string | undefined {
  const m = DIGEST_SHAPE.exec(s);
  if (!m) return 'expected <algorithm>:<hex>';
  const algorithm = m[1] as string;
  const hex = m[2] as string;
  if (algorithm !== 'sha256' && algorithm !== 'sha512') return `unsupported digest algorithm "${algorithm}"`;
  const want = HEX_LENGTH[algorithm];
  if (hex.length !== want || !/^[a-f0-9]+$/.test(hex)) return `${algorithm} needs exactly ${want} lowercase hex characters`;
  return undefined;
}

/** Splits `sha256:<hex>` into its parts; a malformed digest is a usage error (exit 2). */
export function parseDigest(s: string): ParsedDigest {
  const problem = digestProblem(s);
  if (problem !== undefined) throw usageError(`invalid digest ${JSON.stringify(shorten(s))}: ${problem}`);
  const i = s.indexOf(':');
  return { algorithm: s.slice(0, i) as ParsedDigest['algorithm'], hex: s.slice(i + 1) };
}

/** True when `s` is a well-formed sha256 or sha512 digest. */
export function isDigest(s: string): boolean {
  return digestProblem(s) === undefined;
}

/** Lowercase hex sha256 of the bytes. */
export function sha256Hex(buf: Uint8Array | string): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** The OCI digest (`sha256:<hex>`) of the bytes. */
export function digestOf(buf: Uint8Array | string): string {
  return `sha256:${sha256Hex(buf)}`;
}

/** Throws VERIFY (exit 3) when the bytes do not have the expected size and digest. */
export function verifyBytes(buf: Uint8Array, expected: ExpectedContent): void {
  const algorithm = algorithmOf(expected);
  checkSize(buf.length, expected);
  const actual = `${algorithm}:${createHash(algorithm).update(buf).digest('hex')}`;
  checkDigest(actual, expected.digest);
}

/**
 * A pass-through stream that hashes and counts what flows through it. With `expected`, it fails with
 * VERIFY as soon as more than `size` bytes arrive, and at the end when size or digest disagree, so a
 * consumer that waits for 'finish'/'end' never accepts unverified content (DESIGN.md convention 3).
 */
export class DigestStream extends Transform {
  /** Bytes seen so far. */
  bytes = 0;
  private readonly hash: Hash;
  private readonly algorithm: ParsedDigest['algorithm'];
  private readonly expected: ExpectedContent | undefined;
  private result: string | undefined;
  /** With `holdLast`, the newest chunk, passed on only once the next one (or the verified end) arrives. */
  private held: Buffer | undefined;
  private readonly holdLast: boolean;

  /**
   * `holdLast`: keep each chunk until the next one arrives and the last one until size and digest
   * matched, so an upload fed from this stream is cut before its last byte when the content is wrong.
   */
  constructor(expected?: ExpectedContent, opts: { holdLast?: boolean } = {}) {
    super();
    this.holdLast = opts.holdLast ?? false;
    this.expected = expected;
    this.algorithm = expected ? algorithmOf(expected) : 'sha256';
    this.hash = createHash(this.algorithm);
  }

  /** The digest of everything that passed through; only available once the stream has ended. */
  digest(): string {
    if (this.result === undefined) throw new OcipackError('IO', 'digest requested before the stream ended');
    return this.result;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    const size = this.expected?.size;
    if (size !== undefined && this.bytes > size) {
      callback(sizeError(this.expected as ExpectedContent, `more than ${size}`));
      return;
    }
    this.hash.update(chunk);
    if (!this.holdLast) {
      callback(null, chunk);
      return;
    }
    const out = this.held;
    this.held = chunk;
    callback(null, out);
  }

  override _flush(callback: TransformCallback): void {
    this.result = `${this.algorithm}:${this.hash.digest('hex')}`;
    try {
      if (this.expected) {
        checkSize(this.bytes, this.expected);
        checkDigest(this.result, this.expected.digest);
      }
      callback(null, this.held);
    } catch (err) {
      callback(err as Error);
    }
  }
}

/** Content whose expected digest we cannot compute cannot be trusted: VERIFY, not a usage error. */
function algorithmOf(expected: ExpectedContent): ParsedDigest['algorithm'] {
  const problem = digestProblem(expected.digest);
  if (problem !== undefined) {
    throw new OcipackError('VERIFY', `cannot verify against ${JSON.stringify(shorten(expected.digest))}: ${problem}`);
  }
  return expected.digest.slice(0, expected.digest.indexOf(':')) as ParsedDigest['algorithm'];
}

function checkSize(actual: number, expected: ExpectedContent): void {
  if (expected.size !== undefined && actual !== expected.size) throw sizeError(expected, String(actual));
}

function checkDigest(actual: string, expected: string): void {
  if (actual !== expected) {
    throw new OcipackError('VERIFY', `digest mismatch: expected ${expected}, got ${actual}`);
  }
}

function sizeError(expected: ExpectedContent, got: string): OcipackError {
  return new OcipackError('VERIFY', `size mismatch for ${expected.digest}: expected ${expected.size} bytes, got ${got}`);
}

function shorten(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** The `<alg>-<hex>` tag of the referrers tag schema (distribution-spec v1.1 "Referrers Tag Schema"). */
export function referrersTag(digest: string): string {
  const d = parseDigest(digest);
  return `${d.algorithm.slice(0, 32)}-${d.hex.slice(0, 64)}`;
}
