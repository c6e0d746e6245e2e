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
import { buildProgram } from '../cli/program.js';
import { reportError, uiFor } from '../cli/run.js';

type Env = Record<string, string | undefined>;

/** The action's inputs (action.yml), as the runner passes them: `INPUT_<NAME>` with the name upper-cased, hyphens kept. */
export interface ActionInputs {
  command: string;
  args: string[];
  path?: string;
  ref?: string;
  source?: string;
  revision?: string;
  signKeyless: boolean;
  provenance: boolean;
}

/** An input's value, trimmed as @actions/core's getInput does; '' when not given. */
function input(env: Env, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/** A boolean input: YAML 1.2's true/false spellings, as @actions/core's getBooleanInput accepts them. */
function booleanInput(env: Env, name: string): boolean {
  const v = input(env, name);
  if (v === '' || v === 'false' || v === 'False' || v === 'FALSE') return false;
  if (v === 'true' || v === 'True' || v === 'TRUE') return true;
  throw usageError(`input ${name} must be true or false, got "${v}"`);
}

/**
 * `args` split as a shell would split words, without expanding anything: whitespace (line breaks
 * included, for a `|` block) separates, single quotes keep text as is, double quotes allow `\"` and `\\`.
 */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1] ?? '';
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (next === '"' || next === '\\')) word += text[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (c === '"' || c === "'") quote = c;
      else if (c === '\\' && next !== '') word += text[++i];
      else word += c;
    }
  }
  if (quote !== undefined) throw usageError(`input args has an unclosed ${quote}`);
  if (inWord) out.push(word);
  return out;
}

/** The inputs from the environment the runner (or @github/local-action) set. */
export function inputsOf(env: Env): ActionInputs {
  const opt = (name: string): string | undefined => input(env, name) || undefined;
  const i: ActionInputs = { command: input(env, 'command') || 'push', args: splitArgs(input(env, 'args')), signKeyless: booleanInput(env, 'sign-keyless'), provenance: booleanInput(env, 'provenance') };
  for (const [key, name] of [['path', 'path'], ['ref', 'ref'], ['source', 'source'], ['revision', 'revision']] as const) {
    const v = opt(name);
    if (v !== undefined) i[key] = v;
  }
  return i;
}

/** The flag each input becomes for a command; an input a command has no use for is a usage error, never ignored. */
function flagsFor(i: ActionInputs): string[] {
  const out: string[] = [];
  const refuse = (name: string): never => {
    throw usageError(`input ${name} does not apply to the ${i.command} command`);
  };
  if (i.path !== undefined) {
    if (['push', 'build', 'diff'].includes(i.command)) out.push('--path', i.path);
    else if (i.command === 'pull') out.push('--output', i.path);
    else refuse('path');
  }
  for (const [name, value] of [['source', i.source], ['revision', i.revision]] as const) {
    if (value === undefined) continue;
    if (i.command !== 'push') refuse(name);
    out.push(`--${name}`, value);
  }
  if (i.signKeyless) {
    if (i.command === 'push') out.push('--sign-keyless');
    else if (i.command === 'sign' || i.command === 'attest') out.push('--keyless');
    else refuse('sign-keyless');
  }
  if (i.provenance) {
    if (i.command !== 'push') refuse('provenance');
    out.push('--provenance');
  }
  return out;
}

/** The command line (after the program name) for the inputs: command, `ref`, the mapped inputs, then `args`. */
export function argvFor(i: ActionInputs): string[] {
  return [i.command, ...(i.ref === undefined ? [] : [i.ref]), ...flagsFor(i), ...i.args];
}

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
