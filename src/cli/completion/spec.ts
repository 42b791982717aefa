/** What shell completion needs from the commander program: each command's subcommands and options, read at run time. */
import type { Command, Option } from 'commander';

export interface OptionSpec {
  /** The short and long flags, e.g. ['-r', '--repo']. */
  readonly flags: readonly string[];
  readonly takesValue: boolean;
  /** The values it accepts, when commander knows them (`.choices()`); else a value is completed as a file name. */
  readonly choices: readonly string[];
  readonly description: string;
}

export interface CommandSpec {
  /** The command's names below the program, joined by spaces: '' for the program, 'key list'. */
  readonly path: string;
  readonly description: string;
  /** Its subcommands; for a command whose first argument has fixed values (`completion <shell>`), those values. */
  readonly subcommands: readonly { readonly name: string; readonly description: string }[];
  /** Its own options; the program's options (recognised everywhere) are in the program's spec only. */
  readonly options: readonly OptionSpec[];
}

// Only words that need no quoting in any shell reach the scripts; commander's own names all are.
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SAFE_FLAG = /^--?[A-Za-z0-9][A-Za-z0-9-]*$/;

/** Every visible command of `program`, the program first, parents before their subcommands. */
export function completionSpec(program: Command): CommandSpec[] {
  const specs: CommandSpec[] = [];
  const walk = (cmd: Command, path: string): void => {
    const subs = visibleSubcommands(cmd);
    specs.push({
      path,
      description: oneLineText(cmd.description()),
      subcommands: subs.length > 0 ? subs.map((s) => ({ name: s.name(), description: oneLineText(s.description()) })) : firstValues(cmd),
      // -h/--help is every command's: the program's spec holds it once.
      options: cmd
        .createHelp()
        .visibleOptions(cmd)
        .filter((o) => path === '' || o.long !== '--help')
        .map(optionSpec)
        .filter(isSafe),
    });
    for (const s of subs) walk(s, path === '' ? s.name() : `${path} ${s.name()}`);
  };
  walk(program, '');
  return specs;
}

/** Subcommands shown in help, less commander's own `help` command (`--help` is completed instead). */
function visibleSubcommands(cmd: Command): Command[] {
  return cmd
    .createHelp()
    .visibleCommands(cmd)
    .filter((c) => c.name() !== 'help' && SAFE_NAME.test(c.name()));
}

/** The fixed values of a command's first argument, offered where a subcommand would be. */
function firstValues(cmd: Command): { name: string; description: string }[] {
  const arg = cmd.registeredArguments[0];
  const values = (arg?.argChoices ?? []).filter((c) => SAFE_NAME.test(c));
  return values.map((name) => ({ name, description: oneLineText(arg?.description ?? '') }));
}

function optionSpec(o: Option): OptionSpec {
  return {
    flags: [o.short, o.long].filter((f): f is string => f !== undefined),
    takesValue: o.required || o.optional,
    choices: (o.argChoices ?? []).filter((c) => SAFE_NAME.test(c)),
    description: oneLineText(o.description),
  };
}

const isSafe = (o: OptionSpec): boolean => o.flags.length > 0 && o.flags.every((f) => SAFE_FLAG.test(f));

/** The first line of a description, control characters dropped: a shell shows it beside the candidate. */
function oneLineText(text: string): string {
  // eslint-disable-next-line no-control-regex -- dropping control characters is the point
  return (text.split('\n')[0] ?? '').replace(/[\u0000-\u001f\u007f]/g, '');
}

/** The flags of `options` that take a value. */
export function valueFlags(options: readonly OptionSpec[]): string[] {
  return options.filter((o) => o.takesValue).flatMap((o) => o.flags);
}
