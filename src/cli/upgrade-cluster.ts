import { loadCluster } from '../api/index.js';
import { parseKubeVersion, versionChangeIssue, type KubeVersion } from '../api/version.js';
import { runApplyFlow } from '../cluster/apply-flow.js';
import { assertNodesCanReadStore, hasApplied, loadProviderFor } from '../cluster/deploy.js';
import { providerState } from '../cluster/provider-state.js';
import { openKube } from '../cluster/rolling-update-flow.js';
import { mutateCluster, readSpec, writeSpec } from '../cluster/spec-store.js';
import { runUpgradeFlow } from '../cluster/upgrade.js';
import { InvalidInputError } from '../core/errors.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { planAndApply } from './apply-flow.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { suggest } from './suggest.js';

/**
 * upgrade cluster: the flags and the rendering; the flow is src/cluster/upgrade.ts (bare metal over SSH, clouds
 * through the bootstrap of new instances: src/cluster/cloud-upgrade.ts; docs/upgrades.md). Without --yes it prints
 * the plan of steps and writes nothing. With --yes it runs them one at a time, recording progress in the state store;
 * the same command again resumes an interrupted upgrade, and does nothing once the cluster runs the version.
 */
export default async function upgradeCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const target = parseKubeVersion(String(opts.kubernetesVersion));
  if (!target) throw new InvalidInputError(`--kubernetes-version: "${opts.kubernetesVersion}" is not a version X.Y.Z`, { hint: 'e.g. --kubernetes-version 1.35.1' });
  const store = await ctx.openStore();
  const cs = new ClusterStore(store, name);
  const current = await readSpec(cs, name);
  const provider = await loadProviderFor(current.cluster);
  // A cloud cluster nothing was applied from yet has no machines to upgrade: the version is only a new revision.
  const machines = provider.upgrade !== undefined || (provider.rollingUpdate !== undefined && (await hasApplied(cs)));
  if (!machines) return specOnlyUpgrade(ctx, store, name, target);

  const result = await runUpgradeFlow({
    store,
    name,
    target,
    apply: Boolean(ctx.globals.yes),
    actor: ctx.actor,
    io: ctx.io,
    signal: ctx.signal,
    connect: (p, cluster) => p.connect(cluster, { io: ctx.io, env: ctx.env, signal: ctx.signal, home: ctx.home, state: providerState(store, name), sshAcceptNew: Boolean(opts.sshAcceptNew) }),
    openKube: (cs, cluster) => openKube(cs, cluster, ctx.io, ctx.signal),
    applyUpgraded: async (cs, upgraded, expected) => {
      const { revision } = await writeSpec(cs, upgraded, expected, ctx.actor, `upgrade to ${upgraded.spec.kubernetesVersion}`);
      // The plan of this apply is not printed: the upgrade's own plan said what it does; its events still go out.
      const applied = await runApplyFlow({ store, cs, cluster: upgraded, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, revision, apply: true, offlineIfNew: false }, async () => {});
      if (applied.stage === 'terraform') throw new Error('upgrade cluster applies to the cloud directly');
      return revision;
    },
    show: (view) =>
      printData(ctx, view, {
        table: {
          headers: ['STEP', 'ACTION', 'TARGET', 'STATUS', 'WHAT'],
          rows: view.steps.map((s) => [s.id, s.action, s.target, s.done ? 'done' : 'pending', s.description]),
          empty: `${name} runs Kubernetes ${target.text}: nothing to upgrade`,
        },
      }),
  });
  if (result.kind === 'preview') {
    ctx.io.emit({ code: 'cluster.preview', level: 'info', message: `Would upgrade ${name} from Kubernetes ${result.from} to ${target.text} in ${result.pending} steps; nothing was written.`, data: { cluster: name } });
    const command = suggest(ctx, `upgrade cluster ${name} --kubernetes-version ${target.text} --yes`);
    ctx.io.emit({ code: 'next', level: 'info', message: `Upgrade with: ${command}`, data: { command } });
  }
  return 0;
}

/**
 * A cluster without machines to upgrade (a cloud cluster never applied, a provider without either capability): the
 * version becomes a new revision and is applied.
 */
async function specOnlyUpgrade(ctx: CliContext, store: BlobStore, name: string, target: KubeVersion): Promise<number> {
  const upgraded = async (cs: ClusterStore) => {
    const current = await readSpec(cs, name);
    const issue = versionChangeIssue(parseKubeVersion(current.cluster.spec.kubernetesVersion)!, target);
    if (issue) throw new InvalidInputError(`${name}: ${issue.message}`, { hint: issue.hint });
    const cluster = loadCluster({ ...current.cluster, spec: { ...current.cluster.spec, kubernetesVersion: target.text } });
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
