/** Media types and annotation keys used across ocipack (OCI image-spec, Docker, Flux, Helm, cosign). */
export const MT = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  dockerLayerTarGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  fluxConfig: 'application/vnd.cncf.flux.config.v1+json',
  fluxContent: 'application/vnd.cncf.flux.content.v1.tar+gzip',
  helmConfig: 'application/vnd.cncf.helm.config.v1+json',
  helmChart: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
  helmChartLegacy: 'application/tar+gzip',
  helmProvenance: 'application/vnd.cncf.helm.chart.provenance.v1.prov',
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  cosignArtifactSig: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  sigstoreBundle: 'application/vnd.dev.sigstore.bundle.v0.3+json',
} as const;

/** Manifest media types we send in Accept and understand. */
export const MANIFEST_MEDIA_TYPES = [MT.ociManifest, MT.ociIndex, MT.dockerManifest, MT.dockerList] as const;

/** Layer media types pull extracts by default, in order of preference. */
export const EXTRACTABLE_LAYER_TYPES = [
  MT.fluxContent, MT.ociLayerTarGzip, MT.dockerLayerTarGzip, MT.helmChart, MT.helmChartLegacy,
] as const;

export const ANNOTATIONS = {
  created: 'org.opencontainers.image.created',
  source: 'org.opencontainers.image.source',
  revision: 'org.opencontainers.image.revision',
  title: 'org.opencontainers.image.title',
  version: 'org.opencontainers.image.version',
  description: 'org.opencontainers.image.description',
  refName: 'org.opencontainers.image.ref.name',
  cosignSignature: 'dev.cosignproject.cosign/signature',
} as const;

/** True for a manifest that lists other manifests (OCI index or Docker manifest list). */
export function isIndexType(mediaType: string | undefined): boolean {
  return mediaType === MT.ociIndex || mediaType === MT.dockerList;
}

/** Non-distributable ("foreign") layer types (image-spec layer.md): a registry may legitimately not hold them. */
export const FOREIGN_LAYER_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);
