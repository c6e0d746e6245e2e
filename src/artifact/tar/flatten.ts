/**
 * `pull --all-layers`: a container image's layers applied in order into one tree, as `crane export`
 * does, with OCI whiteouts (image-spec layer.md: `.wh.<name>` deletes `<name>` from the layers below,
 * `.wh..wh..opq` hides a directory's lower contents). Layers are read top-down; an entry is kept only
 * if no upper layer already has that path, hides it or replaced a parent with a non-directory. Every
 * layer is read with the reader's rules and caps; the result is one plain tar file that the normal
 * extraction then takes (staging, atomic move, the same safety rules again).
 */
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { encodeHeader, endOfArchive, padding } from './header.js';
import { readTar, type ReadTarOptions, type TarItem, type TarSink } from './read.js';
import { quote } from './path.js';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** One layer: a label for messages and its (verified) content, tar or compressed tar. */
export interface FlattenLayer {
  label: string;
  open: () => Readable;
}

/** Writes the merged tree of `layers` (bottom first, manifest order) to `outFile` as a plain tar. */
export async function flattenLayers(
  layers: readonly FlattenLayer[],
  outFile: string,
  opts: ReadTarOptions & { onWarning?: (message: string) => void } = {},
): Promise<{ entries: number; hidden: number }> {
  const state = new Flattener(fs.openSync(outFile, 'wx', 0o600), opts.onWarning);
  try {
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]!;
      const { onWarning: _w, ...read } = opts;
      await readTar(layer.open(), (item) => state.visit(item), read, (name, reason) => state.skipped(name, reason));
      state.endLayer();
    }
    state.finish();
    return { entries: state.entries, hidden: state.hidden };
  } finally {
    state.close();
  }
}

class Flattener {
  /** Paths an upper layer already decided: 'dir', or 'other' (file, symlink) which also hides what is below it. */
  private readonly seen = new Map<string, 'dir' | 'other'>();
  private readonly whiteouts = new Set<string>();
  private readonly opaque = new Set<string>();
  private readonly pendingWhiteouts: string[] = [];
  private readonly pendingOpaque: string[] = [];
  entries = 0;
  hidden = 0;
  private fd: number | undefined;

  constructor(fd: number, private readonly onWarning?: (message: string) => void) {
    this.fd = fd;
  }

  visit(item: TarItem): TarSink | undefined {
    if (item.path === '') return undefined;
    const slash = item.path.lastIndexOf('/');
    const parent = slash < 0 ? '' : item.path.slice(0, slash);
    const base = item.path.slice(slash + 1);
    if (base === OPAQUE) {
      this.pendingOpaque.push(parent);
      return undefined;
    }
    if (base.startsWith(WHITEOUT)) {
      this.pendingWhiteouts.push(parent === '' ? base.slice(WHITEOUT.length) : `${parent}/${base.slice(WHITEOUT.length)}`);
      return undefined;
    }
    if (this.isHidden(item.path)) {
      this.hidden++;
      return undefined;
    }
    const before = this.seen.get(item.path);
    if (before !== undefined) {
      if (before === 'dir' && item.kind === 'dir') return undefined;
      this.hidden++;
      return undefined;
    }
    this.seen.set(item.path, item.kind === 'dir' ? 'dir' : 'other');
    if (item.kind === 'symlink') {
      this.onWarning?.(`skipping ${quote(item.path)}: symlink to ${quote(item.linkpath ?? '')}`);
      return undefined;
    }
    this.entries++;
    this.write(encodeHeader({ path: item.path, type: item.kind === 'dir' ? 'dir' : 'file', mode: item.mode & 0o777, size: item.size }));
    if (item.kind === 'dir') return undefined;
    return {
      write: (chunk) => this.write(chunk),
      end: () => this.write(padding(item.size)),
    };
  }

  skipped(name: string, reason: string): void {
    this.onWarning?.(`skipping ${quote(name)}: ${reason}`);
  }

  /** Whiteouts and opaque markers of a layer hide only the layers below it. */
  endLayer(): void {
    for (const w of this.pendingWhiteouts.splice(0)) this.whiteouts.add(w);
    for (const o of this.pendingOpaque.splice(0)) this.opaque.add(o);
  }

  finish(): void {
    this.write(endOfArchive());
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Whited out itself or below a whiteout, below an opaque directory, or below an upper non-directory. */
  private isHidden(path: string): boolean {
    if (this.whiteouts.has(path)) return true;
    if (this.opaque.has('')) return true;
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      const up = path.slice(0, i);
      if (this.whiteouts.has(up) || this.opaque.has(up) || this.seen.get(up) === 'other') return true;
    }
    return false;
  }

  private write(buf: Buffer): void {
    for (let off = 0; off < buf.length; ) off += fs.writeSync(this.fd!, buf, off, buf.length - off);
  }
}
