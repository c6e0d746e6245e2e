/** push: pack a tree into Flux's artifact format and store it in a registry or layout (SPEC §3, §4). */
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { emitter, heldEvents } from '../core/events.js';
import { OcipackError, usageError } from '../core/errors.js';
import type { Env, RegistryOptions, RunOptions, TargetCaps } from '../core/options.js';
import type { KeylessServiceOptions } from '../signing/keylessopts.js';
import { packToFile, type PackResult } from '../artifact/tar/pack.js';
import { createdTime, resolveMetadata, userMetadata } from '../artifact/flux/metadata.js';
import { diffIdsOf, fluxAnnotations, fluxConfig, imageManifest, parseAnnotations, sameAnnotations } from '../artifact/flux/manifest.js';
import { MT } from '../oci/mediatypes.js';
import { isIndex, type Descriptor, type Manifest } from '../oci/descriptor.js';
import { parseManifest } from '../oci/manifest.js';
import { dockerReferenceOf, parseTaggedTarget, pushTag, repositoryOf, type TargetRef } from '../connect/open.js';
import { connect } from '../connect/connect.js';
import type { Target } from '../content/target.js';
import type { SourceMetadata } from '../signing/provenance.js';
import { fetchManifestIfExists, isNotFound, readBlob } from '../content/read.js';
import { graphOptions } from '../content/copy.js';
import { UPLOAD_READ_BYTES } from '../content/bodies.js';
import { StagedArtifact, writeArtifact } from '../content/staged-artifact.js';
import { pushManifestTagged } from '../content/multitag.js';
import { checkSources, packOptionsFor } from '../artifact/tar/tree.js';
import { makeTempDir } from '../core/tempdir.js';

export interface PushOptions extends RunOptions, RegistryOptions, TargetCaps, KeylessServiceOptions {
  /** `oci://host/repo:tag`, or `<dir>[:tag]` with `ociLayout`; `repo:1.4.2,1.4,latest` gives the manifest every tag listed. */
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
  /** `--sign-keyless`: after a successful push, sign the pushed digest keylessly (see SignOptions.keyless and its service fields). */
  signKeyless?: boolean;
  /**
   * `--provenance` (with `signKey` or `signKeyless`): also attach a signed SLSA Provenance v1 attestation of
   * the pushed manifest, built from the CI variables in `env` (signing/provenance.ts).
   */
  provenance?: boolean;
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
  /** The digest URL, as flux prints it: `oci://<repository>@sha256:…` (`<dir>@sha256:…` for a layout). */
  url: string;
  /** The URL of the (first) tag: `oci://<repository>:<tag>` (`<dir>:<tag>` for a layout). */
  tagUrl: string;
  repository: string;
  /** The first tag written. */
  tag: string;
  /** Every tag written, in the order given (`tag` first). */
  tags: string[];
  digest: string;
  /** True when the tag already held the same content and annotations (a signing push: the very manifest it built), so nothing was uploaded. */
  unchanged: boolean;
  /** With `signKey`: where the signature was stored. */
  signature?: import('../signing/signwith.js').SignOutcome;
  /** With `dryRun`: nothing was written; this is what would have been. */
  plan?: PushPlan;
  /** With `provenance`: where the SLSA provenance attestation was stored. */
  provenance?: import('../signing/attest.js').AttestOutcome;
}

/** Validate everything a push needs that involves no network, so bad input fails first (exit 2). */
export async function preparePush(opts: PushOptions): Promise<{ t: TargetRef; tags: string[]; user: Record<string, string>; given: ReturnType<typeof userMetadata>; first: string | undefined }> {
  if (!opts.path || opts.path.length === 0) throw usageError('`path` is required: the directory or file to push', { option: 'path' });
  const { target: t, tags: written } = parseTaggedTarget(opts.reference, opts.ociLayout);
  const tags = written.length > 1 ? written : [pushTag(t)];
  const user = Array.isArray(opts.annotations) ? parseAnnotations(opts.annotations) : { ...(opts.annotations ?? {}) };
  const given = userMetadata(user, { source: opts.source, revision: opts.revision }, opts.reproducible ?? false, opts.env ?? {});
  const first = await checkSources(opts.path);
  return { t, tags, user, given, first };
}

