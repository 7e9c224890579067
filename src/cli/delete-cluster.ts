import { desiredGraph, hasApplied, loadProviderFor, destroyAll } from '../cluster/deploy.js';
import { mutateCluster, readSpec } from '../cluster/spec-store.js';
import type { CliContext } from './context.js';
import { renderPlan } from './render/plan.js';
import { printData } from './render/output.js';
import { suggest } from './suggest.js';

/**
 * delete cluster: lists every resource of the cluster (found by its tags and by the recorded inventory); with
 * --yes deletes them all and then the cluster's state. A cluster that was never applied has only state.
 */
export default async function deleteCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  return mutateCluster(store, name, ctx.actor, 'delete cluster', async (cs, lease) => {
    const { cluster } = await readSpec(cs, name);
    if (await hasApplied(cs)) {
      const provider = await loadProviderFor(cluster);
      const dctx = { store, cs, cluster, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: Boolean(opts.sshAcceptNew) };
      const nodes = await desiredGraph(dctx, provider);
      const { plan, run } = await destroyAll(dctx, provider, nodes);
      printData(ctx, plan, { table: () => renderPlan(plan) });
      if (!ctx.globals.yes) {
        const command = suggest(ctx, `delete cluster ${name} --yes`);
        ctx.io.emit({ code: 'next', level: 'info', message: `Delete these resources and the state of ${name} with: ${command}`, data: { command } });
        return 0;
      }
      // Throws (exit 1, naming what is left) unless every resource is gone; the state is kept until then.
      await run();
    } else {
      const keys = await store.list(`${name}/`);
      // The same document as an applied cluster's delete plan (no steps), plus what --yes removes from the store.
      const doc = { cluster: name, steps: [], stateObjects: keys.length };
      printData(ctx, doc, { table: () => `Cluster ${name} has no cloud resources (it was never applied). State objects to delete: ${keys.length}\n` });
      if (!ctx.globals.yes) {
        const command = suggest(ctx, `delete cluster ${name} --yes`);
        ctx.io.emit({ code: 'next', level: 'info', message: `Delete the state of ${name} with: ${command}`, data: { command } });
        return 0;
      }
    }
    await cs.deleteAll({ lease });
    ctx.io.emit({ code: 'cluster.deleted', level: 'info', message: `Deleted cluster ${name}.`, data: { cluster: name } });
    return 0;
  });
}
