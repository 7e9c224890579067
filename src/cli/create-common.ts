// create cluster / create -f: the flags, and how the outcome is shown. Storing the new cluster atomically and handing
// it to the apply pipeline is src/lifecycle/create-flow.ts.

import type { Cluster } from '../api/index.js';
import { K8supError, OperationError } from '../core/errors.js';
import { createClusterFlow } from '../lifecycle/create-flow.js';
import { checkSavedPlanFlags, planAndApply, type ApplyFlags } from './apply-flow.js';
import type { CliContext } from './context.js';
import { suggest } from './suggest.js';

export async function createCluster(ctx: CliContext, given: Cluster, flags: ApplyFlags): Promise<number> {
  const name = given.metadata.name;
  checkSavedPlanFlags({ admin: flags.admin }, ctx.globals.yes);
  if (typeof flags.admin === 'string') (await import('../pki/index.js')).parseDuration(flags.admin, '--admin');
  const store = await ctx.openStore();
  return createClusterFlow(
    { store, given, actor: ctx.actor, apply: ctx.globals.yes, terraform: flags.target === 'terraform', io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: flags.sshAcceptNew },
    {
      note: (text) => ctx.note(text),
      async planAndApply(cs, cluster, { clients, resumed }) {
        if (resumed) return planAndApply(ctx, store, cs, cluster, flags, { offlineIfNew: true, clients, revision: 1 });
        try {
          return await planAndApply(ctx, store, cs, cluster, flags, { offlineIfNew: true, clients, revision: 1 });
        } catch (e) {
          // The spec is stored now, so running the same create again would only plan again: the resume is update.
          if (!(e instanceof K8supError) || e.exitCode !== 1) throw e;
          throw new OperationError(e.message, { code: e.code, cause: e, hint: `the spec is stored; fix the cause, then resume with \`${suggest(ctx, `update cluster ${name} --yes`)}\` (finished work is not redone)` });
        }
      },
    },
  );
}
