import { readSpec, mutateCluster } from '../cluster/spec-store.js';
import { checkImmutableFields } from '../cluster/immutable-fields.js';
import { checkSavedPlanSpec, readSavedPlan } from '../cluster/saved-plan.js';
import { ClusterStore } from '../state/cluster-store.js';
import { checkApplyFlags, checkSavedPlanFlags, planAndApply } from './apply-flow.js';
import type { CliContext } from './context.js';

/**
 * update cluster: plan against the cloud; with --yes apply. Planning takes no lock and writes nothing (but the
 * --out-plan file); applying holds the cluster's lock for the whole run. `--plan FILE --yes` applies a saved plan
 * only if the spec revision and the live resources are still those it was computed against (else exit 3).
 */
export default async function updateCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  checkApplyFlags(opts);
  checkSavedPlanFlags(opts, ctx.globals.yes);
  if (typeof opts.admin === 'string') (await import('../pki/index.js')).parseDuration(opts.admin); // bad input fails before any read
  const saved = opts.plan ? await readSavedPlan(opts.plan, ctx.cwd) : undefined;
  const store = await ctx.openStore();
  const planIt = async (cs: ClusterStore) => {
    const current = await readSpec(cs, name);
    if (saved) checkSavedPlanSpec(saved, opts.plan, { name, revision: current.revision });
    // A revision that changes what cannot change (e.g. restored by rollback) is refused before any cloud call.
    await checkImmutableFields(cs, name, current, current.cluster, `revision ${current.revision}`);
    return planAndApply(ctx, store, cs, current.cluster, opts, { offlineIfNew: false, revision: current.revision, saved });
  };
  if (!ctx.globals.yes) return planIt(new ClusterStore(store, name));
  return mutateCluster(store, name, ctx.actor, 'update cluster', planIt);
}