/** Pack `path`, upload layer and config (skipping blobs that exist), then the manifest under the tag. */
export async function push(opts: PushOptions): Promise<PushResult> {
  const emit = emitter(opts.onEvent);
  const env = opts.env ?? {};
  const { t, tags, user, given, first } = await preparePush(opts);
  const tag = tags[0]!;
  // a user's created/source/revision annotation is honoured (flux's rule), checked by userMetadata
  const created = given.created ?? createdTime(opts.reproducible ?? false, env);
  const metaDir = first === undefined ? (opts.cwd ?? '.') : await dirOf(first);
  // git (up to three runs of it) answers while the tree is packed: only the manifest needs the annotations
  const metaReady = resolveMetadata({ source: opts.source ?? given.source, revision: opts.revision ?? given.revision }, metaDir, env);
  // every way of signing a push: a key, keyless, and the provenance attestation (made with one of them)
  const signing = opts.signKey !== undefined || opts.signKeyless === true || opts.provenance === true;
  // decrypt the signing key before any network call: a wrong password pushes nothing
  // the connection is lazy (nothing opened yet) but arms the run's deadline: a keyless token fetch is bounded by it
  const conn = connect(opts, opts);
  const signed = await signerFor({ ...opts, signal: conn.signal }, env, dockerReferenceOf(t), signing ? await metaReady : {}).catch(async (err: unknown) => {
    await conn.close();
    throw conn.failure(err);
  });

  const tmp = await makeTempDir('push');
  const dryRun = opts.dryRun ?? false;
  const stop = new AbortController();
  const signal = AbortSignal.any([conn.signal, stop.signal]);
  // To a registry, packing starts before the registry is opened (a loopback TLS probe, a token, a round trip
  // at least) and its events wait for the step line; a layout is opened first (it may be made inside the tree).
  const held = heldEvents(emit);
  const packInto = (onEvent: typeof emit) => pack({ ...opts, signal }, join(tmp, 'layer.tar.gz'), onEvent);
  const early = t.kind === 'remote' ? packInto(held.emit) : undefined;
  early?.catch(() => undefined);
  try {
    const target = await conn.open(t, { push: true, create: !dryRun }).catch((err: unknown) => {
      if (dryRun && t.kind === 'layout' && isNotFound(err)) return undefined;
      throw err;
    });
    emit({ type: 'step', message: `${dryRun ? 'dry run: ' : ''}pushing artifact to ${repositoryOf(t)}:${tags.join(',')}` });
    held.release();
    // Reach the registry (the tag's manifest makes the contact; token for the push scope) while packing: an unreachable host or a missing
    // login fails now, in one round trip, instead of after packing; nothing has been uploaded by then.
    const current = target ? fetchManifestIfExists(target, tag) : Promise.resolve(undefined);
    current.catch((err: unknown) => stop.abort(err));
    const packing = early ?? packInto(emit);
    const [packed, now] = await Promise.all([packing, current]);
    const meta = await metaReady;
    const annotations = fluxAnnotations(created, meta.source, meta.revision, user);
    const config = fluxConfig(created, packed.diffId);
    const layer = { mediaType: MT.fluxContent, size: packed.size, digest: packed.digest };
    const manifest = imageManifest(config.descriptor, [layer], annotations);
    const repository = repositoryOf(t);
    // SPEC §7: a signing push skips only when the tag already names the very manifest this run built
    const existing = !target || !now ? undefined
      : signing ? await sameManifestAt(target, now, manifest.descriptor, [layer, config.descriptor])
        : await sameContentAt(target, now, packed.diffId, annotations);
    if (dryRun || !target) {
      const plan: PushPlan = { blobs: [], manifest: existing ?? manifest.descriptor.digest };
      if (now) plan.previous = now.descriptor.digest;
      for (const d of existing ? [] : [layer, config.descriptor]) {
        const there = target ? await target.exists(d) : false;
        plan.blobs.push({ mediaType: d.mediaType, digest: d.digest, size: d.size, action: there ? 'skip' : 'upload' });
      }
      return { ...located(t, tags, plan.manifest), unchanged: existing !== undefined, plan };
    }
    if (existing) {
      emit({ type: 'info', message: `${repository}:${tag} already holds this content; nothing uploaded` });
      // the other tags of a list get the very bytes the first one names
      if (tags.length > 1) await pushManifestTagged(target, now!.descriptor, now!.bytes, tags.slice(1));
      // a signing push signs the descriptor it built (equal to what the tag names), never one read back
      const subject = signing ? async () => manifest.descriptor : () => target.resolve(existing);
      return await signed({ ...located(t, tags, existing), unchanged: true }, target, subject);
    }
    const upload = uploadBody(packed.file);
    const staged = new StagedArtifact()
      .addBlob(layer, upload)
      .addBlob(config.descriptor, config.bytes)
      .addManifest(manifest.descriptor, manifest.bytes);
    // the tag was just read (`now`): it does not name this manifest, so the writer need not ask again
    await writeArtifact(staged, target, manifest.descriptor, { ...graphOptions({ ...opts, signal: conn.signal }, tags.length === 1 ? tag : tags), rootAbsent: true });
    return await signed({ ...located(t, tags, manifest.descriptor.digest), unchanged: false }, target, async () => manifest.descriptor);
  } catch (err) {
    // a packing still running (the registry failed first) stops and is awaited before its directory goes
    stop.abort(err);
    await early?.catch(() => undefined);
    await conn.discardUnfinished();
    throw conn.failure(err);
  } finally {
    await conn.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * With `signKey`: the key decrypted now (before any network call) and a function that signs the pushed
 * manifest in the chosen format once the push succeeded; without it, the identity.
 */
async function signerFor(opts: PushOptions, env: Env, dockerReference: string, meta: SourceMetadata = {}): Promise<(r: PushResult, target: Target, subject: () => Promise<Descriptor>) => Promise<PushResult>> {
  if (opts.provenance && opts.signKey === undefined && !opts.signKeyless) throw usageError('`provenance` needs `signKey` or `signKeyless`: the provenance is a signed attestation', { option: 'provenance' });
  if (opts.signKeyless) return keylessSignerFor(opts, env, { dockerReference, meta });
  if (opts.signKey === undefined) return async (r) => r;
  const [{ loadSigner }, { signArtifact, parseSignatureFormat }] = await Promise.all([import('../signing/signer.js'), import('../signing/signwith.js')]);
  const format = parseSignatureFormat(opts.signatureFormat);
  const signer = await loadSigner(opts.signKey, opts.signPassword, env);
  return async (r, target, subject) => {
    const o: Parameters<typeof signArtifact>[3] = { format, dockerReference, annotations: {}, dryRun: false };
    if (opts.onEvent) o.onEvent = opts.onEvent;
    const signedResult = { ...r, signature: await signArtifact(target, await subject(), signer, o) };
    return withProvenance(opts, env, { dockerReference, meta }, { kind: 'key', signer }, target, subject, signedResult);
  };
}

/** With `signKeyless`: the services checked and the OIDC token found now, before any registry call. */
async function keylessSignerFor(opts: PushOptions, env: Env, what: ProvenanceInput): Promise<(r: PushResult, target: Target, subject: () => Promise<Descriptor>) => Promise<PushResult>> {
  if (opts.signKey !== undefined) throw usageError('`signKey` and `signKeyless` exclude each other', { option: 'signKeyless' });
  const [{ prepareKeyless }, { signArtifactKeyless }, { keylessSignOptions }] = await Promise.all([
    import('../signing/keylesssign.js'), import('../signing/signwith.js'), import('../signing/keylessopts.js'),
  ]);
  const k = await prepareKeyless(keylessSignOptions({ ...opts, env }));
  return async (r, target, subject) => {
    const o: Parameters<typeof signArtifactKeyless>[3] = { annotations: {} };
    if (opts.onEvent) o.onEvent = opts.onEvent;
    const signedResult = { ...r, signature: await signArtifactKeyless(target, await subject(), k, o) };
    return withProvenance(opts, env, what, { kind: 'keyless', keyless: k }, target, subject, signedResult);
  };
}

interface ProvenanceInput {
  dockerReference: string;
  meta: SourceMetadata;
}

/** With `provenance`: the SLSA Provenance v1 attestation of the pushed manifest, signed like its signature. */
async function withProvenance(
  opts: PushOptions, env: Env, what: ProvenanceInput, who: import('../signing/attest.js').AttestSigner,
  target: Target, subject: () => Promise<Descriptor>, r: PushResult,
): Promise<PushResult> {
  if (!opts.provenance) return r;
  const [{ attestArtifact, attestationStatement }, { provenancePredicate, SLSA_PROVENANCE_V1 }] = await Promise.all([import('../signing/attest.js'), import('../signing/provenance.js')]);
  const s = await subject();
  const statement = attestationStatement(what.dockerReference, s.digest, SLSA_PROVENANCE_V1, provenancePredicate(env, what.meta));
  const o: Parameters<typeof attestArtifact>[5] = {};
  if (opts.onEvent) o.onEvent = opts.onEvent;
  return { ...r, provenance: await attestArtifact(target, s, statement, SLSA_PROVENANCE_V1, who, o) };
}

/** The layer body, reopened on every attempt (the graph writer counts its bytes for progress). */
function uploadBody(file: string): () => Readable {
  // 1 MiB reads: far fewer stream turns than the 64 KiB default for a big upload (bench/).
  return () => createReadStream(file, { highWaterMark: UPLOAD_READ_BYTES });
}

/** Where the push put the artifact: flux's digest URL, the tag URL, the repository, the tags and the digest. */
function located(t: TargetRef, tags: string[], digest: string): Pick<PushResult, 'url' | 'tagUrl' | 'repository' | 'tag' | 'tags' | 'digest'> {
  const repository = repositoryOf(t);
  const scheme = t.kind === 'remote' ? 'oci://' : '';
  return { url: `${scheme}${repository}@${digest}`, tagUrl: `${scheme}${repository}:${tags[0]!}`, repository, tag: tags[0]!, tags, digest };
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
 * SPEC §7, for a signing push: the tag already names the manifest this run built (same digest, so the
 * same bytes, naming the layer and config this run packed) and the store holds both blobs; a config's
 * diff_ids or annotations are never trusted, since the signature is made over what the tag names.
 */
async function sameManifestAt(target: Target, fetched: import('../content/target.js').FetchedManifest, built: Descriptor, blobs: Descriptor[]): Promise<string | undefined> {
  if (fetched.descriptor.digest !== built.digest) return undefined;
  const held = await Promise.all(blobs.map((d) => target.exists(d)));
  return held.every(Boolean) ? built.digest : undefined;
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
    m = parseManifest(fetched.bytes, fetched.descriptor.digest);
  } catch (err) {
    // a tag holding something that is no manifest is not "the same content": the push replaces it
    if (err instanceof OcipackError && err.code === 'BAD_MANIFEST') return undefined;
    throw err;
  }
  if (isIndex(m) || m.config.mediaType !== MT.fluxConfig || m.layers.length !== 1) return undefined;
  if (!sameAnnotations(m.annotations ?? {}, annotations)) return undefined;
  if (m.config.size > 64 * 1024) return undefined;
  const ids = diffIdsOf(await readBlob(target, m.config, 64 * 1024));
  return ids.length === 1 && ids[0] === diffId ? fetched.descriptor.digest : undefined;
}
