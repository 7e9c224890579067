import type { Command } from 'commander';
import { InvalidInputError } from '../core/errors.js';
import type { CliContext } from './context.js';

interface Node {
  path: string[];
  subcommands: string[];
  options: string[];
}

function walk(cmd: Command, path: string[], out: Node[]): void {
  out.push({ path, subcommands: cmd.commands.map((c) => c.name()), options: cmd.options.map((o) => o.long ?? o.short ?? '').filter(Boolean) });
  for (const c of cmd.commands) walk(c, [...path, c.name()], out);
}

function bash(nodes: Node[], globals: string[]): string {
  const cases = nodes
    .map((n) => `    "${n.path.join(' ')}") words="${[...n.subcommands, ...n.options, ...globals].join(' ')}" ;;`)
    .join('\n');
  return `# k8sup bash completion: source <(k8sup completion bash)
_k8sup() {
  local cur path="" w words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in -*) ;; *) path="\${path:+$path }$w" ;; esac
  done
  case "$path" in
${cases}
    *) words="${globals.join(' ')}" ;;
  esac
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}
complete -F _k8sup k8sup
`;
}

function zsh(nodes: Node[], globals: string[]): string {
  return `#compdef k8sup
# k8sup zsh completion: source <(k8sup completion zsh)
autoload -U bashcompinit && bashcompinit
${bash(nodes, globals).replace(/^# .*\n/, '')}`;
}

function fish(nodes: Node[]): string {
  const lines = ['# k8sup fish completion: k8sup completion fish | source'];
  for (const n of nodes) {
    const cond = n.path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}`;
    for (const s of n.subcommands) lines.push(`complete -c k8sup -f -n '${cond}' -a ${s}`);
    for (const o of n.options) lines.push(`complete -c k8sup -n '${cond}' -l ${o.replace(/^--/, '')}`);
  }
  return lines.join('\n') + '\n';
}

// The tree comes from the running command (its parent chain), not from main.ts: importing main here would be an
// import circle (main loads this module).
export default async function completion(ctx: CliContext, args: string[], _opts: unknown, command: Command): Promise<number> {
  let program = command;
  while (program.parent) program = program.parent;
  const nodes: Node[] = [];
  for (const c of program.commands) walk(c, [c.name()], nodes);
  nodes.unshift({ path: [], subcommands: program.commands.map((c) => c.name()), options: [] });
  const globals = program.options.map((o) => o.long!).filter(Boolean);
  const shell = args[0];
  if (shell === 'bash') ctx.out(bash(nodes, globals));
  else if (shell === 'zsh') ctx.out(zsh(nodes, globals));
  else if (shell === 'fish') ctx.out(fish(nodes));
  else throw new InvalidInputError(`unsupported shell "${shell}"`, { hint: 'use bash, zsh or fish' });
  return 0;
}
