/** Platform strings (`os/arch[/variant]`) and picking a manifest from an index, as Flux's controller does. */
import { OcipackError, usageError } from '../errors.js';
import { DEFAULTS } from '../defaults.js';
import type { Descriptor, ImageIndex } from './descriptor.js';

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

/** Parse `os/arch[/variant]` (default linux/amd64); a malformed value is a usage error. */
export function parsePlatform(value: string | undefined): PlatformSpec {
  const v = value ?? DEFAULTS.defaultPlatform;
  const parts = v.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/i.test(p))) {
    throw usageError(`invalid platform "${v}": expected os/arch[/variant], e.g. linux/arm64`);
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** Format a platform descriptor for messages. */
export function formatPlatform(p: { os: string; architecture: string; variant?: string }): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * The index entry for `want`: os and architecture must match; a requested variant must match too,
 * and without one the entry without a variant (or the first) wins. No entry → NOT_FOUND listing them.
 */
export function selectPlatform(index: ImageIndex, want: PlatformSpec): Descriptor {
  const candidates = index.manifests.filter(
    (d) => d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture,
  );
  const exact = want.variant === undefined
    ? candidates.find((d) => !d.platform?.variant) ?? candidates[0]
    : candidates.find((d) => d.platform?.variant === want.variant);
  if (exact) return exact;
  const available = index.manifests.filter((d) => d.platform).map((d) => formatPlatform(d.platform!));
  throw new OcipackError('NOT_FOUND', `no manifest for platform ${formatPlatform(want)} in the index (available: ${available.join(', ') || 'none'})`, {
    hint: 'choose one with --platform os/arch[/variant]',
  });
}
