/**
 * Helm chart packages: a chart directory packed the way `helm package` does (helm.sh/helm/v3
 * pkg/chart/loader/directory.go + pkg/chartutil/save.go) — files only, under `<name>/`, mode 0644,
 * `.helmignore` honoured, Chart.yaml first — but with our deterministic tar+gzip writer (mtime 0,
 * fixed gzip header) so the same chart gives the same digest; or an existing `.tgz` read for its
 * Chart.yaml (and its `.prov` sidecar, as `helm push` picks it up).
 */
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { fsError, hasErrCode, isMissing } from '../../core/errno.js';
import { OcipackError } from '../../core/errors.js';
import { parseChartYaml, type ChartMetadata } from './chart.js';
import { HELMIGNORE, HelmIgnore, parseHelmignore } from './ignore.js';
import { packEntriesToFile, type PackResult } from '../tar/pack.js';
import { readTar, type TarItem, type TarSink } from '../tar/read.js';
import { walk, type WalkEntry } from '../tar/walk.js';

export const CHART_YAML = 'Chart.yaml';
/** Helm writes these first, in this order (save.go writeTarContents). */
const FIRST = [CHART_YAML, 'Chart.lock', 'values.yaml', 'values.schema.json'];
const MAX_CHART_YAML = 1024 * 1024;

export interface ChartPackOptions {
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
  onProgress?: (bytesIn: number, totalIn: number) => void;
}

/** Reads and validates `<dir>/Chart.yaml` (no packing yet): BAD_INPUT when missing or invalid. */
export async function readChartDir(dir: string): Promise<ChartMetadata> {
  const file = path.join(dir, CHART_YAML);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (isMissing(err)) throw bad(`${dir} is not a Helm chart: it has no ${CHART_YAML}`);
    throw fsError(`cannot read ${file}`, err);
  }
  return parseChartYaml(text, path.join(path.basename(path.resolve(dir)), CHART_YAML));
}

/** Packs a chart directory into `outFile` as `<name>/…` entries; returns the metadata and digests. */
export async function packageChartDir(dir: string, outFile: string, opts: ChartPackOptions = {}): Promise<{ meta: ChartMetadata; packed: PackResult }> {
  const meta = await readChartDir(dir);
  const ignore = new HelmIgnore(parseHelmignore(await readOptional(path.join(dir, HELMIGNORE)) ?? ''));
  const walked = await walk({ path: dir, ignore, resolveSymlinks: true, ...walkExtras(opts) });
  const files = walked.filter((e) => e.type === 'file');
  if (!files.some((e) => e.path === CHART_YAML)) throw bad(`${HELMIGNORE} must not exclude ${CHART_YAML}`);
  await checkValues(files);
  const entries = helmOrder(files).map((e): WalkEntry => ({ ...e, path: `${meta.name}/${e.path}`, mode: 0o644 }));
  const packOpts: Parameters<typeof packEntriesToFile>[2] = {};
  if (opts.signal) packOpts.signal = opts.signal;
  if (opts.onProgress) packOpts.onProgress = opts.onProgress;
  return { meta, packed: await packEntriesToFile(entries, outFile, packOpts) };
}

function walkExtras(opts: ChartPackOptions): { signal?: AbortSignal; onWarning?: (m: string) => void } {
  const o: { signal?: AbortSignal; onWarning?: (m: string) => void } = {};
  if (opts.signal) o.signal = opts.signal;
  if (opts.onWarning) o.onWarning = opts.onWarning;
  return o;
}

