/**
 * A run of one known command defines only that command (issue 26: defining the other commands with their
 * options was ~10 ms of every start); every run that can see the others (help, `help <command>`, an
 * unknown command's suggestions, `completion`) still gets them all, and so does the flag table.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { buildProgram, commandsFor } from '../../../src/cli/program.js';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { hasFlag, withFlagNames } from '../../../src/cli/flags.js';

const argvOf = (...args: string[]): string[] => ['node', 'ocipack', ...args];
const names = (program: Command): string[] => program.commands.map((c) => c.name()).filter((n) => n !== 'help');
const ALL = COMMANDS.map((c) => c.name);

/** Parse `args` with the program built for them, as main() does; what commander printed and its exit code. */
async function parse(args: string[]): Promise<{ out: string; err: string; code: string | undefined }> {
  const program = buildProgram('ocipack', argvOf(...args));
  let out = '';
  let err = '';
  for (const cmd of [program, ...program.commands]) cmd.configureOutput({ writeOut: (s) => { out += s; }, writeErr: (s) => { err += s; } });
  try {
    await program.parseAsync(argvOf(...args));
    return { out, err, code: undefined };
  } catch (e) {
    assert.ok(e instanceof CommanderError, String(e));
    return { out, err, code: e.code };
  }
}

// First in this file: the flag table has seen no whole program yet in this process.
test('a message naming another command\'s option still gets its flag after a one-command build', () => {
  buildProgram('ocipack', argvOf('pull', 'oci://r.example/a:v1'));
  assert.equal(withFlagNames('`allowSecrets` pushes it anyway'), '--allow-secrets pushes it anyway');
  assert.equal(hasFlag('signKeyless'), true);
  assert.equal(withFlagNames('pass `dispatcher` yourself'), 'pass `dispatcher` yourself');
});

test('pull and push runs define their own command and no other', () => {
  assert.deepEqual(names(buildProgram('ocipack', argvOf('pull', 'oci://r.example/a:v1', '-o', 'out'))), ['pull']);
  assert.deepEqual(names(buildProgram('ocipack', argvOf('push', 'oci://r.example/a:v1', '--path', '.'))), ['push']);
  assert.deepEqual(names(buildProgram('ocipack', argvOf('pull', '--help'))), ['pull']);
  for (const name of ALL.filter((n) => n !== 'completion')) assert.deepEqual(commandsFor(argvOf(name)).map((c) => c.name), [name]);
});

test('every run that can see other commands gets all of them', () => {
  const cases = [[], ['--help'], ['-h'], ['help'], ['help', 'pull'], ['pul'], ['completion', 'bash'], ['--creds', 'u:p', 'pull', 'x'], ['']];
  for (const args of cases) assert.deepEqual(names(buildProgram('ocipack', argvOf(...args))), ALL, args.join(' '));
  assert.deepEqual(names(buildProgram()), ALL);
});

test('the command table names each command as it registers itself', () => {
  for (const entry of COMMANDS) {
    const cmd = entry.define(new Command('ocipack'));
    assert.equal(cmd.name(), entry.name);
    assert.deepEqual(cmd.aliases(), entry.aliases ?? []);
  }
});

test('a command\'s help is the same byte for byte whether it was built alone or with every command', () => {
  const whole = buildProgram();
  for (const name of ALL) {
    const alone = buildProgram('ocipack', argvOf(name)).commands.find((c) => c.name() === name)!;
    assert.equal(alone.helpInformation(), whole.commands.find((c) => c.name() === name)!.helpInformation(), name);
  }
});

test('an unknown command is suggested from the whole list; help and help <command> list what they did', async () => {
  const unknown = await parse(['promot', 'x']);
  assert.equal(unknown.code, 'commander.unknownCommand');
  assert.match(unknown.err, /unknown command 'promot'\n\(Did you mean promote\?\)/);
  const top = await parse(['--help']);
  assert.equal(top.code, 'commander.helpDisplayed');
  for (const name of ALL) assert.match(top.out, new RegExp(`\\n  ${name}\\b`), name);
  const viaHelp = await parse(['help', 'pull']);
  assert.match(viaHelp.out, /^Usage: ocipack pull \[options\] <reference>/);
  const pull = await parse(['pull', '--help']);
  assert.equal(pull.out, viaHelp.out);
});
