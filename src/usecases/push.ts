/** push: pack a tree into Flux's artifact format and store it in a registry or layout (SPEC §3, §4). */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { emitter } from '../core/events.js';
import { usageError } from '../core/errors.js';
import type { CommonOptions, Env } from '../core/options.js';
import { packToFile, type PackResult } from '../artifact/tar/pack.js';
import { createdTime, resolveMetadata, userMetadata } from '../artifact/flux/metadata.js';
import { diffIdsOf, fluxAnnotations, fluxConfig, imageManifest, parseAnnotations } from '../artifact/flux/manifest.js';
import { MT } from '../oci/mediatypes.js';
import { isIndex, type Descriptor, type Manifest } from '../oci/descriptor.js';
import { dockerReferenceOf, openTarget, parseTargetRef, pushTag, repositoryOf, type TargetRef } from '../connect/open.js';
import type { Target } from '../content/target.js';
import { fetchManifestIfExists, isNotFound, readBlob } from '../content/read.js';
import { graphOptions } from '../content/copy.js';
import { UPLOAD_READ_BYTES } from '../content/bodies.js';
import { StagedArtifact, writeArtifact } from '../content/staged-artifact.js';
import { checkSources, packOptionsFor } from '../artifact/tar/tree.js';

export interface PushOptions extends CommonOptions {
  /** `oci://host/repo:tag`, or `<dir>[:tag]` with `ociLayout`. */
  reference: string;
  /** Directory or file to pack; `-` reads one file from `stdin`; several (`<src>[=<target>]`) make one layer. */
  path: string | string[];
  /** Push even when no file is left after the ignore rules (else exit 2 naming them). */
  allowEmpty?: boolean;
  source?: string;
  revision?: string;
  /** `key=value` strings (flags) or a ready map. */
  annotations?: string[] | Record<string, string>;
  ignorePaths?: string[];
  addIgnorePaths?: string[];
  reproducible?: boolean;
  resolveSymlinks?: boolean;
  /** Stream and file name for `path: '-'`. */
  stdin?: NodeJS.ReadableStream;
  stdinName?: string;
  /** `--sign-key`: after a successful push, sign the pushed digest (see sign.ts). */
  signKey?: string;
  /** `--signature-format` for `signKey`: `bundle` (default, cosign 3) or `legacy` (`.sig` tag). */
  signatureFormat?: import('../signing/signwith.js').SignatureFormatName;
  /** Password for `signKey`; `COSIGN_PASSWORD` in `env` otherwise (see SignOptions.password). */
  signPassword?: import('../signing/signer.js').PasswordSource;
  /** Pack and compare with the registry, then report what a push would do (`plan`) without writing anything. */
  dryRun?: boolean;
  /** Push files that hold credentials anyway (a plaintext Kubernetes Secret, a PEM private key, a .env file, a kubeconfig with credentials); else exit 2 naming them. */
  allowSecrets?: boolean;
}

/** What `dryRun` found a push would do. */
export interface PushPlan {
  /** Layer and config: uploaded, or skipped because the repository has them. */
  blobs: Array<{ mediaType: string; digest: string; size: number; action: 'upload' | 'skip' }>;
  /** The manifest digest the tag would name, and what it names now (absent: a new tag). */
  manifest: string;
  previous?: string;
}

export interface PushResult {
  url: string;
  repository: string;
  tag: string;
  digest: string;
  /** True when the tag already held the same content and annotations, so nothing was uploaded. */
  unchanged: boolean;
  /** With `signKey`: where the signature was stored. */
  signature?: import('../signing/signwith.js').SignOutcome;
  /** With `dryRun`: nothing was written; this is what would have been. */
  plan?: PushPlan;
}

