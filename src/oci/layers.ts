/**
 * Which layers a pull takes and what it does with them (Flux's `layerSelector` {mediaType, operation}
 * and oras's titled files), decided from the manifest alone. Pure: no I/O. The kinds come from the
 * media type (`…tar`, `…tar+gzip`, `…tar+zstd`, Docker's `.tar.gzip`); the reader then checks the
 * magic bytes and says when they disagree.
 */
import { OcipackError, usageError } from '../core/errors.js';
import type { Descriptor, ImageManifest } from './descriptor.js';
import { ANNOTATIONS, MT } from './mediatypes.js';

/** oras-go marks a directory packed as tar+gzip with this annotation; pull unpacks it as `<title>/…`. */
export const ORAS_UNPACK = 'io.deis.oras.content.unpack';

/** Flux's `layerSelector.operation`. */
export type LayerOperation = 'extract' | 'copy';

/** A layer with its position in the manifest. */
export interface IndexedLayer extends Descriptor {
  index: number;
}

export interface LayerChoice {
  /** The layers to apply, in manifest order (several for `--all-layers` and oras files). */
  layers: IndexedLayer[];
  operation: LayerOperation;
  /** What to do with each layer (parallel to `layers`): oras files mix copies with unpacked directories. */
  ops: LayerOperation[];
  /** copy: the file name of each layer (parallel to `layers`). */
  names: string[];
  /** Things to tell the user (a raw layer copied, layers not taken, an unsafe title). */
  notes: string[];
  warnings: string[];
}

export interface LayerSelector {
  mediaType?: string;
  layer?: number;
  operation?: LayerOperation;
  allLayers?: boolean;
}

/** The tar compression a media type names, or undefined when it names no tar archive. */
export function tarCompression(mediaType: string): 'gzip' | 'zstd' | 'none' | undefined {
  const m = /^(.*?)(?:[+.](gzip|gz|zstd|zst))?$/.exec(mediaType.toLowerCase());
  const base = m?.[1] ?? '';
  if (!/(?:^|[./+-])tar$/.test(base)) return undefined;
  const c = m?.[2];
  return c === undefined ? 'none' : c.startsWith('g') ? 'gzip' : 'zstd';
}

/**
 * True for a layer pull extracts by default: oras's unpack annotation, or a tar media type on a layer
 * without a title (oras writes a titled layer as its file whatever its media type, and `oras push
 * file.yaml` labels the raw file `application/vnd.oci.image.layer.v1.tar`).
 */
export function isTarLayer(d: Descriptor): boolean {
  if (d.annotations?.[ORAS_UNPACK] === 'true') return true;
  return d.annotations?.[ANNOTATIONS.title] === undefined && tarCompression(d.mediaType) !== undefined;
}

/** `layer 1 (text/plain, 12 B)`: how every message names a layer. */
export function describeLayer(l: IndexedLayer): string {
  return `layer ${l.index} (${l.mediaType || 'no media type'}, ${l.size} B)`;
}

/** A title usable as a relative file path: the tar path rules (no absolute, `..`, `\`, NUL, drive, control bytes). */
export function safeTitle(title: string | undefined): string | undefined {
  if (title === undefined || title === '' || /[\u0000-\u001f\u007f\\]/.test(title)) return undefined;
  if (title.startsWith('/') || /^[A-Za-z]:/.test(title) || Buffer.byteLength(title) > 4096) return undefined;
  const segs = title.split('/').filter((s) => s !== '' && s !== '.');
  if (segs.length === 0 || segs.includes('..')) return undefined;
  return segs.join('/');
}

const EXTENSIONS: Array<[RegExp, string]> = [
  [/(?:^|[/+.-])ya?ml$/, '.yaml'], [/(?:^|[/+.-])json$/, '.json'], [/^text\/plain$/, '.txt'],
  [/tar(?:\+|\.)(?:gzip|gz)$/, '.tar.gz'], [/tar(?:\+|\.)(?:zstd|zst)$/, '.tar.zst'], [/tar$/, '.tar'],
  [/(?:^|[/+.-])(?:gzip|gz)$/, '.gz'], [/(?:^|[/+.-])zstd$/, '.zst'], [/\.prov$/, '.prov'],
];

/** `<digest-hex><ext>`: the name of a copied layer without a safe title. */
export function digestFileName(d: Descriptor): string {
  const hex = d.digest.slice(d.digest.indexOf(':') + 1);
  const ext = EXTENSIONS.find(([re]) => re.test(d.mediaType.toLowerCase()))?.[1] ?? '';
  return `${hex}${ext}`;
}

