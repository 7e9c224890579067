// `k8sup completion bash|zsh|fish`: thin shell glue around the hidden `k8sup __complete WORD…` (complete.ts), which
// knows the command tree, skips flag values, completes flag values, cluster names and files. One engine, three
// shells: each script only hands over the words typed so far and turns the answer into the shell's candidates.

import { InvalidInputError } from '../core/errors.js';
import type { CliContext } from './context.js';

// bash: the words come from COMP_LINE split on blanks only (COMP_WORDS is also split at `=` and `:`, which would cut
// `--state=s3://x` into pieces); COMP_WORDS / COMP_CWORD are used when COMP_LINE is not set.
const BASH = `# k8sup bash completion: source <(k8sup completion bash)
_k8sup() {
  local -a words
  if [[ -n "\${COMP_LINE+set}" ]]; then
    local line="\${COMP_LINE:0:\${COMP_POINT:-\${#COMP_LINE}}}"
    read -r -a words <<< "$line"
    [[ "$line" =~ [[:space:]]$ ]] && words+=("")
  else
    words=("\${COMP_WORDS[@]:0:COMP_CWORD+1}")
  fi
  local cur="\${words[\${#words[@]}-1]}" out directive
  local -a lines
  out="$("\${words[0]}" __complete "\${words[@]:1}" 2>/dev/null)" || return 0
  mapfile -t lines <<< "$out"
  directive="\${lines[\${#lines[@]}-1]}"
  unset 'lines[\${#lines[@]}-1]'
  COMPREPLY=()
  case "$directive" in
    :files) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    :dirs) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    *) [[ \${#lines[@]} -gt 0 ]] && COMPREPLY=("\${lines[@]}")
       # bash replaces only the part after \`=\` (a word break) in --flag=value: offer just the value.
       if [[ "$cur" == --*=* && "$COMP_WORDBREAKS" == *=* ]]; then COMPREPLY=("\${COMPREPLY[@]#\"\${cur%%=*}=\"}"); fi ;;
  esac
  return 0
}
complete -F _k8sup k8sup
`;

const ZSH = `#compdef k8sup
# k8sup zsh completion: source <(k8sup completion zsh)   (or save it as _k8sup in a folder of $fpath)
_k8sup() {
  local out directive
  local -a lines candidates
  out="$(\${words[1]} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)" || return 1
  lines=("\${(@f)out}")
  directive="\${lines[-1]}"
  candidates=("\${(@)lines[1,-2]}")
  case "$directive" in
    :files) _files ;;
    :dirs) _files -/ ;;
    *) (( \${#candidates} )) && compadd -- "\${candidates[@]}" ;;
  esac
}
if (( $+functions[compdef] )); then
  compdef _k8sup k8sup
else
  autoload -Uz compinit && compinit && compdef _k8sup k8sup
fi
`;

const FISH = `# k8sup fish completion: k8sup completion fish | source
function __k8sup_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l out (command $tokens[1] __complete $tokens[2..-1] "$cur" 2>/dev/null)
    or return
    switch $out[-1]
        case :files
            __fish_complete_path "$cur"
        case :dirs
            __fish_complete_directories "$cur"
        case '*'
            if test (count $out) -gt 1
                printf '%s\\n' $out[1..-2]
            end
    end
end
complete -c k8sup -f -a '(__k8sup_complete)'
`;

export default async function completion(ctx: CliContext, args: string[]): Promise<number> {
  const scripts: Record<string, string> = { bash: BASH, zsh: ZSH, fish: FISH };
  const script = scripts[args[0]];
  if (!script) throw new InvalidInputError(`unsupported shell "${args[0]}"`, { hint: 'use bash, zsh or fish' });
  ctx.out(script);
  return 0;
}
