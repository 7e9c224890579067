// Next commands the CLI suggests (in notes and hints): they must work when pasted, so they carry the --state the
// user gave on the command line (a store from K8SUP_STATE_STORE is still in the environment).

import type { CliContext } from './context.js';

export function suggest(ctx: Pick<CliContext, 'globals'>, words: string): string {
  const state = ctx.globals.stateFlag;
  return `k8sup ${words}${state ? ` --state ${/^[\w@%+=:,./-]+$/.test(state) ? state : `'${state.replace(/'/g, `'\\''`)}'`}` : ''}`;
}