/** What pull does with this manifest under these flags; bad flags are usage errors, impossible asks name the layers. */
export function chooseLayers(m: ImageManifest, sel: LayerSelector): LayerChoice {
  const all: IndexedLayer[] = m.layers.map((l, index) => ({ ...l, index }));
  const out: LayerChoice = { layers: [], operation: 'extract', ops: [], names: [], notes: [], warnings: [] };
  if (sel.allLayers) return allLayers(all, sel, out);
  let pool = all;
  if (sel.layer !== undefined) {
    const l = all[sel.layer];
    if (!l) throw usageError(`\`layer\` ${sel.layer} is out of range: the manifest has ${all.length} layer(s)`, { option: 'layer', next: 'choose-layer' });
    pool = [l];
  }
  if (sel.mediaType !== undefined) {
    pool = pool.filter((l) => l.mediaType === sel.mediaType);
    if (pool.length === 0) {
      throw usageError(`no layer with media type ${sel.mediaType} (\`mediaType\`); layers are: ${listLayers(all)}`, { option: 'mediaType', next: 'choose-layer' });
    }
  }
  const narrowed = sel.layer !== undefined || sel.mediaType !== undefined;
  if (sel.operation === 'copy') return copyOf(pool, out);
  const titled = pool.filter((l) => l.annotations?.[ANNOTATIONS.title] !== undefined);
  if (sel.operation === undefined && titled.length > 0 && (!narrowed || titled.length === pool.length)) return orasFiles(titled, pool, out);
  const tars = pool.filter(isTarLayer);
  if (sel.operation === 'extract' || tars.length > 0) {
    // an explicit extract takes the layer whatever its media type says: the magic bytes decide
    const first = tars[0] ?? pool[0]!;
    if (!isTarLayer(first)) out.notes.push(`${describeLayer(first)}: the media type names no tar archive; reading it as one (\`layerOperation\` extract)`);
    out.layers = [first];
    out.ops = ['extract'];
    const left = all.length - 1;
    if (left > 0 && m.config?.mediaType !== MT.helmConfig) {
      out.warnings.push(`image has ${all.length} layers; extracted ${describeLayer(first)}, ${left} not extracted; `
        + (narrowed ? 'choose another with `layer`' : 'choose with `layer`, or `allLayers` for a container image'));
    }
    return out;
  }
  if (!narrowed) {
    if (pool.length > 1) {
      throw new OcipackError('NOT_FOUND', `no tar layer and no titled files; layers are: ${listLayers(all)}`, {
        context: { next: 'choose-layer' },
      });
    }
  }
  out.notes.push(`${describeLayer(pool[0]!)} is not a tar archive; writing it as a file (\`layerOperation\` copy)`);
  return copyOf(narrowed ? pool : pool.slice(0, 1), out);
}

/**
 * oras pull: each titled layer becomes its file, and a layer marked `io.deis.oras.content.unpack` is
 * unpacked (its tar holds `<title>/…`); a title that is no safe path is refused, as oras does.
 */
function orasFiles(titled: IndexedLayer[], all: IndexedLayer[], out: LayerChoice): LayerChoice {
  out.operation = 'copy';
  for (const l of titled) {
    const name = safeTitle(l.annotations?.[ANNOTATIONS.title]);
    if (name === undefined) {
      throw new OcipackError('UNSAFE', `${describeLayer(l)} has an unsafe title ${JSON.stringify(l.annotations?.[ANNOTATIONS.title])}`);
    }
    out.layers.push(l);
    out.names.push(name);
    out.ops.push(l.annotations?.[ORAS_UNPACK] === 'true' ? 'extract' : 'copy');
  }
  const untitled = all.length - titled.length;
  if (untitled > 0) out.warnings.push(`${untitled} layer(s) without a title were not written; choose one with \`layer\``);
  return out;
}

function copyOf(pool: IndexedLayer[], out: LayerChoice): LayerChoice {
  out.operation = 'copy';
  for (const l of pool) {
    const title = l.annotations?.[ANNOTATIONS.title];
    let name = safeTitle(title);
    if (name === undefined) {
      name = digestFileName(l);
      if (title !== undefined) out.warnings.push(`${describeLayer(l)} has an unsafe title ${JSON.stringify(title)}; writing it as ${name}`);
    }
    out.layers.push(l);
    out.names.push(name);
    out.ops.push('copy');
  }
  return out;
}

function allLayers(all: IndexedLayer[], sel: LayerSelector, out: LayerChoice): LayerChoice {
  if (sel.layer !== undefined || sel.mediaType !== undefined || sel.operation === 'copy') {
    throw usageError('`allLayers` applies every layer; it cannot be combined with `layer`, `mediaType` or `layerOperation` copy', { option: 'allLayers' });
  }
  const notTar = all.filter((l) => !isTarLayer(l));
  if (notTar.length > 0) {
    throw new OcipackError('BAD_INPUT', `\`allLayers\` needs tar layers; ${notTar.map(describeLayer).join(', ')} ${notTar.length === 1 ? 'is' : 'are'} not`, { context: { option: 'allLayers' } });
  }
  if (all.length === 0) throw new OcipackError('NOT_FOUND', 'the manifest has no layers');
  out.layers = all;
  out.ops = all.map(() => 'extract');
  return out;
}

function listLayers(all: IndexedLayer[]): string {
  return all.map((l) => `${l.index}: ${l.mediaType}`).join(', ') || 'no layers';
}
