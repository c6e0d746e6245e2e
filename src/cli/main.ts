/** Entry point of the `ocipack` binary. */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { exitCodeFor } from '../errors.js';

/** Run the CLI with `argv` and exit with the code SPEC §3 assigns. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    process.exitCode = 2;
  } else try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      process.exitCode = ok ? 0 : 2;
    } else {
      process.stderr.write(`✗ ${err instanceof Error ? err.message : String(err)}\n`);
      // A flag value parser throws OcipackError('USAGE') before any action runs: exit 2, not 1.
      process.exitCode = exitCodeFor(err);
    }
  }
  const code = Number(process.exitCode ?? 0);
  // Flush both streams, then exit: keep-alive sockets must not hold the process open.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
