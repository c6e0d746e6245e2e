/**
 * Applies the layers chooseLayers (oci/layers.ts) picked into a pull's staging directory: `extract`
 * one tar layer (gzip, zstd or plain, told by the magic bytes), `copy` raw layers as files (through
 * a tar made on the fly, so names obey the tar path rules and the same staging/atomic move), or
 * `--all-layers` (each layer verified into a temp file, flattened top-down with whiteouts, extracted).
 * The download itself is the caller's (`receive`: fetch, verify size and digest, progress).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { OcipackError } from '../core/errors.js';
import { describeLayer, tarCompression, type IndexedLayer, type LayerChoice } from '../oci/layers.js';
import { extractInto, type UnpackOptions } from './tar/unpack.js';
import { filesAsTar } from './tar/synth.js';
import { flattenLayers } from './tar/flatten.js';
import type { LayerFormat } from './tar/zstd.js';
import { makeTempDir } from '../core/tempdir.js';
import { tempError } from '../core/errno.js';

/** Reads one layer's verified stream through `sink` (pull.ts receiveLayer bound to the target and stage). */
export type Receive = (layer: IndexedLayer, sink: (stream: Readable) => Promise<unknown>) => Promise<void>;

/** Says what was done with a layer; `detail` for the unsurprising (a gzip tar layer labelled so). */
export type Note = (message: string, detail?: boolean) => void;

/** What applyLayers did: the names of copied layers, and how many files it wrote into the staging directory. */
export interface Applied {
  files: string[];
  written: number;
}

/** Writes the chosen layers into `stageDir`; `note` gets one line per layer saying what was done. */
export async function applyLayers(
  choice: LayerChoice, receive: Receive, stageDir: string, opts: Omit<UnpackOptions, 'target'>, note: Note,
): Promise<Applied> {
  let written = 0;
  const into = async (stream: Readable, o: Omit<UnpackOptions, 'target'>): Promise<void> => {
    written += (await extractInto(stream, stageDir, o)).files;
  };
  // One count of decompressed bytes for every layer of the command: the cap holds for their sum (SPEC §5).
  const together = { bytes: 0 };
  const each = { ...opts, together };
  if (choice.operation === 'copy') {
    for (const [i, layer] of choice.layers.entries()) {
      const name = choice.names[i]!;
      if (choice.ops[i] === 'extract') {
        await receive(layer, (stream) => named(layer, () => into(stream, { ...each, onFormat: told(layer, note) })));
        continue;
      }
      await receive(layer, (stream) => named(layer, () => into(filesAsTar([{ name, size: layer.size, open: () => stream }]), each)));
      note(`wrote ${describeLayer(layer)} as ${name}`);
    }
    return { files: [...choice.names], written };
  }
  if (choice.layers.length === 1) {
    const layer = choice.layers[0]!;
    await receive(layer, (stream) => named(layer, () => into(stream, { ...opts, onFormat: told(layer, note) })));
    return { files: [], written };
  }
  const tmp = await makeTempDir('layers');
  try {
    for (const layer of choice.layers) await receive(layer, (stream) => toTempFile(stream, join(tmp, `${layer.index}`)));
    const flat = join(tmp, 'flat.tar');
    const layers = choice.layers.map((l) => ({ label: describeLayer(l), open: () => createReadStream(join(tmp, `${l.index}`)) }));
    const read: Parameters<typeof flattenLayers>[2] = {};
    if (opts.maxLayerBytes !== undefined) read.maxLayerBytes = opts.maxLayerBytes;
    if (opts.maxEntries !== undefined) read.maxEntries = opts.maxEntries;
    if (opts.maxPathBytes !== undefined) read.maxPathBytes = opts.maxPathBytes;
    if (opts.maxDepth !== undefined) read.maxDepth = opts.maxDepth;
    if (opts.signal !== undefined) read.signal = opts.signal;
    if (opts.onWarning !== undefined) read.onWarning = opts.onWarning;
    read.together = together;
    const flattened = await flattenLayers(layers, flat, read);
    note(`applied ${choice.layers.length} layers in order (${flattened.entries} entries, ${flattened.hidden} replaced or whited out)`);
    await into(createReadStream(flat), opts);
    return { files: [], written };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** What the magic bytes said, said once: and a warning when the media type claimed another compression. */
function told(layer: IndexedLayer, note: Note): (format: LayerFormat) => void {
  return (format) => {
    const what = format === 'tar' ? 'uncompressed tar' : format === 'zstd' ? 'zstd-compressed tar (decoded by node:zlib)' : 'gzip-compressed tar';
    const claimed = tarCompression(layer.mediaType);
    const expected = claimed === 'none' ? 'tar' : claimed;
    const mismatch = expected !== undefined && expected !== format ? `; its media type says ${claimed === 'none' ? 'uncompressed' : claimed}, the bytes decide` : '';
    note(`extracting ${describeLayer(layer)}: ${what}${mismatch}`, format === 'gzip' && mismatch === '');
  };
}

/** Errors of one layer name it: index, media type and size. */
async function named<T>(layer: IndexedLayer, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof OcipackError && err.code === 'BAD_INPUT' && !err.message.startsWith('layer ')) {
      throw new OcipackError(err.code, `${describeLayer(layer)}: ${err.message}`, { context: { ...err.context, next: err.context.next ?? 'layer-copy' }, cause: err });
    }
    throw err;
  }
}

/** Writes a verified layer stream into a file in temporary space; a failed write (a full disk) is named as temporary space's. */
async function toTempFile(stream: Readable, file: string): Promise<void> {
  const out = createWriteStream(file, { flags: 'wx' });
  let failed: unknown;
  out.once('error', (err) => { failed = err; });
  await pipeline(stream, out).catch((err: unknown) => {
    throw failed === undefined ? err : tempError(`cannot write a layer to ${file}`, failed, file);
  });
}
