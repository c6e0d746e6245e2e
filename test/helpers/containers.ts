/**
 * buildah and podman (Debian packages; root, no daemon) with a private storage root per test file, so
 * tests never touch the machine's image store and can run side by side. They build real images
 * (one layer per `buildah commit` of a container made `from` the previous image) and write OCI
 * layouts (`podman save --format oci-dir`) whose ref names are full references.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** A storage root for buildah and podman, removed by `close()`. */
export interface Containers {
  /** Build `name` from `base` (or scratch) plus one layer holding `files` (container path → host path). */
  layer(name: string, base: string | undefined, files: Record<string, string>): Promise<void>;
  /** `podman save --format oci-dir` of `name` into `dir`. */
  saveOciDir(name: string, dir: string): Promise<void>;
  close(): Promise<void>;
}

/** Start a private storage root; fails with the package to install when a tool is missing. */
export async function containers(): Promise<Containers> {
  // short: podman refuses a run root of over 50 characters
  const root = await mkdtemp(join(tmpdir(), 'ocipack-ctr-'));
  const storage = ['--root', join(root, 'root'), '--runroot', join(root, 'run'), '--storage-driver', 'vfs'];
  const run = async (tool: 'buildah' | 'podman', args: string[]): Promise<string> => {
    try {
      return (await exec(tool, [...storage, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new Error(`${tool} not found: install the Debian package "${tool}"`);
      throw new Error(`${tool} ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
    }
  };
  return {
    async layer(name, base, files) {
      const c = await run('buildah', ['from', base ?? 'scratch']);
      try {
        for (const [dest, src] of Object.entries(files)) await run('buildah', ['copy', c, src, dest]);
        await run('buildah', ['commit', '-q', c, name]);
      } finally {
        await run('buildah', ['rm', c]);
      }
    },
    async saveOciDir(name, dir) {
      await run('podman', ['save', '--format', 'oci-dir', '-o', dir, name]);
    },
    async close() {
      await exec('buildah', [...storage, 'rm', '--all']).catch(() => undefined);
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
