/** Every default in one place: timeouts, retries, caps, concurrency, user agent. */
export const VERSION = '0.1.0';
export const USER_AGENT = `ocipack/${VERSION}`;

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export const DEFAULTS = {
  /** Whole-operation deadline (`--timeout`). */
  timeoutMs: 5 * 60_000,
  /** The longest delay setTimeout keeps (2^31 - 1 ms, about 24.8 days); a longer deadline is none. */
  maxTimerMs: 2_147_483_647,
  /** A response that sends nothing for this long is abandoned. */
  idleTimeoutMs: 30_000,
  /** Connect timeout for one TCP/TLS connection. */
  connectTimeoutMs: 15_000,
  /**
   * Offer HTTP/2 in TLS ALPN (undici 8's default): on a TLS registry a 20-file push takes 2 TCP connections
   * instead of 7 and ~16 % less time; 64 MB blob transfers are the same either way (README "Dependency notes").
   */
  allowH2: true,
  /** The CLI ends when its event loop does; anything still holding the loop this long after the command is cut short. */
  exitGraceMs: 500,
  /** Packing looks at its cancellation signal once per this many entries (`aborted` of a combined signal walks its sources). */
  cancelCheckEntries: 64,
  /** A stopped run's DELETE of its open upload session (distribution-spec "Cancel an upload") gets this long. */
  uploadCancelTimeoutMs: 2_000,
  /** Retries of a refused connection on the first contact with a host (a closed port fails at once). */
  refusedFirstContactRetries: 1,
  retry: {
    attempts: 5,
    baseDelayMs: 250,
    maxDelayMs: 3_000,
    /** A Retry-After longer than this fails instead of waiting. */
    maxRetryAfterMs: 60_000,
  },
  maxRedirects: 10,
  /** Tries at updating a referrers-tag-schema index that concurrent writers keep replacing. */
  referrersIndexAttempts: 5,
  caps: {
    manifestBytes: 4 * MiB,
    errorBodyBytes: 64 * KiB,
    tokenBodyBytes: 64 * KiB,
    /** Longest server-sent message (a token server's refusal) quoted in an error line. */
    serverMessageChars: 200,
    layerBytes: 1 * GiB,
    entries: 100_000,
    pathBytes: 4096,
    depth: 64,
    signaturePayloadBytes: 1 * MiB,
    /** An OCI layout's index.json (untrusted input; a tagged entry is about 300 bytes). */
    layoutIndexBytes: 16 * MiB,
    /** An OCI layout's `oci-layout` marker file. */
    layoutMarkerBytes: 64 * KiB,
    signatureCandidates: 100,
    /** Most tags a tag listing collects (`maxTags`); pages beyond it fail with CAP. */
    tags: 100_000,
    /** Most referrers (signatures, attestations, fallback indexes) one prune plans to delete with the manifests it deletes. */
    pruneReferrers: 10_000,
    /** Most `Link` pages followed in one tag listing (an endless chain of small pages stops here). */
    tagPages: 10_000,
    /** `diff --unified` shows files up to this size; bigger ones are named, not printed. */
    diffTextBytes: 1024 * 1024,
    /** `diff --kubernetes` reads a YAML file up to this size; a bigger one is compared as a file only. */
    diffYamlBytes: 16 * MiB,
    /** File bodies one `diff` keeps for patches and objects (both artifacts together); past it, files are named, not shown. */
    diffKeptBytes: 256 * MiB,
    /** Changed paths listed per Kubernetes object (`spec.replicas`, …); the rest are counted. */
    diffObjectPaths: 20,
    /** One PAX header or GNU long name of a layer (node-tar's `maxMetaEntrySize`); a bigger one is refused. */
    tarExtendedHeaderBytes: 1 * MiB,
    /** All extended headers before one entry (a long name, a long link name, a PAX and a global header fit). */
    tarExtendedHeadersBytes: 4 * MiB + 4 * 512,
  },
  /**
   * A zstd decoder keeps at most 2^this bytes of window, whatever a frame header claims (SPEC §5). 27
   * (128 MiB) is libzstd's own default limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT) and the largest window the
   * `zstd` tool writes unless told `--long=28` or more, so every layer made without that reads.
   */
  zstdWindowLog: 27,
  /** Decompressed bytes per zlib thread-pool round trip when reading a layer (bench/: gunzip ~3× faster than 16 KiB). */
  decompressChunkBytes: 256 * KiB,
  /**
   * A plain connection opened before the first request needs it (http/preconnect.ts) is set up as undici's own
   * connector sets up a plain one: reads of `readBytes`, TCP keep-alive probes after `keepAliveMs` idle.
   */
  preconnect: { readBytes: 64 * KiB, keepAliveMs: 60_000 },
  /** Bytes per filesystem round trip of a streamed file write (core/files.ts) or a small untrusted read (core/untrusted.ts). */
  fileChunkBytes: 1 * MiB,
  /** Lock files that serialise rewrites of a layout's index.json or config.json across processes (core/lock.ts). */
  fileLock: {
    /** Poll interval (plus up to as much jitter) while another writer holds it. */
    pollMs: 10,
    /** A lock this old is stale even when its owner cannot be checked (another host). */
    staleMs: 30_000,
    /** Give up waiting after this long. */
    waitMs: 120_000,
    /** The most a lock file is read (ours hold about 80 bytes; a bigger one was not written by a lock holder). */
    maxBytes: 4 * KiB,
  },
  /** Keyless signing (@sigstore/sign): the public-good instance, and each service request's timeout and retries. */
  sigstore: {
    fulcioUrl: 'https://fulcio.sigstore.dev',
    rekorUrl: 'https://rekor.sigstore.dev',
    requestTimeoutMs: 30_000,
    retry: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 3_000 },
  },
  /** Parallel blob transfers and per-tag lookups. */
  concurrency: 4,
  /** Repositories `mirror` works on at once, each with `concurrency` transfers: at most 3 × 4 requests in flight. */
  mirrorRepositories: 3,
  /** Token lifetime when the token server does not say. */
  tokenTtlSeconds: 60,
  /** A credential helper that takes longer is killed. */
  credentialHelperTimeoutMs: 30_000,
  defaultTag: 'latest',
  /** The file name `push -f -` gives stdin: fixed (deterministic), and `.yaml` so kustomize-controller picks it up. */
  stdinName: 'stdin.yaml',
  defaultPlatform: 'linux/amd64',
  /** A temporary directory of ours (core/tempdir.ts) untouched this long is a killed run's, whatever pid its name holds. */
  staleTempMs: 24 * 60 * 60_000,
  /** A staging directory of an older version (no pid in its name) untouched this long is a killed run's. */
  staleStagingMs: 60 * 60_000,
  /** gzip level for layers (flux uses the Go default, 6-equivalent). */
  gzipLevel: 6,
  /** The terminal progress line: redraw at most this often; a rate only once it means something. */
  progress: {
    refreshMs: 100,
    rateAfterMs: 500,
    rateAfterBytes: 1024 * 1024,
    /** Blobs in flight listed under a copy's total line; the rest are summed up in one line. */
    blobLines: 4,
  },
  /** The look at the files before a push (issue 28 §4). */
  guard: {
    /** Bytes of each file's start searched for secrets (a Secret further into a bigger file is not seen). */
    headBytes: 256 * KiB,
    /** A file bigger than this in a config artifact gets a warning. */
    largeFileBytes: 1 * MiB,
    /** Findings named in the one line of a refused push; the rest are counted. */
    namedInError: 3,
  },
} as const;

export const FLUX_DEFAULT_IGNORE = [
  '.git/', '.gitignore', '.gitmodules', '.gitattributes',
  '*.jpg', '*.jpeg', '*.gif', '*.png', '*.wmv', '*.flv', '*.tar.gz', '*.zip',
];
