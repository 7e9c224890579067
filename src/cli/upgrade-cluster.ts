import { providerState } from '../cluster/provider-state.js';
import { loadCluster, type Cluster } from '../api/index.js';
import { parseKubeVersion, versionChangeIssue, type KubeVersion } from '../api/version.js';
import { InvalidInputError } from '../core/errors.js';
import { assertNodesCanReadStore, loadProviderFor } from '../cluster/deploy.js';
import { mutateCluster, readSpec, writeSpec, type CurrentSpec } from '../cluster/spec-store.js';
import { assertSameUpgrade, clearUpgradeProgress, markDone, readUpgradeProgress, runUpgradeSteps, type PlannedStep } from '../cluster/upgrade.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { planAndApply } from './apply-flow.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { suggest } from './suggest.js';

/**
 * upgrade cluster: kubeadm's upgrade procedure (docs/upgrades.md). Without --yes it prints the plan of steps and writes
 * nothing. With --yes it runs them one at a time — etcd snapshot, the first control plane, the other control planes,
 * then each node drained, upgraded and uncordoned — recording progress in the state store, and writes the spec
 * revision with the new version only when every step has finished. The same command again resumes an interrupted
 * upgrade, and does nothing once the cluster runs the version.
 */
export default async function upgradeCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const target = parseKubeVersion(String(opts.kubernetesVersion));
  if (!target) throw new InvalidInputError(`--kubernetes-version: "${opts.kubernetesVersion}" is not a version X.Y.Z`, { hint: 'e.g. --kubernetes-version 1.35.1' });
  const store = await ctx.openStore();
  const cs = new ClusterStore(store, name);
  const current = await readSpec(cs, name);
  const provider = await loadProviderFor(current.cluster);
  if (!provider.upgrade) return specOnlyUpgrade(ctx, store, name, target);

  const planned = async (cs: ClusterStore) => {
    const spec = await readSpec(cs, name);
    const progress = await readUpgradeProgress(cs);
    assertSameUpgrade(name, progress, target.text);
    const from = progress?.from ?? spec.cluster.spec.kubernetesVersion;
    if (!progress && from === target.text) return { spec, progress, from, upgraded: spec.cluster, steps: [] as PlannedStep[] };
    const issue = versionChangeIssue(parseKubeVersion(from)!, target);
    if (issue) throw new InvalidInputError(`${name}: ${issue.message}`, { hint: issue.hint });
    const upgraded = loadCluster({ ...spec.cluster, spec: { ...spec.cluster.spec, kubernetesVersion: target.text } });
    const steps = markDone(provider.upgrade!.planUpgrade(spec.cluster, target.text), progress);
    return { spec, progress, from, upgraded, steps };
  };
  const print = (from: string, steps: PlannedStep[]) =>
    printData(ctx, { cluster: name, from, to: target.text, steps }, {
      table: {
        headers: ['STEP', 'ACTION', 'TARGET', 'STATUS', 'WHAT'],
        rows: steps.map((s) => [s.id, s.action, s.target, s.done ? 'done' : 'pending', s.description]),
        empty: `${name} runs Kubernetes ${target.text}: nothing to upgrade`,
      },
    });

  if (!ctx.globals.yes) {
    const p = await planned(cs);
    print(p.from, p.steps);
    if (p.steps.length > 0) {
      const left = p.steps.filter((s) => !s.done).length;
      ctx.io.emit({ code: 'cluster.preview', level: 'info', message: `Would upgrade ${name} from Kubernetes ${p.from} to ${target.text} in ${left} steps; nothing was written.`, data: { cluster: name } });
      const command = suggest(ctx, `upgrade cluster ${name} --kubernetes-version ${target.text} --yes`);
      ctx.io.emit({ code: 'next', level: 'info', message: `Upgrade with: ${command}`, data: { command } });
    }
    return 0;
  }

  return mutateCluster(store, name, ctx.actor, 'upgrade cluster', async (cs) => {
    const p = await planned(cs);
    print(p.from, p.steps);
    if (p.steps.length === 0) return 0;
    const clients = await provider.connect(p.spec.cluster, { io: ctx.io, env: ctx.env, signal: ctx.signal, home: ctx.home, state: providerState(store, name), sshAcceptNew: Boolean(opts.sshAcceptNew) });
    try {
      await runUpgradeSteps({
        cs,
        cluster: p.spec.cluster,
        capability: provider.upgrade!,
        clients,
        steps: p.steps,
        progress: p.progress,
        run: { io: ctx.io, signal: ctx.signal, from: p.from, to: target.text, upgraded: p.upgraded },
        io: ctx.io,
        signal: ctx.signal,
      });
    } finally {
      (clients as { close?: () => void }).close?.();
    }
    return finish(ctx, cs, p.spec, p.upgraded, p.from, target.text);
  });
}

/** Every step finished: the spec revision with the new version, then the progress record goes. */
async function finish(ctx: CliContext, cs: ClusterStore, current: CurrentSpec, upgraded: Cluster, from: string, to: string): Promise<number> {
  const name = upgraded.metadata.name;
  const { revision } = await writeSpec(cs, upgraded, current.revision, ctx.actor, `upgrade to ${to}`);
  await clearUpgradeProgress(cs);
  ctx.io.emit({ code: 'upgrade.done', level: 'info', message: `${name} runs Kubernetes ${to} (revision ${revision}).`, data: { cluster: name, from, to, revision } });
  return 0;
}

/**
 * Providers without an upgrade capability: the version becomes a new revision and is applied (new launch templates /
 * instance templates; nodes pick the version up when rolling-update replaces them).
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
