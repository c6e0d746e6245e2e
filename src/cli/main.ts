/** Entry point of the `ocipack` binary. */
import { writeSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULTS, VERSION } from '../core/defaults.js';
import { capBufferGarbage } from './memory.js';
import { prefetchUseCase } from './prefetch.js';

/** An argument that may name a loopback registry (earlyprobe.ts decides). */
const LOOPBACK_REF = /^oci:\/\/(localhost|127\.|\[)/i;

/** Commander's own exits that are not errors. */
const HELP_CODES = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

/** `help <unknown>` would print the top-level help and succeed; make it the unknown-command error instead. */
function rewriteHelp(program: Command, argv: string[]): string[] {
  const [node = '', script = '', first, second, ...rest] = argv;
  if (first !== 'help' || second === undefined || second.startsWith('-')) return argv;
  const known = program.commands.some((c) => c.name() === second || c.aliases().includes(second));
  return known ? argv : [node, script, second, ...rest];
}

/** flux's nouns after the verb (`flux push artifact …`, `flux list artifacts …`), dropped so a script that calls flux runs as written. */
const FLUX_NOUNS: Record<string, string> = { push: 'artifact', pull: 'artifact', tag: 'artifact', diff: 'artifact', build: 'artifact', list: 'artifacts' };

/** `ocipack push artifact oci://…` is `ocipack push oci://…` (issue 25: a flux drop-in edits nothing else in a script). */
export function dropFluxNoun(argv: string[]): string[] {
  const [node = '', script = '', verb, noun, ...rest] = argv;
  if (verb === undefined || noun === undefined || FLUX_NOUNS[verb] !== noun || rest.length === 0) return argv;
  return [node, script, verb, ...rest];
}

/** Resolves after one turn of the event loop (its I/O polled). */
function loopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One write to fd 1: creating process.stdout (a stream over a pipe or socket) would cost more than the rest. */
function printVersion(): void {
  try {
    writeSync(1, `${VERSION}\n`);
  } catch {
    process.stdout.write(`${VERSION}\n`);
  }
}

/** Run the CLI with `argv` and exit with the code SPEC §3 assigns. */
export async function main(argv: string[], name = 'ocipack'): Promise<void> {
  // `ocipack --version` needs nothing else: answered before commander and the command definitions
  // load (they are most of the start-up time; bench/). The output is commander's, byte for byte.
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-v')) {
    printVersion();
    return;
  }
  argv = dropFluxNoun(argv);
  capBufferGarbage();
  // A loopback registry's TLS probe starts first, so that its round trips overlap the loading below (earlyprobe.ts).
  // Loading modules runs as one chain of promise jobs that the event loop cannot interrupt: a turn of the loop
  // after starting the probe lets its connect leave, one after loading the program lets its TLS hello leave.
  const probing = argv.some((a) => LOOPBACK_REF.test(a)) && (await import('./earlyprobe.js')).startEarlyProbe(argv, process.env);
  if (probing) await loopTurn();
  let useCase = probing ? undefined : prefetchUseCase(argv);
  const { CommanderError, buildProgram, reportError, uiFor, tuneEngine } = await import('./app.js');
  if (probing) {
    await loopTurn();
    useCase = prefetchUseCase(argv);
  }
  // The use-case's modules are compiled before tuneEngine changes a V8 flag: a module compiled after that
  // change finds its compile cache rejected (~25 M instructions of a pull, measured).
  await useCase;
  tuneEngine();
  // `ocipack list … | head -1`: a closed stdout ends the run quietly instead of crashing on EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(Number(process.exitCode ?? 0));
    throw err;
  });
  // `ocipack push … 2>&1 | head -1`: a closed stderr loses the messages, not the run, which goes on and
  // cleans up after itself (an unhandled EPIPE would kill it before, leaving its temporary directory).
  process.stderr.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  });
  // `ocipack pull …` defines `pull` alone; help, `help …`, an unknown command and `completion` get every command.
  const program = buildProgram(name, argv);
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    process.exitCode = 2;
  } else {
    try {
      await program.parseAsync(rewriteHelp(program, argv));
    } catch (err) {
      if (err instanceof CommanderError) process.exitCode = HELP_CODES.has(err.code) ? 0 : 2;
      // A flag value rejected by its parser (`--max-layer-size lots`) is a usage error thrown before any action ran.
      else process.exitCode = reportError(uiFor(argv.includes('--no-color') ? { color: false } : {}, undefined), err, undefined, argv.includes('--debug'));
    }
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = code;
  // The run ends when its event loop does (every socket is closed by now), not by process.exit: that
  // stops the engine's worker threads while the heap still lives, and a background compile waiting
  // there for a collection hangs the process for good (nodejs/node#54918; a pull in a local run of the
  // test suite hung so, gdb showed). Whatever still holds the loop is cut short after a grace.
  setTimeout(() => process.exit(code), DEFAULTS.exitGraceMs).unref();
}
