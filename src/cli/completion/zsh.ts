/** The zsh completion script for `rozen completion zsh`, written from the program's commands and options. */
import { type CommandSpec, valueFlags } from './spec.js';

/** `text` as one zsh single-quoted word. */
const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

/** A `case` over command paths printing one line per candidate: `name:description` (zsh's _describe form). */
function caseOf(fn: string, specs: readonly CommandSpec[], lines: (s: CommandSpec) => readonly string[]): string {
  const arms = specs
    .filter((s) => lines(s).length > 0)
    .map((s) => `    ${quote(s.path)}) print -rl -- ${lines(s).map(quote).join(' ')} ;;`);
  return [`${fn}() {`, '  case "$1" in', ...arms, '  esac', '}'].join('\n');
}

function choicesCase(specs: readonly CommandSpec[]): string {
  const arms = specs.flatMap((s) =>
    s.options
      .filter((o) => o.choices.length > 0)
      .flatMap((o) => o.flags.map((f) => `    ${quote(`${s.path} ${f}`)}) print -rl -- ${o.choices.join(' ')} ;;`)),
  );
  return ['_rozen_choices() {', '  case "$1 $2" in', ...arms, '  esac', '}'].join('\n');
}

const described = (name: string, description: string): string => `${name.replaceAll(':', '\\:')}:${description}`;

const MAIN = `# A list for a command and the program's own (recognised after any command): _rozen_and_program FUNCTION COMMAND [ARG].
_rozen_and_program() {
  "$1" "$2" "$3"
  [[ -z $2 ]] || "$1" '' "$3"
}

# Walks the words before the cursor: options (skipping their values) and subcommands, which narrow the command.
_rozen() {
  local cur=\${words[CURRENT]} cmd='' word value_of='' i=2
  local -a subs names opts choices
  while (( i < CURRENT )); do
    word=\${words[i]}
    if [[ $word == -- ]]; then _files; return; fi
    if [[ $word == -* ]]; then
      opts=(\${(f)"$(_rozen_and_program _rozen_value_options "$cmd")"})
      if (( \${opts[(Ie)$word]} )); then
        (( i + 1 == CURRENT )) && value_of=$word
        (( i++ ))
      fi
    else
      subs=(\${(f)"$(_rozen_subcommands "$cmd")"})
      names=(\${subs%%:*})
      (( \${names[(Ie)$word]} )) && cmd=\${cmd:+$cmd }$word
    fi
    (( i++ ))
  done
  if [[ -n $value_of ]]; then
    choices=(\${(f)"$(_rozen_and_program _rozen_choices "$cmd" "$value_of")"})
    if (( $#choices )); then compadd -a choices; else _files; fi
    return
  fi
  if [[ $cur == -* ]]; then
    opts=(\${(f)"$(_rozen_and_program _rozen_options "$cmd")"})
    _describe 'option' opts
    return
  fi
  subs=(\${(f)"$(_rozen_subcommands "$cmd")"})
  if (( $#subs )); then _describe 'command' subs; else _files; fi
}

if [[ $funcstack[1] == _rozen ]]; then _rozen "$@"; else compdef _rozen rozen; fi`;

export function zshScript(specs: readonly CommandSpec[]): string {
  return [
    '#compdef rozen\n# zsh completion for rozen, written by `rozen completion zsh` from its commands and options.\n# Load it with: source <(rozen completion zsh) after compinit; or save it as _rozen in a directory of $fpath',
    caseOf('_rozen_subcommands', specs, (s) => s.subcommands.map((c) => described(c.name, c.description))),
    caseOf('_rozen_options', specs, (s) => s.options.flatMap((o) => o.flags.map((f) => described(f, o.description)))),
    caseOf('_rozen_value_options', specs, (s) => valueFlags(s.options)),
    choicesCase(specs),
    MAIN,
    '',
  ].join('\n\n');
}
