// `rolling-update cluster NAME [--yes] [--instance-group G] [--force]`: lists every instance of every group with
// whether it runs an out-of-date configuration; with --yes replaces those, holding the cluster's lock for the whole
// run. The orchestration lives in src/cluster/rolling-update.ts; this file wires the store, provider, kubeconfig
// and output. See docs/rolling-update.md.

import { cloudFacts } from '../../providers/index.js';
import type { Cluster } from '../api/index.js';
import { loadProviderFor } from '../cluster/deploy.js';
import { checkControlPlaneRoll, checkInstanceGroup, controlPlaneRollable, planRollingUpdate, runRollingUpdate, type KubeSide, type RollingUpdatePlan } from '../cluster/rolling-update.js';
import { mutateCluster, readSpec } from '../cluster/spec-store.js';
import { InvalidInputError, OperationError } from '../core/errors.js';
import type { Provider } from '../core/provider.js';
import { ClusterStore } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { adminKubeconfig } from './export-kubeconfig.js';
import { printData, type TableView } from './render/output.js';
import { suggest } from './suggest.js';
import { providerState } from '../cluster/provider-state.js';

/** The admin credential must outlive the whole run (every drain, replacement and validation). */
const CREDENTIAL_TTL = '6h';

/** Providers without replaceable instances (bare metal) offer no rollingUpdate capability. */
function capabilityOf(provider: Provider<any>, cluster: Cluster) {
  if (!provider.rollingUpdate) {
    const where = cloudFacts(provider.name)?.title ?? provider.name;
    throw new InvalidInputError(`${cluster.metadata.name} runs on ${where}, whose machines are not replaceable instances, so there is nothing to roll`, {
      hint: `apply configuration changes to the machines with \`k8sup update cluster ${cluster.metadata.name} --yes\``,
    });
  }
  return provider.rollingUpdate;
}

function planTable(plan: RollingUpdatePlan): TableView {
  const rows = plan.groups.flatMap((g) =>
    g.instances.length
      ? g.instances.map((i) => [g.group, g.cloudName, i.id, i.zone ?? g.zone ?? '', i.status, i.version, i.needsUpdate ? 'NEEDS UPDATE' : i.replace ? 'FORCED' : 'up to date'])
      : [[g.group, g.cloudName, '-', g.zone ?? '', 'no instances', g.currentVersion, '']],
  );
  return { headers: ['GROUP', 'CLOUD GROUP', 'INSTANCE', 'ZONE', 'STATE', 'VERSION', 'STATUS'], rows };
}

const printPlan = (ctx: CliContext, plan: RollingUpdatePlan) => printData(ctx, plan, { table: planTable(plan) });

export default async function rollingUpdate(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const force = Boolean(opts.force);
  const instanceGroup: string | undefined = opts.instanceGroup;
  const store = await ctx.openStore();

  const run = async (cs: ClusterStore) => {
    const { cluster } = await readSpec(cs, name);
    const provider = await loadProviderFor(cluster);
    const capability = capabilityOf(provider, cluster);
    checkInstanceGroup(cluster, instanceGroup); // exit 2 before any cloud call
    const clients = await provider.connect(cluster, { io: ctx.io, env: ctx.env, signal: ctx.signal, home: ctx.home, state: providerState(store, name) });
    const groups = await capability.listGroups(cluster, clients);
    // --force pulls up-to-date control planes in only where they can be replaced (3 or more): elsewhere it would turn a
    // forced roll of the node groups into a refusal.
    const plan = planRollingUpdate(cluster, groups, { force, instanceGroup, forceControlPlane: controlPlaneRollable(cluster) });
    printPlan(ctx, plan);
    if (plan.toReplace === 0) {
      ctx.note(`No instance of ${name} needs replacing${force ? '' : ' (--force replaces up-to-date ones too)'}.`);
      return 0;
    }
    if (!ctx.globals.yes) {
      try {
        checkControlPlaneRoll(plan, cluster, instanceGroup !== undefined);
      } catch (e) {
        // The listing still succeeds; --yes would refuse with exit 2, so say so now.
        ctx.note(`--yes would refuse: ${(e as Error).message}.`);
        return 0;
      }
      const command = suggest(ctx, `rolling-update cluster ${name}${instanceGroup ? ` --instance-group ${instanceGroup}` : ''}${force ? ' --force' : ''} --yes`);
      ctx.io.emit({ code: 'next', level: 'info', message: `${plan.toReplace} instance(s) to replace, one at a time, with: ${command}`, data: { command } });
      return 0;
    }
    const result = await runRollingUpdate(plan, {
      cluster,
      capability,
      clients,
      openKube: () => openKube(ctx, cs, cluster),
      io: ctx.io,
      signal: ctx.signal,
      force,
      scoped: instanceGroup !== undefined,
    });
    ctx.note(`Replaced ${result.replaced.length} instance(s) of ${name}.`);
    return 0;
  };

  if (!ctx.globals.yes) return run(new ClusterStore(store, name));
  return mutateCluster(store, name, ctx.actor, 'rolling-update cluster', (cs) => run(cs));
}

/** The API through a fresh admin credential for the recorded endpoint (as `validate cluster` does). */
export async function openKube(ctx: CliContext, cs: ClusterStore, cluster: Cluster): Promise<KubeSide> {
  const kc = await adminKubeconfig(cs, cluster.metadata.name, CREDENTIAL_TTL);
  if (!kc.recorded) {
    throw new OperationError(`no API endpoint is recorded for ${cluster.metadata.name}, so its nodes cannot be drained`, {
      hint: `apply the cluster first with \`k8sup update cluster ${cluster.metadata.name} --yes\``,
    });
  }
  const target = { kubeconfigYaml: kc.yaml };
  const [{ openNodeOps }, { validateCluster }] = await Promise.all([import('../cluster/rolling-update-kube.js'), import('../validate/index.js')]);
  const ops = await openNodeOps(target, { signal: ctx.signal });
  return {
    ops,
    validate: (waitMs) => validateCluster(cluster, target, { waitMs, count: 1, intervalMs: 2000, io: ctx.io, signal: ctx.signal }),
  };
}
