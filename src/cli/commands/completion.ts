/** `ocipack completion <shell>`: a completion script generated from the program's own commands and flags. */
import { Argument, type Command } from 'commander';
import { completionScript, SHELLS, type Shell } from '../completion.js';
import { action } from '../run.js';

/** Register `completion`. */
export function defineCompletion(program: Command): Command {
  return program
    .command('completion')
    .summary('print a shell completion script: bash, zsh, fish or powershell')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(SHELLS))
    .addHelpText('after', `
Example:
  ocipack completion bash > /etc/bash_completion.d/ocipack      # or: source <(ocipack completion bash)
  ocipack completion zsh > "\${fpath[1]}/_ocipack"
  ocipack completion fish > ~/.config/fish/completions/ocipack.fish
  ocipack completion powershell >> $PROFILE`)
    .action(action(async ({ ui, args }) => {
      ui.print(completionScript(program, args[0] as Shell, 'ocipack'));
    }));
}
