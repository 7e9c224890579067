import { loadCluster } from '../api/index.js';
import { parseKubeVersion } from '../api/version.js';
import { InvalidInputError } from '../core/errors.js';
import { mutateCluster, readSpec, writeSpec } from '../cluster/spec-store.js';
import { planAndApply } from './apply-flow.js';
import type { CliContext } from './context.js';

/**
 * upgrade cluster: a new revision with the new version (one minor at a time, never down — kubeadm's rule),
 * then the plan; with --yes it is applied (new launch templates / instance templates; nodes pick the version up
 * when they are replaced by rolling-update).
 */
export default async function upgradeCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const target = parseKubeVersion(String(opts.kubernetesVersion));
  if (!target) throw new InvalidInputError(`--kubernetes-version: "${opts.kubernetesVersion}" is not a version X.Y.Z`, { hint: 'e.g. --kubernetes-version 1.32.4' });
  const store = await ctx.openStore();
  return mutateCluster(store, name, ctx.actor, 'upgrade cluster', async (cs) => {
    const current = await readSpec(cs, name);
    const from = parseKubeVersion(current.cluster.spec.kubernetesVersion)!;
    const hint = `upgrade one minor version at a time: ${from.major}.${from.minor} → ${from.major}.${from.minor + 1}`;
    if (target.minor < from.minor || (target.minor === from.minor && target.patch < from.patch)) {
      throw new InvalidInputError(`cannot downgrade ${name} from ${current.cluster.spec.kubernetesVersion} to ${opts.kubernetesVersion}`, { hint });
    }
    if (target.minor > from.minor + 1) throw new InvalidInputError(`cannot skip minor versions (${current.cluster.spec.kubernetesVersion} → ${opts.kubernetesVersion})`, { hint });
    const cluster = loadCluster({ ...current.cluster, spec: { ...current.cluster.spec, kubernetesVersion: `${target.major}.${target.minor}.${target.patch}` } });
    const { revision, changed } = await writeSpec(cs, cluster, current.revision, ctx.actor, `upgrade to ${cluster.spec.kubernetesVersion}`);
    if (changed) ctx.note(`Set ${name} to Kubernetes ${cluster.spec.kubernetesVersion} (revision ${revision}).`);
    return planAndApply(ctx, store, cs, cluster, { target: 'direct' }, { offlineIfNew: true, revision });
  });
}
