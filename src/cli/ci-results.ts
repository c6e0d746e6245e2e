/**
 * The artifact a command's printed result names, as CI outputs (issue 28 §2): `digest`, `ref` (the
 * digest-pinned reference `host/repository@sha256:…`, what a later `ocipack verify`, `cosign` or a
 * Flux `OCIRepository` takes) and `url` (the tag's `oci://host/repository:tag`). Read from the result object
 * each command prints (`-o json`), so no command file changes for it.
 */

/** Commands whose result names one artifact in a registry or layout: they write CI outputs (and list --dotenv). */
export const OUTPUT_COMMANDS: ReadonlySet<string> = new Set(['push', 'pull', 'tag', 'copy', 'promote', 'sign', 'attest']);

/** The three job outputs. */
export interface CiOutputs {
  digest: string;
  ref: string;
  url: string;
}

/** The outputs plus what the step summary shows beside them. */
export interface ArtifactOutputs {
  outputs: CiOutputs;
  /** `repository:tag`, or `repository@digest` without a tag. */
  artifact: string;
  size?: number;
  files?: number;
  signedBy?: string;
  provenance?: string;
}

type Obj = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);

/** Repository, tag and extras of each command's result shape. */
function locate(command: string, r: Obj): { repository?: string; tag?: string; size?: number; files?: number } {
  switch (command) {
    case 'copy': {
      const tag = str(r.tag);
      const dest = str(r.destination);
      const repository = dest !== undefined && tag !== undefined && dest.endsWith(`:${tag}`) ? dest.slice(0, -tag.length - 1) : dest;
      return { repository, tag, size: num(r.bytes) };
    }
    case 'tag': {
      const tags = Array.isArray(r.tags) ? r.tags.filter((t): t is string => typeof t === 'string') : [];
      return { repository: str(r.repository), tag: tags[0] };
    }
    case 'pull': {
      const layer = obj(r.layer);
      const files = Array.isArray(r.files) ? r.files.length : undefined;
      return { repository: str(r.repository), tag: str(r.tag), size: num(layer?.size), files };
    }
    default: {
      // sign names its tag only in the url it printed: `oci://<repository>:<tag>`
      const repository = str(r.repository);
      const url = str(r.url)?.replace(/^oci:\/\//, '');
      const fromUrl = repository !== undefined && url?.startsWith(`${repository}:`) ? url.slice(repository.length + 1) : undefined;
      return { repository, tag: str(r.tag) ?? (fromUrl !== undefined && /^[\w][\w.-]*$/.test(fromUrl) ? fromUrl : undefined) };
    }
  }
}

/** Who signed: a keyless identity, else the key's fingerprint. */
function signerOf(r: Obj): string | undefined {
  const s = obj(r.signature);
  const identity = str(s?.identity) ?? str(r.identity);
  if (identity !== undefined) return identity;
  const key = str(s?.keyFingerprint) ?? str(r.keyFingerprint);
  if (key !== undefined) return `key ${key}`;
  return s !== undefined ? 'yes' : undefined;
}

/** The provenance attestation's referrer digest (or predicate type), when one was written. */
function provenanceOf(r: Obj): string | undefined {
  const p = r.provenance;
  if (p === true) return 'yes';
  const o = obj(p);
  if (o === undefined) return undefined;
  return str(o.referrer) ?? str(o.referrerDigest) ?? str(o.digest) ?? str(o.predicateType) ?? 'yes';
}

/** The CI outputs for `command`'s result; undefined for a dry run or a result that names no artifact. */
export function artifactOutputs(command: string, result: unknown, layout: boolean): ArtifactOutputs | undefined {
  const r = obj(result);
  if (r === undefined || r.dryRun === true) return undefined;
  const digest = str(r.digest);
  const at = locate(command, r);
  if (digest === undefined || at.repository === undefined) return undefined;
  const scheme = layout ? '' : 'oci://';
  const artifact = at.tag === undefined ? `${at.repository}@${digest}` : `${at.repository}:${at.tag}`;
  // push prints flux's digest URL as `url` and the tag's as `tagUrl`; the output stays the tag URL (`ref` pins the digest)
  const url = command === 'copy' || command === 'tag' ? `${scheme}${artifact}` : str(r.tagUrl) ?? str(r.url) ?? `${scheme}${artifact}`;
  const out: ArtifactOutputs = { outputs: { digest, ref: `${at.repository}@${digest}`, url }, artifact };
  if (at.size !== undefined) out.size = at.size;
  if (at.files !== undefined) out.files = at.files;
  const signedBy = signerOf(r);
  if (signedBy !== undefined) out.signedBy = signedBy;
  const provenance = provenanceOf(r);
  if (provenance !== undefined) out.provenance = provenance;
  return out;
}