/** Chart.yaml, Chart.lock, values.yaml, values.schema.json, then templates/, the rest, and charts/ last. */
export function helmOrder<T extends { path: string }>(files: T[]): T[] {
  const rank = (p: string): number => {
    const i = FIRST.indexOf(p);
    if (i >= 0) return i;
    if (p.startsWith('templates/')) return FIRST.length;
    return p.startsWith('charts/') ? FIRST.length + 2 : FIRST.length + 1;
  };
  return files
    .map((f, i) => ({ f, i, r: rank(f.path) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.f);
}

/** `helm package` refuses a values.yaml that is not YAML or a schema that is not JSON. */
async function checkValues(files: WalkEntry[]): Promise<void> {
  const values = files.find((e) => e.path === 'values.yaml');
  if (values) {
    const doc = parseDocument((await fsp.readFile(values.absPath, 'utf8')).replace(/^\uFEFF/, ''), { version: '1.1' });
    const err = doc.errors[0];
    if (err) throw bad(`values.yaml is not valid YAML: ${err.message.split('\n')[0]}`);
  }
  const schema = files.find((e) => e.path === 'values.schema.json');
  if (schema) {
    try {
      JSON.parse(await fsp.readFile(schema.absPath, 'utf8'));
    } catch {
      throw bad('values.schema.json is not valid JSON');
    }
  }
}

export interface ChartArchive {
  meta: ChartMetadata;
  /** The archive's single top-level directory (the chart name for `helm package` output). */
  topDir: string;
  /** Bytes of `<file>.prov`, when that file exists. */
  provenance?: Buffer;
  /** The archive's modification time (what `helm push` writes as the created annotation). */
  mtime: Date;
}

/** Reads a packaged chart (.tgz): its `<dir>/Chart.yaml`, validated, and the `.prov` beside it. */
export async function readChartArchive(file: string, opts: { signal?: AbortSignal } = {}): Promise<ChartArchive> {
  const st = await fsp.stat(file).catch((err: unknown) => {
    throw hasErrCode(err, 'ENOENT') ? new OcipackError('USAGE', `\`chart\` "${file}" does not exist`, { context: { option: 'chart' } }) : fsError(`cannot read ${file}`, err);
  });
  await checkGzip(file);
  const found = await findChartYaml(file, opts.signal);
  const meta = parseChartYaml(found.text, `${path.basename(file)}: ${found.topDir}/${CHART_YAML}`);
  const out: ChartArchive = { meta, topDir: found.topDir, mtime: st.mtime };
  const prov = await readOptionalBytes(`${file}.prov`);
  if (prov) out.provenance = prov;
  return out;
}

async function checkGzip(file: string): Promise<void> {
  const fh = await fsp.open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    if (bytesRead < 2 || head[0] !== 0x1f || head[1] !== 0x8b) throw bad(`${path.basename(file)} is not a gzip-compressed chart archive (.tgz)`);
  } finally {
    await fh.close();
  }
}

/** Scans the archive for the top directory and its Chart.yaml (Helm loads `<top>/Chart.yaml`). */
async function findChartYaml(file: string, signal?: AbortSignal): Promise<{ topDir: string; text: string }> {
  let topDir: string | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  const visit = (item: TarItem): TarSink | undefined => {
    const parts = item.path.split('/');
    topDir ??= parts[0];
    if (item.kind !== 'file' || parts.length !== 2 || parts[1] !== CHART_YAML || parts[0] !== topDir || chunks) return undefined;
    chunks = [];
    const own = chunks;
    return {
      write(c) {
        size += c.length;
        if (size > MAX_CHART_YAML) throw bad(`${CHART_YAML} in ${path.basename(file)} is larger than 1 MiB`);
        own.push(c);
      },
      end() {},
    };
  };
  const readOpts: Parameters<typeof readTar>[2] = { allowSpecial: true };
  if (signal) readOpts.signal = signal;
  await readTar(createReadStream(file), visit, readOpts);
  if (topDir === undefined || topDir === '' || !chunks) throw bad(`${path.basename(file)} has no ${CHART_YAML} in its top-level directory`);
  return { topDir, text: Buffer.concat(chunks).toString('utf8') };
}

async function readOptional(file: string): Promise<string | undefined> {
  return (await readOptionalBytes(file))?.toString('utf8');
}

async function readOptionalBytes(file: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(file);
  } catch (err) {
    if (hasErrCode(err, 'ENOENT')) return undefined;
    throw fsError(`cannot read ${file}`, err);
  }
}

function bad(message: string): OcipackError {
  return new OcipackError('BAD_INPUT', message);
}
