/** Wraps a command action: builds the Ui, wires Ctrl-C to an AbortSignal (--timeout is armed by the use-case's connect()), maps errors to exit codes. */
import { constants as osConstants } from 'node:os';
import type { Command } from 'commander';
import { OcipackError } from '../core/errors.js';
import { exitCodeFor } from './errors.js';
import { withFlagNames } from './flags.js';
import { hintFor } from './hints.js';
import type { CommonOptions } from '../core/options.js';
import { commonOptions, type GlobalFlags } from './common.js';
import { Ui } from './ui.js';
import { Annotator } from './annotations.js';
import { ciTargets, observeFacts, writeCiOutputs, type CiFacts } from './ci-outputs.js';
import { FindingsError } from '../core/findings.js';

export interface ActionContext<F> {
  ui: Ui;
  flags: GlobalFlags & F;
  common: CommonOptions;
  args: string[];
}

type Env = Record<string, string | undefined>;

/** Colour only on a TTY, never with NO_COLOR or --no-color; FORCE_COLOR forces it (chalk's rules). */
export function wantsColor(flags: Pick<GlobalFlags, 'color'>, env: Env, isTTY: boolean): boolean {
  if (flags.color === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

/** An animated spinner only on an interactive terminal that can move the cursor. */
export function wantsProgress(env: Env, isTTY: boolean): boolean {
  return isTTY && env.TERM !== 'dumb';
}

/** The Ui for a run from the merged flags (also used for errors before any command ran). */
export function uiFor(flags: GlobalFlags, command: string | undefined, env: Env = process.env): Ui {
  const tty = process.stderr.isTTY === true;
  return new Ui({
    quiet: flags.quiet ?? false,
    verbose: (flags.verbose ?? false) || (flags.debug ?? false),
    debug: flags.debug ?? false,
    color: wantsColor(flags, env, tty),
    progress: wantsProgress(env, tty),
    ...(command === undefined ? {} : { command }),
    ...ciAnnotator(flags, env),
  });
}

/** On GitHub Actions, unless --no-ci-outputs: the annotator that turns warnings and errors into workflow commands. */
function ciAnnotator(flags: GlobalFlags, env: Env): { annotator?: Annotator } {
  const annotator = flags.ciOutputs === false ? undefined : Annotator.forEnv(env, process.cwd());
  return annotator === undefined ? {} : { annotator };
}

/** Build a commander action handler that runs `fn` and sets the process exit code (SPEC §3). */
export function action<F>(fn: (ctx: ActionContext<F>) => Promise<number | void>) {
  return async (...argv: unknown[]): Promise<void> => {
    const cmd = argv[argv.length - 1] as Command;
    const flags = cmd.optsWithGlobals() as GlobalFlags & F;
    const ui = uiFor(flags, cmd.name());
    const controller = new AbortController();
    const interrupt = onInterrupt(controller);
    let code = 0;
    try {
      await ui.init();
      const common = commonOptions(flags, ui, controller.signal);
      const ci = ciTargets(process.env, flags);
      const facts: CiFacts = {};
      if (ci) common.onEvent = observeFacts(facts, common.onEvent);
      code = (await fn({ ui, flags, common, args: cmd.args })) ?? 0;
      if (code === 0 && ci) await writeCiOutputs(cmd.name(), ui.result, facts, ci, isLayout(flags));
    } catch (err) {
      code = reportError(ui, err, controller.signal, flags.debug ?? false);
    } finally {
      ui.close();
      interrupt.dispose();
    }
    // Interrupted runs exit as shells expect (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP), after cleanup.
    process.exitCode = interrupt.signal === undefined ? code : 128 + (osConstants.signals[interrupt.signal] ?? 0);
  };
}

/** True when the command's artifact is in an OCI layout directory (its url has no `oci://`). */
function isLayout(flags: object): boolean {
  const f = flags as { ociLayout?: boolean; toOciLayout?: boolean };
  return f.ociLayout === true || f.toOciLayout === true;
}

/** The signals that stop a run: the same abort and cleanup on a terminal and in a pipe. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Turns SIGINT/SIGTERM/SIGHUP into an abort of the run, for the whole run. The handlers are `on`, not
 * `once`: ora's cursor restore loads signal-exit, which re-raises a signal (killing the process before any
 * cleanup) when it finds itself the only listener left, as it did after a `once` handler had fired.
 * A second signal while cleaning up exits at once.
 */
export function onInterrupt(controller: AbortController): { readonly signal: NodeJS.Signals | undefined; dispose(): void } {
  let first: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals): void => {
    if (first !== undefined) process.exit(128 + (osConstants.signals[first] ?? 0));
    first = sig;
    controller.abort(new OcipackError('CANCELLED', `interrupted by ${sig}`));
  };
  for (const sig of STOP_SIGNALS) process.on(sig, handler);
  return {
    get signal() {
      return first;
    },
    dispose() {
      for (const sig of STOP_SIGNALS) process.off(sig, handler);
    },
  };
}

/** The one line for an error: `<what failed>: <why>`; input errors already name what was wrong. */
export function errorLine(err: unknown, command: string | undefined): { message: string; hint?: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  const why = withFlagNames((e.message.split('\n')[0] ?? '').trim() || e.name);
  const code = e instanceof OcipackError ? e.code : undefined;
  const hint = hintFor(e);
  const isInput = code === 'USAGE' || code === 'BAD_INPUT';
  const saysWhat = /^[^:]*\bfailed\b/.test(why);
  const message = isInput || saysWhat || command === undefined ? why : `${command} failed: ${why}`;
  return hint === undefined ? { message } : { message, hint };
}

/** Print one `✗` line (plus hint) for an error and return its exit code; stack traces only with --debug. */
export function reportError(ui: Ui, err: unknown, signal: AbortSignal | undefined, debug: boolean): number {
  // A cancelled operation surfaces as whatever the aborted I/O threw; the signal's reason says why.
  const e = signal?.aborted && signal.reason instanceof OcipackError && !(err instanceof OcipackError && err.code !== 'NETWORK' && err.code !== 'CANCELLED') ? signal.reason : err;
  const { message, hint } = errorLine(e, ui.opts.command);
  // A refused push points at each file it refused (an annotation each, on GitHub Actions).
  if (e instanceof FindingsError) for (const f of e.findings) ui.annotate('error', withFlagNames(`${f.message}; \`allowSecrets\` pushes it anyway`), f.file === undefined ? {} : { file: f.file, ...(f.line === undefined ? {} : { line: f.line }) });
  ui.error(message, hint, e instanceof FindingsError ? false : undefined);
  if (debug && e instanceof Error && e.stack) ui.raw(e.stack);
  return exitCodeFor(e);
}
