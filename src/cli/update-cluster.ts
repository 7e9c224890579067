import { readSpec, mutateCluster } from '../cluster/spec-store.js';
import { ClusterStore } from '../state/cluster-store.js';
import { checkApplyFlags, planAndApply } from './apply-flow.js';
import type { CliContext } from './context.js';

/**
 * update cluster: plan against the cloud; with --yes apply. Planning takes no lock and writes nothing;
 * applying holds the cluster's lock for the whole run.
 */
export default async function updateCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  checkApplyFlags(opts);
  const store = await ctx.openStore();
  if (!ctx.globals.yes) {
    const cs = new ClusterStore(store, name);
    const { cluster, revision } = await readSpec(cs, name);
    return planAndApply(ctx, store, cs, cluster, opts, { offlineIfNew: false, revision });
  }
  return mutateCluster(store, name, ctx.actor, 'update cluster', async (cs) => {
    const { cluster, revision } = await readSpec(cs, name);
    return planAndApply(ctx, store, cs, cluster, opts, { offlineIfNew: false, revision });
  });
}
