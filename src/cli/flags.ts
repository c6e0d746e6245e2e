/**
 * The one table from library option names to CLI flags. Below src/cli/ a message names an option as
 * `name` (its library field, in backticks) and an error carries it in `context.option`; a library
 * caller reads `insecureRegistry`, a CLI user `--insecure-registry`. The flags are learnt from
 * commander's own options when the program is built (learnFlags); the few library options whose
 * name is not their flag's attribute name are listed here.
 */
import type { Command } from 'commander';

/** Library options whose flag has another name (the flag says size, the option says bytes). */
const ATTRIBUTE_OF: Record<string, string> = {
  maxManifestBytes: 'maxManifestSize',
  maxLayerBytes: 'maxLayerSize',
  maxPathBytes: 'maxPathLength',
  timeoutMs: 'timeout',
  keepNewerThanMs: 'keepNewerThan',
};

/** Flags spelt with their short form in messages (the same short in every command that has them). */
const SPELLING: Record<string, string> = {
  annotations: '-a/--annotations',
  username: '-u/--username',
};

/** Commander attribute name → long flag, for every option of the program and its commands. */
const learnt = new Map<string, string>();

/** Builds the whole program when the one learnt from has only some of the commands (a run of one command). */
let whole: (() => Command) | undefined;

/** Record the flags of `program` and its sub-commands (buildProgram calls it); `all` builds every command, for a name missing from them. */
export function learnFlags(program: Command, all?: () => Command): void {
  whole = all;
  for (const cmd of [program, ...program.commands]) {
    for (const o of cmd.options) {
      if (!o.negate && o.long !== undefined) learnt.set(o.attributeName(), o.long);
    }
  }
}

/** The long flag of a commander attribute, from any command: the first miss learns the commands not built. */
function learntFlag(attr: string): string | undefined {
  if (!learnt.has(attr) && whole !== undefined) {
    const build = whole;
    whole = undefined;
    learnFlags(build());
  }
  return learnt.get(attr);
}

/** The commander attribute for an option name; a nested one joins (`certificateGithubWorkflow.trigger` → `…WorkflowTrigger`). */
function attributeOf(option: string): string {
  const name = ATTRIBUTE_OF[option] ?? option;
  return name.replace(/\.([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** The CLI flag for a library option name: `maxLayerBytes` → `--max-layer-size`, `creds` → `--creds`. */
export function flagFor(option: string): string {
  const attr = attributeOf(option);
  return SPELLING[attr] ?? learntFlag(attr) ?? `--${attr.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** True when the option has a flag (before learnFlags ran, every name is taken for one). */
export function hasFlag(option: string): boolean {
  return learnt.size === 0 || learntFlag(attributeOf(option)) !== undefined;
}

/** Core messages name options as `name` (their library field); on the command line they are flags. */
export function withFlagNames(message: string): string {
  return message.replace(/`([a-z][A-Za-z]*(?:\.[a-z][A-Za-z]*)?)`/g, (m, name: string) => (hasFlag(name) ? flagFor(name) : m));
}

/** A verify `matched` entry (`certificateIdentity <san>`, `key <file>`) with its option as the flag. */
export function ruleWithFlag(rule: string): string {
  return rule.replace(/^([a-z][A-Za-z]*(?:\.[a-z][A-Za-z]*)?)(?= )/, (m, name: string) => (hasFlag(name) ? flagFor(name) : m));
}
