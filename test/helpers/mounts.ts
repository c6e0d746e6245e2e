/**
 * Real mount points for tests of what containers do to a pull (SPEC §5): a tmpfs mounted on a
 * directory (a Docker volume, a Kubernetes emptyDir), a read-only bind mount (readOnlyRootFilesystem),
 * and a command run as an unprivileged user (a non-root user under a root-owned directory). Each needs
 * root; `whyNot` says why a test must skip.
 */
import { spawnSync } from 'node:child_process';

/** Mounts made by this process, newest last, so `unmountAll` can undo them in reverse. */
const mounted: string[] = [];

function mount(args: string[], at: string): string | undefined {
  const r = spawnSync('mount', [...args, at], { encoding: 'utf8' });
  if (r.status !== 0) return `mount ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`;
  mounted.push(at);
  return undefined;
}

/** Why mounts cannot be made here (not root), or undefined when they can. */
export function whyNot(): string | undefined {
  return process.getuid?.() === 0 ? undefined : 'mounting a tmpfs needs root';
}

/** Mounts a tmpfs (`size`, e.g. "1m") on `dir`; returns a reason to skip when it failed. */
export function mountTmpfs(dir: string, size = '64m'): string | undefined {
  return whyNot() ?? mount(['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs'], dir);
}

/** Bind-mounts `from` on `dir` (same filesystem, another mount); returns a reason to skip when it failed. */
export function bindMount(from: string, dir: string): string | undefined {
  return whyNot() ?? mount(['--bind', from], dir);
}

/** Makes the mount at `dir` read-only (a bind mount of it first when it is not a mount point yet). */
export function makeReadOnly(dir: string): string | undefined {
  return bindMount(dir, dir) ?? remount(dir);
}

function remount(dir: string): string | undefined {
  const r = spawnSync('mount', ['-o', 'remount,ro,bind', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `read-only remount failed: ${r.stderr.trim()}`;
}

/** Unmounts everything this process mounted, newest first. */
export function unmountAll(): void {
  while (mounted.length > 0) spawnSync('umount', [mounted.pop()!]);
}

/** `setpriv` arguments that run a command as nobody (uid/gid 65534), or a reason to skip. */
export function asNobody(): { prefix: string[] } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'switching to an unprivileged user needs root' };
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', 'process.exit(process.getuid() === 65534 ? 0 : 1)']);
  if (r.status !== 0) return { skip: 'setpriv cannot run node as uid 65534 here' };
  return { prefix: ['--reuid=65534', '--regid=65534', '--clear-groups'] };
}
