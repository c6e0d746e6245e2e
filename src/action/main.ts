/**
 * The GitHub Action (action.yml at the repository root, issue 28 §1): ocipack run in the runner's own
 * Node, in this process: no download, no container, no child process. The inputs become the command
 * line of the same commander program the CLI runs (so `args` takes every flag the CLI documents), and
 * the CLI's CI outputs write `digest`, `ref` and `url` to $GITHUB_OUTPUT and a table to the step summary.
 * `npm run build` bundles this file with every dependency into action/main.js (committed: an action runs
 * from the repository without `npm install`); action/index.js calls `run()`.
 */
import { CommanderError } from 'commander';
import { usageError } from '../core/errors.js';
import { argvFor, inputsOf } from './inputs.js';
import { buildProgram } from '../cli/program.js';
import { reportError, uiFor } from '../cli/run.js';

type Env = Record<string, string | undefined>;

/** Every flag `argv` uses must be one this build of ocipack has (`--sign-keyless` needs a version with keyless signing). */
function checkFlags(program: ReturnType<typeof buildProgram>, argv: string[]): void {
  const cmd = program.commands.find((c) => c.name() === argv[0]);
  if (cmd === undefined) throw usageError(`input command: unknown command "${argv[0] ?? ''}"; run ocipack --help for the list`);
  const known = new Set([...cmd.options, ...program.options].flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined));
  for (const flag of argv.slice(1, argv.length)) {
    if (/^--(sign-keyless|keyless|provenance)$/.test(flag) && !known.has(flag)) throw usageError(`this version of ocipack has no ${flag} for ${argv[0]}`);
  }
}

/** The action: inputs → the ocipack command, run here; the exit code goes to `process.exitCode` (a failed step). */
export async function run(env: Env = process.env): Promise<void> {
  const program = buildProgram('ocipack');
  try {
    // The runner starts an action in the workspace; so does this (for @github/local-action), so relative paths mean the same.
    if (env.GITHUB_WORKSPACE) process.chdir(env.GITHUB_WORKSPACE);
    const argv = argvFor(inputsOf(env));
    checkFlags(program, argv);
    await program.parseAsync(['node', 'ocipack', ...argv]);
  } catch (err) {
    // A usage error commander caught printed its own line; anything else gets the CLI's one line (and ::error::).
    if (err instanceof CommanderError) process.exitCode = err.code === 'commander.helpDisplayed' ? 0 : 2;
    else process.exitCode = reportError(uiFor({}, undefined, env), err, undefined, false);
  }
}
