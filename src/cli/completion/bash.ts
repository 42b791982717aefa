/** The bash completion script for `rozen completion bash`, written from the program's commands and options. */
import { type CommandSpec, valueFlags } from './spec.js';

/** A `case` over command paths printing a word list; the paths and words are plain (spec.ts keeps them so). */
function caseOf(fn: string, specs: readonly CommandSpec[], words: (s: CommandSpec) => readonly string[]): string {
  const arms = specs.filter((s) => words(s).length > 0).map((s) => `    '${s.path}') echo '${words(s).join(' ')}' ;;`);
  return [`${fn}() {`, '  case "$1" in', ...arms, '  esac', '}'].join('\n');
}

function choicesCase(specs: readonly CommandSpec[]): string {
  const arms = specs.flatMap((s) =>
    s.options
      .filter((o) => o.choices.length > 0)
      .flatMap((o) => o.flags.map((f) => `    '${s.path} ${f}') echo '${o.choices.join(' ')}' ;;`)),
  );
  return ['_rozen_choices() {', '  case "$1 $2" in', ...arms, '  esac', '}'].join('\n');
}

const MAIN = `_rozen_in() { [[ " $2 " == *" $1 "* ]]; }

# A list for a command and the program's own (recognised after any command): _rozen_and_program FUNCTION COMMAND [ARG].
_rozen_and_program() {
  "$1" "$2" "$3"
  [[ -z $2 ]] || "$1" '' "$3"
}

_rozen_files() {
  compopt -o filenames 2>/dev/null
  local IFS=$'\\n'
  COMPREPLY=($(compgen -f -- "$1"))
}

# Walks the words before the cursor: options (skipping their values) and subcommands, which narrow the command.
_rozen() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" word value_of="" i=1
  COMPREPLY=()
  while (( i < COMP_CWORD )); do
    word="\${COMP_WORDS[i]}"
    if [[ $word == -- ]]; then _rozen_files "$cur"; return; fi
    if [[ $word == -* ]]; then
      if _rozen_in "$word" "$(_rozen_and_program _rozen_value_options "$cmd")"; then
        [[ \${COMP_WORDS[i+1]} == = ]] && (( i++ ))
        (( i + 1 == COMP_CWORD )) && value_of="$word"
        (( i++ ))
      fi
    elif _rozen_in "$word" "$(_rozen_subcommands "$cmd")"; then
      cmd="\${cmd:+$cmd }$word"
    fi
    (( i++ ))
  done
  [[ $cur == = ]] && cur=""
  if [[ -n $value_of ]]; then
    local choices
    choices="$(_rozen_and_program _rozen_choices "$cmd" "$value_of")"
    if [[ -n $choices ]]; then COMPREPLY=($(compgen -W "$choices" -- "$cur")); else _rozen_files "$cur"; fi
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_rozen_and_program _rozen_options "$cmd")" -- "$cur"))
    return
  fi
  local subs
  subs="$(_rozen_subcommands "$cmd")"
  if [[ -n $subs ]]; then COMPREPLY=($(compgen -W "$subs" -- "$cur")); else _rozen_files "$cur"; fi
}

complete -F _rozen rozen`;

export function bashScript(specs: readonly CommandSpec[]): string {
  return [
    '# bash completion for rozen, written by `rozen completion bash` from its commands and options.\n# Load it with: source <(rozen completion bash); or save it as ~/.local/share/bash-completion/completions/rozen',
    caseOf('_rozen_subcommands', specs, (s) => s.subcommands.map((c) => c.name)),
    caseOf('_rozen_options', specs, (s) => s.options.flatMap((o) => o.flags)),
    caseOf('_rozen_value_options', specs, (s) => valueFlags(s.options)),
    choicesCase(specs),
    MAIN,
    '',
  ].join('\n\n');
}
