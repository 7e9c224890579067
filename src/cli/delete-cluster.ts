import { deleteClusterFlow } from '../lifecycle/delete-flow.js';
import { reviewPlan } from '../core/plan-view.js';
import type { CliContext } from './context.js';
import { removeAdminContext } from './export-kubeconfig.js';
import { renderPlan } from './render/plan.js';
import { printData } from './render/output.js';
import { suggest } from './suggest.js';

/**
 * delete cluster: lists every resource of the cluster; with --yes deletes them all and then the cluster's state
 * (src/lifecycle/delete-flow.ts). Without a state (`--cloud … --region …`) it deletes what carries the cluster's
 * ownership tags. This file turns the flags into the flow's input and renders what it shows and returns.
 */
export default async function deleteCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  const str = (v: unknown) => (v === undefined ? undefined : String(v));
  const outcome = await deleteClusterFlow(
    {
      store,
      name,
      actor: ctx.actor,
      apply: ctx.globals.yes,
      clusterId: str(opts.clusterId),
      orphan: opts.cloud === undefined ? undefined : { cloud: String(opts.cloud), region: opts.region ? String(opts.region) : undefined, project: str(opts.project) },
      io: ctx.io,
      env: ctx.env,
      home: ctx.home,
      signal: ctx.signal,
      sshAcceptNew: Boolean(opts.sshAcceptNew),
    },
    {
      showPlan: (view) => printData(ctx, view, { table: () => renderPlan(view) }),
      showNothingApplied: (doc) =>
        printData(ctx, doc, { table: () => `Cluster ${name} has no cloud resources (it was never applied). State objects to delete: ${doc.stateObjects}\n` }),
      async forgetKubeconfig(caCertPem) {
        const removed = await removeAdminContext(ctx, name, caCertPem);
        if (removed) ctx.note(removed);
      },
      orphan: {
        showNothing: ({ cloud, region, clusterId }, { stateKept }) =>
          printData(ctx, reviewPlan({ cluster: name, steps: [] }, []), { table: () => `${stateKept ? `Nothing in ${cloud} ${region} carries the ownership tags of ${name}${which(clusterId)}` : `No state for ${name} and nothing in ${cloud} ${region} carries its ownership tags${which(clusterId)}`}: nothing to delete.\n` }),
        showPlan(view, { cloud, region, clusterId, stateKept }) {
          ctx.note(stateKept
            ? `Deleting what carries the ownership tags of ${name}${which(clusterId)} in ${cloud} ${region}; the ${name} of this state store (cluster id ${stateKept}) stays.`
            : `No state for ${name}: deleting what carries its ownership tags in ${cloud} ${region}${which(clusterId)}.`);
          printData(ctx, view, { table: () => renderPlan(view) });
        },
      },
    },
  );
  if (outcome.stage === 'listed') {
    if (outcome.what === 'orphans') {
      ctx.note(`Run again with --yes to delete these resources.`);
      return 0;
    }
    const command = suggest(ctx, `delete cluster ${name} --yes`);
    const message = outcome.what === 'resources' ? `Delete these resources and the state of ${name} with: ${command}` : `Delete the state of ${name} with: ${command}`;
    ctx.io.emit({ code: 'next', level: 'info', message, data: { command } });
  }
  if (outcome.stage === 'orphans-deleted') ctx.note(`Deleted the cloud resources of ${name}.`);
  return 0;
}

const which = (clusterId: string | undefined) => (clusterId ? ` (cluster id ${clusterId})` : '');
