/** The commander program: global flags, one sub-command per file, usage errors as exit 2. */
import { Command, Help, Option } from 'commander';
import { VERSION } from '../core/defaults.js';
import { COMMANDS, type CommandEntry } from './commands/index.js';
import { collect } from './common.js';
import { learnFlags } from './flags.js';
import { OUTPUT_COMMANDS } from './ci-results.js';

const EXIT_CODES = `Exit codes:
  0  success
  1  the operation failed (network, registry, I/O)
  2  usage error or bad input
  3  verification failed (digest or signature)
  diff follows diff(1): 0 same, 1 different, 2 trouble`;

const PROGRAM_EXAMPLES = `
Example:
  ocipack push oci://ghcr.io/org/app-manifests:v1.0.0 --path ./deploy
  ocipack pull oci://ghcr.io/org/app-manifests:v1.0.0 --output ./deploy
  npx ocipack list oci://ghcr.io/org/app-manifests

Run \`ocipack <command> --help\` for a command's flags and examples.

${EXIT_CODES}`;

/** Commands that do no work (print something fixed): their help leaves out the flags about doing it. */
const NO_WORK = new Set(['completion', 'version']);
/** Commands that never contact a registry: their help leaves out the registry flags. */
const OFFLINE = new Set(['build', 'generate-key-pair', 'logout', ...NO_WORK]);
/** Global flags about reaching a registry (commander's attribute names). */
const REGISTRY_FLAGS = new Set(['creds', 'provider', 'credsFor', 'insecureRegistry', 'caFile']);
/** Global flags that mean nothing to a command that does no work. */
const WORK_FLAGS = new Set(['timeout', 'verbose', 'debug', 'ciOutputs']);

/** The global flags a command's --help lists: those that change what it does. */
function appliesTo(command: string, option: Option): boolean {
  const name = option.attributeName();
  if (REGISTRY_FLAGS.has(name)) return !OFFLINE.has(command);
  if (WORK_FLAGS.has(name)) return !NO_WORK.has(command);
  if (name === 'dotenv') return OUTPUT_COMMANDS.has(command);
  return true;
}

/** Usage errors print `✗ <message>` (commander's "Did you mean …?" included) and a pointer to the help. */
function errorsFlux(cmd: Command, helpHint: string): Command {
  return cmd
    .exitOverride()
    .showSuggestionAfterError(true)
    .showHelpAfterError(`  hint: ${helpHint}`)
    .configureOutput({
      outputError: (str, write) => write(`✗ ${str.replace(/^error: /, '').trimEnd()}\n`),
    });
}

/** Commands whose run reads the whole program (`completion` lists every command): never built alone. */
const NEEDS_ALL = new Set(['completion']);

/**
 * The sub-commands a run of `argv` can see. A run of one known command needs only its own (defining the
 * others with their options cost 17 M instructions of every start, issue 26); anything else gets every command: no
 * command, top-level help, `help [command]`, an unknown name (commander suggests from the full list),
 * `completion`, global flags before the command.
 */
export function commandsFor(argv: readonly string[]): CommandEntry[] {
  const first = argv[2];
  if (first === undefined || NEEDS_ALL.has(first)) return COMMANDS;
  const entry = COMMANDS.find((c) => c.name === first || c.aliases?.includes(first));
  return entry === undefined ? COMMANDS : [entry];
}

/** Build the `ocipack` program: every sub-command, or with `argv` only those its run can see (commandsFor). */
export function buildProgram(name = 'ocipack', argv?: readonly string[]): Command {
  const program = new Command(name)
    .description('Pack directories into OCI artifacts and push, pull, tag, list, diff, sign and verify them (a Node drop-in for flux push|pull artifact).')
    .version(VERSION, '-v, --version', 'print the version')
    .option('--creds <user:pass|token>', 'credentials for the registry (a value without ":" is a bearer token); every registry of the run')
    .option('--provider <name>', 'credentials from a cloud\'s own chain: generic (default), aws (ECR), azure (ACR), gcp (GAR/GCR), as flux spells it', 'generic')
    .option('--creds-for <host=user:pass>', 'credentials for one registry only, repeatable (e.g. copy between two private registries)', collect)
    .option('--insecure-registry', 'allow plain HTTP or HTTPS without certificate checks')
    .option('--ca-file <pem>', 'trust the CA certificates in this PEM file for this run')
    .option('--timeout <duration>', 'deadline for the whole operation', '5m')
    .option('--verbose', 'print more detail')
    .option('--debug', 'print a redacted HTTP trace and stack traces')
    .option('-q, --quiet', 'print nothing on success')
    .option('--no-color', 'never colour the output (NO_COLOR is honoured too)')
    .addOption(new Option('--format <format>', 'machine output on stdout').choices(['json', 'yaml']))
    .option('--dotenv <file>', 'after push/pull/tag/copy/sign: write OCIPACK_DIGEST, OCIPACK_REF, OCIPACK_URL to this file (GitLab artifacts:reports:dotenv; default $OCIPACK_DOTENV)')
    .option('--no-ci-outputs', 'write no CI job outputs ($GITHUB_OUTPUT), step summary ($GITHUB_STEP_SUMMARY), dotenv file or GitHub annotations')
    .addHelpText('after', PROGRAM_EXAMPLES);
  errorsFlux(program, `run \`${name} --help\` for the list of commands`);
  const entries = argv === undefined ? COMMANDS : commandsFor(argv);
  for (const { define } of entries) {
    const cmd = define(program);
    // A command's --help lists the global flags that apply to it too (--creds, --timeout, --format, …).
    cmd.configureHelp({
      ...cmd.configureHelp(),
      showGlobalOptions: true,
      visibleGlobalOptions(this: Help, c: Command): Option[] {
        return Help.prototype.visibleGlobalOptions.call(this, c).filter((o) => appliesTo(c.name(), o));
      },
    });
    errorsFlux(cmd, `run \`${name} ${cmd.name()} --help\` for usage and examples`);
  }
  // A message may name an option of a command not built: the flag table then learns them all, on that first miss.
  learnFlags(program, entries === COMMANDS ? undefined : () => buildProgram(name));
  return program;
}
