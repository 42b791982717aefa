/** The fish completion script for `rozen completion fish`, written from the program's commands and options. */
import { type CommandSpec, type OptionSpec, valueFlags } from './spec.js';

/** `text` as one fish single-quoted word. */
const quote = (text: string): string => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/** A `switch` over command paths printing a word list, one per line. */
function switchOf(fn: string, specs: readonly CommandSpec[], words: (s: CommandSpec) => readonly string[]): string {
  const arms = specs
    .filter((s) => words(s).length > 0)
    .flatMap((s) => [`        case ${quote(s.path)}`, `            printf '%s\\n' ${words(s).join(' ')}`]);
  return [`function ${fn}`, '    switch "$argv[1]"', ...arms, '    end', 'end'].join('\n');
}

const HELPERS = `# The command the words before the cursor name ('' for the program, 'key list'), options and their values skipped.
function __rozen_command
    set -l words (commandline -opc)
    set -e words[1]
    set -l cmd ''
    set -l skip 0
    for word in $words
        if test $skip = 1
            set skip 0
        else if test "$word" = '--'
            break
        else if string match -q -- '-*' "$word"
            if contains -- "$word" (__rozen_value_options "$cmd") (__rozen_value_options '')
                set skip 1
            end
        else if contains -- "$word" (__rozen_subcommands "$cmd")
            set cmd (string trim -- "$cmd $word")
        end
    end
    printf '%s\\n' "$cmd"
end

function __rozen_at
    test (__rozen_command) = "$argv[1]"
end

complete -c rozen -e`;

/** One \`complete\` line per option; the program's options apply after any command. */
function optionLine(path: string, o: OptionSpec): string {
  const where = path === '' ? '' : ` -n ${quote(`__rozen_at ${quote(path)}`)}`;
  const flags = o.flags.map((f) => (f.startsWith('--') ? ` -l ${f.slice(2)}` : ` -s ${f.slice(1)}`)).join('');
  const value = o.choices.length > 0 ? ` -x -a ${quote(o.choices.join(' '))}` : o.takesValue ? ' -r -F' : '';
  return `complete -c rozen${where}${flags}${value} -d ${quote(o.description)}`;
}

function commandLines(s: CommandSpec): string[] {
  const where = ` -n ${quote(`__rozen_at ${quote(s.path)}`)}`;
  return s.subcommands.map((c) => `complete -c rozen -f${where} -a ${c.name} -d ${quote(c.description)}`);
}

export function fishScript(specs: readonly CommandSpec[]): string {
  return [
    '# fish completion for rozen, written by `rozen completion fish` from its commands and options.\n# Load it with: rozen completion fish | source; or save it as ~/.config/fish/completions/rozen.fish',
    switchOf('__rozen_subcommands', specs, (s) => s.subcommands.map((c) => c.name)),
    switchOf('__rozen_value_options', specs, (s) => valueFlags(s.options)),
    HELPERS,
    specs.flatMap((s) => [...commandLines(s), ...s.options.map((o) => optionLine(s.path, o))]).join('\n'),
    '',
  ].join('\n\n');
}
