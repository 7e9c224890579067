// Next commands the CLI suggests (in notes and hints): they must work when pasted, so they carry the --state the
// user gave on the command line (a store from K8SUP_STATE_STORE is still in the environment).

import type { CliContext } from './context.js';

function stateArg(state: string): string {
  return ` --state ${/^[\w@%+=:,./-]+$/.test(state) ? state : `'${state.replace(/'/g, `'\\''`)}'`}`;
}

export function suggest(ctx: Pick<CliContext, 'globals'>, words: string): string {
  const state = ctx.globals.stateFlag;
  return `k8sup ${words}${state ? stateArg(state) : ''}`;
}

/**
 * The same for hints written below the CLI (the state layer does not know the flags): every `k8sup …` command in
 * backticks, or ending the hint after a colon, gets the --state of this run unless it names one already.
 */
export function withStateFlag(hint: string, state: string | undefined): string {
  if (!state) return hint;
  const add = (cmd: string) => (/ --state[ =]/.test(cmd) ? cmd : `${cmd}${stateArg(state)}`);
  return hint.replace(/`(k8sup [^`]*)`/g, (_m, cmd: string) => `\`${add(cmd)}\``).replace(/(: )(k8sup [^`]*)$/, (_m, sep: string, cmd: string) => `${sep}${add(cmd)}`);
}
