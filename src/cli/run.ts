/** Wraps a command action: builds the Ui, wires Ctrl-C and --timeout to an AbortSignal, maps errors to exit codes. */
import type { Command } from 'commander';
import { exitCodeFor, OcipackError } from '../errors.js';
import type { CommonOptions } from '../options.js';
import { commonOptions, parseDuration, type GlobalFlags } from './common.js';
import { Ui } from './ui.js';
import { DEFAULTS } from '../defaults.js';

export interface ActionContext<F> {
  ui: Ui;
  flags: GlobalFlags & F;
  common: CommonOptions;
  args: string[];
}

/** Colour only on a TTY, never with NO_COLOR or --no-color; FORCE_COLOR forces it. */
export function wantsColor(flags: GlobalFlags, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (flags.color === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return isTTY && env.TERM !== 'dumb';
}

/** Build a commander action handler that runs `fn` and sets the process exit code (SPEC §3). */
export function action<F>(fn: (ctx: ActionContext<F>) => Promise<number | void>) {
  return async (...argv: unknown[]): Promise<void> => {
    const cmd = argv[argv.length - 1] as Command;
    const flags = cmd.optsWithGlobals() as GlobalFlags & F;
    const ui = new Ui({
      quiet: flags.quiet ?? false,
      verbose: (flags.verbose ?? false) || (flags.debug ?? false),
      debug: flags.debug ?? false,
      color: wantsColor(flags, process.env, process.stderr.isTTY === true),
    });
    const controller = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => controller.abort(new OcipackError('CANCELLED', `interrupted by ${sig}`));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let timer: NodeJS.Timeout | undefined;
    let code = 0;
    try {
      await ui.init();
      const timeoutMs = flags.timeout ? parseDuration(flags.timeout) : DEFAULTS.timeoutMs;
      timer = setTimeout(() => controller.abort(new OcipackError('CANCELLED', `timed out after ${flags.timeout ?? '5m'}`, { hint: 'raise it with --timeout' })), timeoutMs);
      timer.unref();
      const common = commonOptions(flags, ui, controller.signal);
      code = (await fn({ ui, flags, common, args: cmd.args })) ?? 0;
    } catch (err) {
      code = reportError(ui, err, controller.signal, flags.debug ?? false);
    } finally {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      ui.close();
    }
    process.exitCode = code;
  };
}

/** Print one `✗` line (plus hint) for an error and return its exit code; stacks only with --debug. */
export function reportError(ui: Ui, err: unknown, signal: AbortSignal | undefined, debug: boolean): number {
  const e = signal?.aborted && signal.reason instanceof OcipackError && !(err instanceof OcipackError && err.code !== 'NETWORK') ? signal.reason : err;
  if (e instanceof OcipackError) {
    ui.error(e.message, e.hint);
  } else {
    const msg = e instanceof Error ? e.message : String(e);
    ui.error(msg.split('\n')[0] ?? msg);
  }
  if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return exitCodeFor(e);
}
