import { desiredGraph, hasApplied, loadProviderFor, destroyAll } from '../cluster/deploy.js';
import { mutateCluster, readSpec } from '../cluster/spec-store.js';
import type { CliContext } from './context.js';
import { loadPki } from '../cluster/pki-store.js';
import { removeAdminContext } from './export-kubeconfig.js';
import { renderPlan } from './render/plan.js';
import { printData } from './render/output.js';
import { reviewPlan } from '../core/plan-view.js';

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
      const view = reviewPlan(plan, provider.handlers);
      await printData(ctx, view, () => renderPlan(view));
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
    // The CA identifies the kubeconfig entries k8sup wrote for this cluster; read it before the state goes.
    const pki = await loadPki(store, name);
    await cs.deleteAll({ lease });
    ctx.note(`Deleted cluster ${name}.`);
    const removed = pki ? await removeAdminContext(ctx, name, pki.ca.certPem) : null;
    if (removed) ctx.note(removed);
    return 0;
  });
}
