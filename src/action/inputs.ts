/**
 * The action's inputs (action.yml) → the ocipack command line: `INPUT_*` variables as the runner sets them,
 * `args` split like shell words, each common input mapped to the flag of the command it applies to.
 */
import { usageError } from '../core/errors.js';

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

