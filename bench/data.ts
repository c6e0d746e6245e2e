/**
 * Deterministic benchmark data: the same trees, byte for byte, on every machine. Text is YAML-like
 * Kubernetes manifests built from a seeded PRNG; "binary" is AES-128-CTR keystream (incompressible,
 * fast to make, fixed key). A marker file records what was generated so reruns reuse the trees.
 */
import { createCipheriv } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeSpec {
  name: string;
  /** Bytes of YAML-like text, spread over `textFiles` files. */
  textBytes: number;
  textFiles: number;
  /** Bytes of incompressible data, spread over `binaryFiles` files. */
  binaryBytes: number;
  binaryFiles: number;
  /** Files per directory before a new directory is started. */
  perDir: number;
}

const MiB = 1024 * 1024;
const GENERATOR_VERSION = 1;

/** The trees issue 16 asks for: ~200 MiB mixed, ~2 GiB mixed (opt-in, --2g), 20 000 small files. */
export const TREES: Record<'mixed200' | 'mixed2g' | 'small20k', TreeSpec> = {
  mixed200: { name: 'mixed-200MiB', textBytes: 160 * MiB, textFiles: 2000, binaryBytes: 40 * MiB, binaryFiles: 8, perDir: 100 },
  mixed2g: { name: 'mixed-2GiB', textBytes: 1640 * MiB, textFiles: 16_000, binaryBytes: 408 * MiB, binaryFiles: 40, perDir: 200 },
  small20k: { name: 'small-20k', textBytes: 40 * MiB, textFiles: 20_000, binaryBytes: 0, binaryFiles: 0, perDir: 250 },
};

/** `--quick`: the same shapes, a tenth (or less) of the size, so the whole bench smoke-runs in minutes. */
export const QUICK_TREES: typeof TREES = {
  mixed200: { name: 'quick-mixed-20MiB', textBytes: 16 * MiB, textFiles: 200, binaryBytes: 4 * MiB, binaryFiles: 2, perDir: 100 },
  mixed2g: { name: 'quick-mixed-60MiB', textBytes: 48 * MiB, textFiles: 480, binaryBytes: 12 * MiB, binaryFiles: 4, perDir: 200 },
  small20k: { name: 'quick-small-2k', textBytes: 4 * MiB, textFiles: 2000, binaryBytes: 0, binaryFiles: 0, perDir: 250 },
};

/** A small, fast, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['frontend', 'backend', 'payments', 'orders', 'gateway', 'ingress', 'metrics', 'worker', 'cache',
  'search', 'auth', 'billing', 'catalog', 'inventory', 'notifier', 'scheduler', 'reports', 'profile', 'media', 'audit'];
const KINDS = ['Deployment', 'Service', 'ConfigMap', 'HorizontalPodAutoscaler', 'Ingress', 'ServiceAccount'];

/** One YAML-like Kubernetes document, a few hundred bytes to a few KiB. */
function yamlDoc(rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const app = `${pick(WORDS)}-${pick(WORDS)}`;
  const lines = [
    'apiVersion: apps/v1', `kind: ${pick(KINDS)}`, 'metadata:', `  name: ${app}`,
    `  namespace: ${pick(WORDS)}`, '  labels:', `    app.kubernetes.io/name: ${app}`,
    `    app.kubernetes.io/version: "${Math.floor(rnd() * 20)}.${Math.floor(rnd() * 50)}.${Math.floor(rnd() * 100)}"`,
    'spec:', `  replicas: ${1 + Math.floor(rnd() * 9)}`, '  template:', '    spec:', '      containers:',
  ];
  const containers = 1 + Math.floor(rnd() * 3);
  for (let c = 0; c < containers; c++) {
    lines.push(`      - name: ${pick(WORDS)}`, `        image: registry.example.com/${app}:${Math.floor(rnd() * 1e8).toString(16)}`,
      '        env:');
    const envs = 2 + Math.floor(rnd() * 8);
    for (let e = 0; e < envs; e++) {
      lines.push(`        - name: ${pick(WORDS).toUpperCase()}_${pick(WORDS).toUpperCase()}`,
        `          value: "${Math.floor(rnd() * 1e12).toString(36)}"`);
    }
    lines.push('        resources:', `          limits: {cpu: ${50 + Math.floor(rnd() * 950)}m, memory: ${64 * (1 + Math.floor(rnd() * 16))}Mi}`);
  }
  return `${lines.join('\n')}\n---\n`;
}

/** `size` bytes of YAML-like text from the PRNG. */
export function yamlBytes(rnd: () => number, size: number): Buffer {
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    const doc = yamlDoc(rnd);
    parts.push(doc);
    len += doc.length;
  }
  return Buffer.from(parts.join(''), 'latin1').subarray(0, size);
}

/** `size` incompressible bytes, fixed by `seed`. */
export function binaryBytes(seed: number, size: number): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return cipher.update(Buffer.alloc(size));
}

/** Sizes of `files` files adding up to `total`, varied but fixed by the seed. */
function fileSizes(rnd: () => number, total: number, files: number): number[] {
  if (files === 0) return [];
  const weights = Array.from({ length: files }, () => 0.2 + rnd() * 1.8);
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.floor((w / sum) * total));
  sizes[0]! += total - sizes.reduce((a, b) => a + b, 0);
  return sizes;
}

/** Write `spec` under `root` unless a marker says the same tree is already there; returns its path. */
export async function ensureTree(base: string, spec: TreeSpec): Promise<string> {
  const root = join(base, spec.name);
  const marker = join(base, `${spec.name}.done`);
  const want = JSON.stringify({ v: GENERATOR_VERSION, spec });
  if ((await readFile(marker, 'utf8').catch(() => '')) === want) return root;
  await rm(root, { recursive: true, force: true });
  const rnd = prng(0x0c1 + spec.textFiles);
  let n = 0;
  const dirOf = async (i: number) => {
    const dir = join(root, `d${String(Math.floor(i / spec.perDir)).padStart(3, '0')}`);
    if (i % spec.perDir === 0) await mkdir(dir, { recursive: true });
    return dir;
  };
  for (const size of fileSizes(rnd, spec.textBytes, spec.textFiles)) {
    await writeFile(join(await dirOf(n), `m${String(n).padStart(5, '0')}.yaml`), yamlBytes(rnd, size));
    n++;
  }
  const bins = join(root, 'bin');
  if (spec.binaryFiles > 0) await mkdir(bins, { recursive: true });
  for (const [i, size] of fileSizes(rnd, spec.binaryBytes, spec.binaryFiles).entries()) {
    await writeFile(join(bins, `blob${i}.bin`), binaryBytes(i + 1, size));
  }
  await writeFile(marker, want);
  return root;
}
