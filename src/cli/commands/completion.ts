/** `rozen completion bash|zsh|fish`: a shell completion script for the commands and options of this very program. */
import { Argument, type Command } from 'commander';
import { bashScript } from '../completion/bash.js';
import { fishScript } from '../completion/fish.js';
import { zshScript } from '../completion/zsh.js';
import { completionSpec } from '../completion/spec.js';

const SCRIPTS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

const HELP = `
Load it in the current shell, or install it where the shell finds completions:
  bash:  source <(rozen completion bash)
         rozen completion bash > ~/.local/share/bash-completion/completions/rozen
  zsh:   source <(rozen completion zsh)            (after compinit)
         rozen completion zsh > "\${fpath[1]}/_rozen"
  fish:  rozen completion fish | source
         rozen completion fish > ~/.config/fish/completions/rozen.fish
It completes command names, options and their fixed values; other arguments complete as file names.`;

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a completion script for bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(SCRIPTS)))
    .addHelpText('after', HELP)
    .action((shell: keyof typeof SCRIPTS, _opts: unknown, cmd: Command) => {
      let root = cmd;
      while (root.parent) root = root.parent;
      process.stdout.write(SCRIPTS[shell](completionSpec(root)));
    });
}
