import { desiredGraph, hasApplied, loadProviderFor, destroyAll } from '../cluster/deploy.js';
import { mutateCluster, readSpec } from '../cluster/spec-store.js';
import { ClusterStore, type Lease } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { renderPlan } from './render/plan.js';
import { printData } from './render/output.js';

/**
 * delete cluster: lists every resource of the cluster (found by its tags and by the recorded inventory); with
 * --yes deletes them all and then the cluster's state. A cluster that was never applied has only state.
 */
export default async function deleteCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  // Without --yes this only lists, so it takes no lock (a plan writes nothing, not even lock.json).
  const run = async (cs: ClusterStore, lease?: Lease): Promise<number> => {
    const { cluster } = await readSpec(cs, name);
    if (await hasApplied(cs)) {
      const provider = await loadProviderFor(cluster);
      const dctx = { store, cs, cluster, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: Boolean(opts.sshAcceptNew) };
      const nodes = await desiredGraph(dctx, provider);
      const { plan, run } = await destroyAll(dctx, provider, nodes);
      await printData(ctx, plan, () => renderPlan(plan));
      if (!ctx.globals.yes) {
        ctx.note(`Run again with --yes to delete these resources and the state of ${name}.`);
        return 0;
      }
      // Throws (exit 1, naming what is left) unless every resource is gone; the state is kept until then.
      await run();
    } else {
      const keys = await store.list(`${name}/`);
      ctx.out(`Cluster ${name} has no cloud resources (it was never applied). State objects to delete: ${keys.length}\n`);
      if (!ctx.globals.yes) {
        ctx.note(`Run again with --yes to delete the state of ${name}.`);
        return 0;
      }
    }
    await cs.deleteAll({ lease });
    ctx.note(`Deleted cluster ${name}.`);
    return 0;
  };
  if (!ctx.globals.yes) return run(new ClusterStore(store, name));
  return mutateCluster(store, name, ctx.actor, 'delete cluster', run);
}
