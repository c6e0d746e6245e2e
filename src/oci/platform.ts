/** Platform strings (`os/arch[/variant]`) and picking a manifest from an index, as Flux's controller does. */
import { OcipackError, usageError } from '../core/errors.js';
import { DEFAULTS } from '../core/defaults.js';
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
 * The index entry for `want`, as go-containerregistry picks it for Flux's controller
 * (remote.Descriptor.Image → childByPlatform): an entry without `platform` counts as linux/amd64;
 * os and architecture must match; a requested variant must match too (arm64's implied `v8` equals
 * no variant, as containerd normalises it). Without a requested variant the entry without one (or
 * the first) wins. No entry → NOT_FOUND listing the platforms the index has.
 */
export function selectPlatform(index: ImageIndex, want: PlatformSpec): Descriptor {
  const candidates = index.manifests.filter((d) => {
    const p = platformOf(d);
    return p.os === want.os && p.architecture === want.architecture;
  });
  const exact = want.variant === undefined
    ? candidates.find((d) => !platformOf(d).variant) ?? candidates[0]
    : candidates.find((d) => sameVariant(want.architecture, platformOf(d).variant, want.variant));
  if (exact) return exact;
  const available = [...new Set(index.manifests.map((d) => formatPlatform(platformOf(d))))];
  throw new OcipackError('NOT_FOUND', `no manifest for platform ${formatPlatform(want)} in the index (available: ${available.join(', ') || 'none'})`, {
    context: { option: 'platform', next: 'choose-platform' },
  });
}

/** An entry's platform; go-containerregistry assumes linux/amd64 when the index does not say. */
function platformOf(d: Descriptor): PlatformSpec {
  const p = d.platform;
  if (!p || typeof p.os !== 'string' || typeof p.architecture !== 'string') return { os: 'linux', architecture: 'amd64' };
  return typeof p.variant === 'string' && p.variant !== '' ? { os: p.os, architecture: p.architecture, variant: p.variant } : { os: p.os, architecture: p.architecture };
}

function sameVariant(arch: string, have: string | undefined, want: string | undefined): boolean {
  const norm = (v: string | undefined) => (arch === 'arm64' && (v === undefined || v === '') ? 'v8' : v ?? '');
  return norm(have) === norm(want);
}
