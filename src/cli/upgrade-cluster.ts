import { loadCluster } from '../api/index.js';
import { parseKubeVersion, versionChangeIssue } from '../api/version.js';
import { InvalidInputError } from '../core/errors.js';
import { assertNodesCanReadStore, loadProviderFor } from '../cluster/deploy.js';
import { mutateCluster, readSpec, writeSpec } from '../cluster/spec-store.js';
import { ClusterStore } from '../state/cluster-store.js';
import { planAndApply } from './apply-flow.js';
import type { CliContext } from './context.js';
import { suggest } from './suggest.js';

/**
 * upgrade cluster: the spec with the new version (one minor at a time, never down — kubeadm's rule) and its plan.
 * Without --yes that is all: nothing is written. With --yes the version becomes a new revision and is applied (new
 * launch templates / instance templates; nodes pick the version up when rolling-update replaces them).
 */
export default async function upgradeCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const target = parseKubeVersion(String(opts.kubernetesVersion));
  if (!target) throw new InvalidInputError(`--kubernetes-version: "${opts.kubernetesVersion}" is not a version X.Y.Z`, { hint: 'e.g. --kubernetes-version 1.35.1' });
  const store = await ctx.openStore();

  const upgraded = async (cs: ClusterStore) => {
    const current = await readSpec(cs, name);
    const issue = versionChangeIssue(parseKubeVersion(current.cluster.spec.kubernetesVersion)!, target);
    if (issue) throw new InvalidInputError(`${name}: ${issue.message}`, { hint: issue.hint });
    const cluster = loadCluster({ ...current.cluster, spec: { ...current.cluster.spec, kubernetesVersion: `${target.major}.${target.minor}.${target.patch}` } });
    return { current, cluster };
  };

  if (!ctx.globals.yes) {
    const cs = new ClusterStore(store, name);
    const { current, cluster } = await upgraded(cs);
    const changes = cluster.spec.kubernetesVersion !== current.cluster.spec.kubernetesVersion;
    if (changes) ctx.io.emit({ code: 'cluster.preview', level: 'info', message: `Would set ${name} to Kubernetes ${cluster.spec.kubernetesVersion} (revision ${current.revision + 1}); nothing was written.`, data: { cluster: name, revision: current.revision + 1 } });
    return planAndApply(ctx, store, cs, cluster, { target: 'direct' }, {
      offlineIfNew: true,
      revision: current.revision,
      applyWith: suggest(ctx, `upgrade cluster ${name} --kubernetes-version ${cluster.spec.kubernetesVersion} --yes`),
    });
  }
  return mutateCluster(store, name, ctx.actor, 'upgrade cluster', async (cs) => {
    const { current, cluster } = await upgraded(cs);
    assertNodesCanReadStore(await loadProviderFor(cluster), store.url); // exit 2 before the revision is written
    const { revision, changed } = await writeSpec(cs, cluster, current.revision, ctx.actor, `upgrade to ${cluster.spec.kubernetesVersion}`);
    if (changed) ctx.io.emit({ code: 'spec.revision', level: 'info', message: `Set ${name} to Kubernetes ${cluster.spec.kubernetesVersion} (revision ${revision}).`, data: { cluster: name, revision, changed } });
    return planAndApply(ctx, store, cs, cluster, { target: 'direct' }, { offlineIfNew: true, revision });
  });
}