/** Validate everything a push needs that involves no network, so bad input fails first (exit 2). */
export async function preparePush(opts: PushOptions): Promise<{ t: TargetRef; tag: string; user: Record<string, string>; given: ReturnType<typeof userMetadata>; first: string | undefined }> {
  if (!opts.path || opts.path.length === 0) throw usageError('`path` is required: the directory or file to push', { option: 'path' });
  const t = parseTargetRef(opts.reference, opts.ociLayout);
  const tag = pushTag(t);
  const user = Array.isArray(opts.annotations) ? parseAnnotations(opts.annotations) : { ...(opts.annotations ?? {}) };
  const given = userMetadata(user, { source: opts.source, revision: opts.revision }, opts.reproducible ?? false, opts.env ?? {});
  const first = await checkSources(opts.path);
  return { t, tag, user, given, first };
}

/** Pack `path`, upload layer and config (skipping blobs that exist), then the manifest under the tag. */
export async function push(opts: PushOptions): Promise<PushResult> {
  const emit = emitter(opts.onEvent);
  const env = opts.env ?? {};
  const { t, tag, user, given, first } = await preparePush(opts);
  // a user's created/source/revision annotation is honoured (flux's rule), checked by userMetadata
  const created = given.created ?? createdTime(opts.reproducible ?? false, env);
  const metaDir = first === undefined ? (opts.cwd ?? '.') : await dirOf(first);
  const meta = await resolveMetadata({ source: opts.source ?? given.source, revision: opts.revision ?? given.revision }, metaDir, env);
  const annotations = fluxAnnotations(created, meta.source, meta.revision, user);
  // decrypt the signing key before any network call: a wrong password pushes nothing
  const signed = await signerFor(opts, env, dockerReferenceOf(t));

  const tmp = await mkdtemp(join(tmpdir(), 'ocipack-push-'));
  const dryRun = opts.dryRun ?? false;
  const opened = await openTarget(t, { ...opts, push: true, create: !dryRun }).catch((err: unknown) => {
    if (dryRun && t.kind === 'layout' && isNotFound(err)) return { target: undefined, close: async () => {} };
    throw err;
  });
  try {
    emit({ type: 'step', message: `${dryRun ? 'dry run: ' : ''}pushing artifact to ${repositoryOf(t)}:${tag}` });
    // Reach the registry (ping, token for the push scope) while packing: an unreachable host or a missing
    // login fails now, in one round trip, instead of after packing; nothing has been uploaded by then.
    const stop = new AbortController();
    const current = opened.target ? fetchManifestIfExists(opened.target, tag) : Promise.resolve(undefined);
    current.catch((err: unknown) => stop.abort(err));
    const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
    const [packed, now] = await Promise.all([pack({ ...opts, signal }, join(tmp, 'layer.tar.gz'), emit), current]);
    const config = fluxConfig(created, packed.diffId);
    const layer = { mediaType: MT.fluxContent, size: packed.size, digest: packed.digest };
    const manifest = imageManifest(config.descriptor, [layer], annotations);
    const repository = repositoryOf(t);
    const existing = opened.target && now ? await sameContentAt(opened.target, now, packed.diffId, annotations) : undefined;
    if (dryRun || !opened.target) {
      const plan: PushPlan = { blobs: [], manifest: existing ?? manifest.descriptor.digest };
      if (now) plan.previous = now.descriptor.digest;
      for (const d of existing ? [] : [layer, config.descriptor]) {
        const there = opened.target ? await opened.target.exists(d) : false;
        plan.blobs.push({ mediaType: d.mediaType, digest: d.digest, size: d.size, action: there ? 'skip' : 'upload' });
      }
      return { url: urlOf(t, repository, tag), repository, tag, digest: plan.manifest, unchanged: existing !== undefined, plan };
    }
    if (existing) {
      emit({ type: 'info', message: `${repository}:${tag} already holds this content; nothing uploaded` });
      return signed({ url: urlOf(t, repository, tag), repository, tag, digest: existing, unchanged: true }, opened.target, fetchedRoot(existing, opened.target));
    }
    const upload = uploadBody(packed.file);
    const staged = new StagedArtifact()
      .addBlob(layer, upload)
      .addBlob(config.descriptor, config.bytes)
      .addManifest(manifest.descriptor, manifest.bytes);
    await writeArtifact(staged, opened.target, manifest.descriptor, graphOptions(opts, tag));
    return signed({ url: urlOf(t, repository, tag), repository, tag, digest: manifest.descriptor.digest, unchanged: false }, opened.target, async () => manifest.descriptor);
  } finally {
    await opened.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The manifest a tag already held, described by the store (push skipped the upload). */
function fetchedRoot(digest: string, target: Target): () => Promise<Descriptor> {
  return () => target.resolve(digest);
}

/**
 * With `signKey`: the key decrypted now (before any network call) and a function that signs the pushed
 * manifest in the chosen format once the push succeeded; without it, the identity.
 */
async function signerFor(opts: PushOptions, env: Env, dockerReference: string): Promise<(r: PushResult, target: Target, subject: () => Promise<Descriptor>) => Promise<PushResult>> {
  if (opts.signKey === undefined) return async (r) => r;
  const [{ loadSigner }, { signArtifact, parseSignatureFormat }] = await Promise.all([import('../signing/signer.js'), import('../signing/signwith.js')]);
  const format = parseSignatureFormat(opts.signatureFormat);
  const signer = await loadSigner(opts.signKey, opts.signPassword, env);
  return async (r, target, subject) => {
    const o: Parameters<typeof signArtifact>[3] = { format, dockerReference, annotations: {}, dryRun: false };
    if (opts.onEvent) o.onEvent = opts.onEvent;
    return { ...r, signature: await signArtifact(target, await subject(), signer, o) };
  };
}

/** The layer body, reopened on every attempt (the graph writer counts its bytes for progress). */
function uploadBody(file: string): () => Readable {
  // 1 MiB reads: far fewer stream turns than the 64 KiB default for a big upload (bench/).
  return () => createReadStream(file, { highWaterMark: UPLOAD_READ_BYTES });
}

function urlOf(t: TargetRef, repository: string, tag: string): string {
  return t.kind === 'remote' ? `oci://${repository}:${tag}` : `${repository}:${tag}`;
}

async function dirOf(path: string): Promise<string> {
  const s = await stat(path);
  return s.isDirectory() ? path : dirname(path);
}

async function pack(opts: PushOptions, file: string, emit: ReturnType<typeof emitter>): Promise<PackResult> {
  emit({ type: 'blob:start', action: 'pack' });
  const packed = await packToFile(packOptionsFor(opts, emit, 'refuse'), file);
  emit({ type: 'blob:done', action: 'pack', digest: packed.digest, size: packed.size });
  return packed;
}

/**
 * SPEC §4: a tag that already holds the same diff_ids and annotations is left alone, so re-pushing
 * unchanged content (with --reproducible) uploads nothing, even when zlib versions differ.
 */
async function sameContentAt(
  target: Target,
  fetched: import('../content/target.js').FetchedManifest,
  diffId: string,
  annotations: Record<string, string>,
): Promise<string | undefined> {
  let m: Manifest;
  try {
    m = JSON.parse(fetched.bytes.toString('utf8')) as Manifest;
  } catch {
    return undefined;
  }
  if (isIndex(m) || m.config?.mediaType !== MT.fluxConfig || m.layers?.length !== 1) return undefined;
  if (!sameAnnotations(m.annotations ?? {}, annotations)) return undefined;
  if (m.config.size > 64 * 1024) return undefined;
  const ids = diffIdsOf(await readBlob(target, m.config, 64 * 1024));
  return ids.length === 1 && ids[0] === diffId ? fetched.descriptor.digest : undefined;
}

function sameAnnotations(a: Record<string, string>, b: Record<string, string>): boolean {
  const sorted = (x: Record<string, string>) => JSON.stringify(Object.entries(x).sort(([k1], [k2]) => (k1 < k2 ? -1 : 1)));
  return sorted(a) === sorted(b);
}
