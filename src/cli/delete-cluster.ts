import { cloudFacts, loadProvider, type CloudName } from '../../providers/index.js';
import { desiredGraph, destroyAll, hasApplied, loadProviderFor, mayHaveCloudObjects, planDeleteByOwnership } from '../cluster/deploy.js';
import { mutateCluster, readSpec } from '../cluster/spec-store.js';
import { InvalidInputError } from '../core/errors.js';
import { ClusterStore, type Lease } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { loadPki } from '../cluster/pki-store.js';
import { removeAdminContext } from './export-kubeconfig.js';
import { renderPlan } from './render/plan.js';
import { printData } from './render/output.js';
import { reviewPlan } from '../core/plan-view.js';
import { suggest } from './suggest.js';

/**
 * delete cluster: lists every resource of the cluster (found by its ownership tags/labels and by the journal); with
 * --yes deletes them all and then the cluster's state. "Never applied" is only said when the cloud holds nothing of
 * the cluster. Without a state (`--cloud … --region …`) it deletes what carries the cluster's ownership tags.
 */
export default async function deleteCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  const clusterIdFlag = opts.clusterId === undefined ? undefined : String(opts.clusterId);
  if (opts.cloud !== undefined && !(await new ClusterStore(store, name).latest())) {
    return deleteWithoutState(ctx, name, { ...opts, clusterId: clusterIdFlag });
  }
  // Without --yes this only lists, so it takes no lock (a plan writes nothing, not even lock.json).
  const run = async (cs: ClusterStore, lease?: Lease): Promise<number> => {
    const { cluster } = await readSpec(cs, name);
    const uid = cluster.metadata.uid;
    if (clusterIdFlag !== undefined && uid && clusterIdFlag !== uid) {
      throw new InvalidInputError(`--cluster-id ${clusterIdFlag} is not the id of ${name} in this state store (${uid})`, {
        hint: `drop --cluster-id, or delete the other cluster without its state: k8sup delete cluster ${name} --cloud ${cluster.spec.cloud} --region ${cluster.spec.region} --cluster-id ${clusterIdFlag}`,
      });
    }
    const provider = await loadProviderFor(cluster);
    const applied = await hasApplied(cs);
    if (applied || mayHaveCloudObjects(provider, store.url)) {
      // --cluster-id: delete exactly this identity's objects and leave a same-named cluster of another store alone.
      const identity = clusterIdFlag !== undefined ? { cluster: { ...cluster, metadata: { ...cluster.metadata, uid: clusterIdFlag } }, otherClusters: 'skip' as const } : { cluster };
      const dctx = { store, cs, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: Boolean(opts.sshAcceptNew), ...identity };
      const nodes = await desiredGraph(dctx, provider);
      const { plan, run } = await destroyAll(dctx, provider, nodes);
      if (applied || plan.steps.length > 0) {
        const view = reviewPlan(plan, provider.handlers);
        printData(ctx, view, { table: () => renderPlan(view) });
        if (!ctx.globals.yes) {
          const command = suggest(ctx, `delete cluster ${name} --yes`);
          ctx.io.emit({ code: 'next', level: 'info', message: `Delete these resources and the state of ${name} with: ${command}`, data: { command } });
          return 0;
        }
        // Throws (exit 1, naming what is left) unless every resource is gone; the state is kept until then.
        await run();
        return forgetCluster(ctx, cs, lease!, name);
      }
    }
    const keys = await store.list(`${name}/`);
    // The same document as an applied cluster's delete plan (no steps), plus what --yes removes from the store.
    const doc = { cluster: name, steps: [], stateObjects: keys.length };
    printData(ctx, doc, { table: () => `Cluster ${name} has no cloud resources (it was never applied). State objects to delete: ${keys.length}\n` });
    if (!ctx.globals.yes) {
      const command = suggest(ctx, `delete cluster ${name} --yes`);
      ctx.io.emit({ code: 'next', level: 'info', message: `Delete the state of ${name} with: ${command}`, data: { command } });
      return 0;
    }
    return forgetCluster(ctx, cs, lease!, name);
  };
  if (!ctx.globals.yes) return run(new ClusterStore(store, name));
  return mutateCluster(store, name, ctx.actor, 'delete cluster', run);
}

/** Deletes the cluster's state and the kubeconfig entries k8sup wrote for it. */
async function forgetCluster(ctx: CliContext, cs: ClusterStore, lease: Lease, name: string): Promise<number> {
  // The CA identifies the kubeconfig entries k8sup wrote for this cluster; read it before the state goes.
  const pki = await loadPki(cs.store, name);
  await cs.deleteAll({ lease });
  ctx.io.emit({ code: 'cluster.deleted', level: 'info', message: `Deleted cluster ${name}.`, data: { cluster: name } });
  const removed = pki ? await removeAdminContext(ctx, name, pki.ca.certPem) : null;
  if (removed) ctx.note(removed);
  return 0;
}

/** `delete cluster NAME --cloud C --region R [--project P] [--cluster-id ID]`: the state is gone; the tags say what is the cluster's. */
async function deleteWithoutState(ctx: CliContext, name: string, opts: Record<string, any>): Promise<number> {
  // commander's choices for --cloud are the clouds with an orphanScope (main.ts).
  const cloud = String(opts.cloud) as CloudName;
  const needs = cloudFacts(cloud)?.orphanScope;
  if (!opts.region) throw new InvalidInputError(`delete cluster ${name} --cloud ${cloud} without a state needs --region`, { hint: `e.g. --region ${needs?.exampleRegion ?? 'REGION'}` });
  if (needs?.needsProject && !opts.project) throw new InvalidInputError(`delete cluster ${name} --cloud ${cloud} without a state needs --project`, { hint: 'add --project my-project' });
  const provider = await loadProvider(cloud);
  const store = await ctx.openStore();
  const scope = { name, cloud, region: String(opts.region), project: opts.project === undefined ? undefined : String(opts.project), clusterId: opts.clusterId };
  const found = await planDeleteByOwnership({ store, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal }, provider, scope);
  const which = found.clusterId ? ` (cluster id ${found.clusterId})` : '';
  if (found.plan.steps.length === 0) {
    printData(ctx, { cluster: name, steps: [] }, { table: () => `No state for ${name} and nothing in ${cloud} ${scope.region} carries its ownership tags${which}: nothing to delete.\n` });
    return 0;
  }
  ctx.note(`No state for ${name}: deleting what carries its ownership tags in ${cloud} ${scope.region}${which}.`);
  const view = reviewPlan(found.plan, provider.handlers);
  printData(ctx, view, { table: () => renderPlan(view) });
  if (!ctx.globals.yes) {
    ctx.note(`Run again with --yes to delete these resources.`);
    return 0;
  }
  await found.run();
  ctx.note(`Deleted the cloud resources of ${name}.`);
  return 0;
}
