/**
 * Run the whole ocipack program in this process (as the GitHub Action does: src/action/main.ts), with
 * what it writes to stdout and stderr captured: for unit tests of commands against OCI layout
 * directories, which need no registry. Text written by the program is captured; anything else written
 * meanwhile (the test runner's own binary reports) passes through untouched.
 */
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import type { CliResult } from './cli.js';

type Write = typeof process.stdout.write;

function capture(stream: NodeJS.WriteStream, into: string[]): () => void {
  const original = stream.write;
  stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string') {
      into.push(chunk);
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }
    return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
  } as Write;
  return () => {
    stream.write = original;
  };
}

/** `ocipack args…` in-process (no colours, no CI outputs): its exit code and what it printed. */
export async function ocipackHere(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const restoreOut = capture(process.stdout, out);
  const restoreErr = capture(process.stderr, err);
  process.exitCode = 0;
  let code: number;
  try {
    await buildProgram('ocipack').parseAsync(['node', 'ocipack', '--no-color', '--no-ci-outputs', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.code === 'commander.helpDisplayed' ? 0 : 2;
  } finally {
    restoreOut();
    restoreErr();
  }
  process.exitCode = 0;
  return { code, stdout: out.join(''), stderr: err.join('') };
}
