/**
 * Plain distribution-API calls against a test registry (no ocipack code), to place hand-built content:
 * blobs, manifests, referrers (OCI 1.1 artifacts with `subject`) and the referrers tag schema index
 * that a client maintains itself on registries without the referrers API (distribution 2.8).
 */
import { createHash } from 'node:crypto';

export const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
}

/** Upload a blob with POST + monolithic PUT. */
export async function putBlob(base: string, repo: string, bytes: Buffer): Promise<string> {
  const digest = digestOf(bytes);
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`blob upload start: ${start.status}`);
  const loc = new URL(start.headers.get('location')!, base);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
  return digest;
}

/** PUT manifest bytes under a tag or digest. */
export async function putManifest(base: string, repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<string> {
  const res = await fetch(`${base}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType } });
  if (res.status !== 201) throw new Error(`manifest put ${ref}: ${res.status} ${await res.text()}`);
  return digestOf(bytes);
}

/** GET manifest bytes, or undefined on 404. */
export async function getManifest(base: string, repo: string, ref: string): Promise<Buffer | undefined> {
  const res = await fetch(`${base}/v2/${repo}/manifests/${ref}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json' },
  });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`manifest get ${ref}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** GET a blob's bytes. */
export async function getBlob(base: string, repo: string, digest: string): Promise<Buffer> {
  const res = await fetch(`${base}/v2/${repo}/blobs/${digest}`);
  if (res.status !== 200) throw new Error(`blob get ${digest}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** The descriptor a HEAD on the manifest reports. */
export async function headManifest(base: string, repo: string, ref: string): Promise<Desc> {
  const res = await fetch(`${base}/v2/${repo}/manifests/${ref}`, {
    method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json' },
  });
  if (res.status !== 200) throw new Error(`manifest head ${ref}: ${res.status}`);
  return { mediaType: res.headers.get('content-type')!, digest: res.headers.get('docker-content-digest')!, size: Number(res.headers.get('content-length')) };
}

/**
 * Push an OCI 1.1 artifact manifest referring to `subject` and add it to the `sha256-<hex>` referrers
 * tag index (distribution-spec "Pushing Manifests with Subject", for registries without the API).
 */
export async function pushReferrer(
  base: string, repo: string, subject: Desc,
  artifact: { artifactType: string; config: { mediaType: string; bytes: Buffer }; layers: { mediaType: string; bytes: Buffer; annotations?: Record<string, string> }[]; annotations?: Record<string, string> },
): Promise<Desc> {
  const configDigest = await putBlob(base, repo, artifact.config.bytes);
  const layers: Desc[] = [];
  for (const l of artifact.layers) {
    const d: Desc = { mediaType: l.mediaType, digest: await putBlob(base, repo, l.bytes), size: l.bytes.length };
    if (l.annotations) d.annotations = l.annotations;
    layers.push(d);
  }
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: artifact.artifactType,
    config: { mediaType: artifact.config.mediaType, digest: configDigest, size: artifact.config.bytes.length },
    layers,
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  };
  if (artifact.annotations) manifest.annotations = artifact.annotations;
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = await putManifest(base, repo, digestOf(bytes), bytes, 'application/vnd.oci.image.manifest.v1+json');
  const desc: Desc = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: bytes.length, artifactType: artifact.artifactType };
  if (artifact.annotations) desc.annotations = artifact.annotations;
  await addToReferrersIndex(base, repo, subject.digest, desc);
  return desc;
}

/** Append `desc` to the referrers tag schema index of `subjectDigest`. */
export async function addToReferrersIndex(base: string, repo: string, subjectDigest: string, desc: Desc): Promise<void> {
  const tag = subjectDigest.replace(':', '-');
  const existing = await getManifest(base, repo, tag);
  const index = existing ? (JSON.parse(existing.toString()) as { manifests: Desc[] }) : { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] as Desc[] };
  index.manifests.push(desc);
  await putManifest(base, repo, tag, Buffer.from(JSON.stringify(index)), 'application/vnd.oci.image.index.v1+json');
}
