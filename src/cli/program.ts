/** The commander program: global flags, one sub-command per file, usage errors as exit 2. */
import { Command, Option } from 'commander';
import { VERSION } from '../defaults.js';
import { COMMANDS } from './commands/index.js';

/** Build the `ocipack` program with every sub-command registered. */
export function buildProgram(): Command {
  const program = new Command('ocipack')
    .description('Pack directories into OCI artifacts and push, pull, tag, list, diff, sign and verify them (a Node drop-in for flux push|pull artifact).')
    .version(VERSION, '-v, --version', 'print the version')
    .option('--creds <user:pass|token>', 'credentials for the registry (a value without ":" is a bearer token)')
    .option('--insecure-registry', 'allow plain HTTP or HTTPS without certificate checks')
    .option('--ca-file <pem>', 'trust the CA certificates in this PEM file for this run')
    .option('--timeout <duration>', 'deadline for the whole operation', '5m')
    .option('--verbose', 'print more detail')
    .option('--debug', 'print a redacted HTTP trace and stack traces')
    .option('--quiet', 'print nothing on success')
    .option('--no-color', 'never colour the output (NO_COLOR is honoured too)')
    .addOption(new Option('--format <format>', 'machine output on stdout').choices(['json', 'yaml']))
    .showSuggestionAfterError(true)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      outputError: (str, write) => write(`✗ ${str.replace(/^error: /, '').trimEnd()}\n`),
    });
  for (const define of COMMANDS) {
    const cmd = define(program);
    cmd.exitOverride().showSuggestionAfterError(true).configureOutput({
      outputError: (str, write) => write(`✗ ${str.replace(/^error: /, '').trimEnd()}\n`),
    });
  }
  return program;
}
