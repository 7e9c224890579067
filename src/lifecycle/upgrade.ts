// upgrade cluster's orchestration: kubeadm's procedure as the provider plans it (src/core/upgrade.ts), run one step
// at a time with its progress in the state store, and the spec revision with the new version written only once every
// step has finished. An interrupted or failed upgrade leaves the spec at the old version and a progress record
// (`<cluster>/upgrade/progress.json`); running the same command again resumes after the last finished step, and the
// machines' own markers make a step that finished but was not yet recorded a no-op. See docs/upgrades.md.

import { loadCluster } from '../api/index.js';
import type { Cluster } from '../api/types.js';
import { parseKubeVersion, versionChangeIssue, type KubeVersion } from '../api/version.js';
import { InvalidInputError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import type { Provider } from '../core/provider.js';
import type { UpgradeCapability, UpgradeRunContext, UpgradeStep } from '../core/upgrade.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { settleAll } from '../state/in-flight.js';
import { cloudUpgradeCapability, finishCloudUpgrade, type CloudUpgradeDeps } from './cloud-upgrade.js';
import { snapshotWaitFromEnv } from './etcd-control.js';
import { runApplyFlow } from './apply-flow.js';
import { assertNodesCanReadStore, closeClients, hasApplied, loadProviderFor, type FlowHost } from './deploy.js';
import { providerState } from './provider-state.js';
import { openKube } from './rolling-update-flow.js';
import type { KubeSide } from './rolling-update.js';
import { mutateCluster, readSpec, writeSpec, type Actor, type CurrentSpec } from './spec-store.js';

export const UPGRADE_PROGRESS_OBJECT = 'upgrade/progress.json';

export interface UpgradeProgress {
  from: string;
  to: string;
  startedAt: string;
  /** Ids of the finished steps, in the order they finished. */
  done: string[];
}

export async function readUpgradeProgress(cs: ClusterStore): Promise<UpgradeProgress | null> {
  const blob = await cs.getObject(UPGRADE_PROGRESS_OBJECT);
  return blob ? (JSON.parse(blob.data.toString('utf8')) as UpgradeProgress) : null;
}

/** An upgrade in progress must be finished before another version is asked for (exit 2, nothing written). */
export function assertSameUpgrade(name: string, progress: UpgradeProgress | null, to: string): void {
  if (progress && progress.to !== to) {
    throw new InvalidInputError(`${name}: the upgrade from ${progress.from} to ${progress.to} has not finished (${progress.done.length} steps done)`, {
      hint: `finish it first: k8sup upgrade cluster ${name} --kubernetes-version ${progress.to} --yes (docs/upgrades.md, "Recovering")`,
    });
  }
}

export interface PlannedStep extends UpgradeStep {
  done: boolean;
}

export function markDone(steps: UpgradeStep[], progress: UpgradeProgress | null): PlannedStep[] {
  const done = new Set(progress?.done ?? []);
  return steps.map((s) => ({ ...s, done: done.has(s.id) }));
}

export interface RunUpgradeOptions<C> {
  cs: ClusterStore;
  cluster: Cluster;
  capability: UpgradeCapability<C>;
  clients: C;
  steps: UpgradeStep[];
  progress: UpgradeProgress | null;
  run: UpgradeRunContext;
  io: IoHost;
  signal?: AbortSignal;
}

/** Runs the steps not yet recorded as done, recording each as it finishes. Throws at the first failure. */
export async function runUpgradeSteps<C>(o: RunUpgradeOptions<C>): Promise<UpgradeProgress> {
  const progress: UpgradeProgress = o.progress ?? { from: o.run.from, to: o.run.to, startedAt: new Date().toISOString(), done: [] };
  const save = () => o.cs.putObject(UPGRADE_PROGRESS_OBJECT, JSON.stringify(progress, null, 2) + '\n');
  // Refusals (version skew, a cloud that cannot surge) come before the first write: exit 2 leaves nothing behind.
  await o.capability.preflight?.(o.cluster, o.clients, o.run);
  await save();
  for (const step of o.steps) {
    const data = { step: step.id, action: step.action, target: step.target };
    if (progress.done.includes(step.id)) {
      o.io.emit({ code: 'upgrade.step', level: 'info', task: step.id, message: `${step.id}: done in an earlier run`, data: { ...data, phase: 'skipped' } });
      continue;
    }
    o.signal?.throwIfAborted();
    o.io.emit({ code: 'upgrade.step', level: 'info', task: step.id, message: `${step.id}: ${step.description}…`, data: { ...data, phase: 'start' } });
    try {
      const { skipped } = await o.capability.runStep(o.cluster, o.clients, step, o.run);
      progress.done.push(step.id);
      await save();
      const message = skipped ? `${step.id}: had finished already (marker on ${step.target})` : `${step.id}: done`;
      o.io.emit({ code: 'upgrade.step', level: 'info', task: step.id, message, data: { ...data, phase: skipped ? 'skipped' : 'done' } });
    } catch (e) {
      o.io.emit({ code: 'upgrade.step', level: 'error', task: step.id, message: `${step.id}: failed; the spec still says ${o.run.from}. Run the same command again to resume`, data: { ...data, phase: 'failed' } });
      throw e;
    }
  }
  return progress;
}

export async function clearUpgradeProgress(cs: ClusterStore): Promise<void> {
  await cs.deleteObject(UPGRADE_PROGRESS_OBJECT);
}

// --- the whole command's flow (src/cli/upgrade-cluster.ts keeps the flags and the rendering) ---

export interface UpgradePlanView {
  cluster: string;
  from: string;
  to: string;
  steps: PlannedStep[];
}

export interface UpgradeFlowOptions {
  store: BlobStore;
  name: string;
  target: KubeVersion;
  /** --yes: run the steps; otherwise only plan (nothing is written anywhere). */
  apply: boolean;
  actor: Actor;
  io: IoHost;
  signal?: AbortSignal;
  /** The provider's clients for the cluster (the CLI passes its connect options). */
  connect(provider: Provider<any>, cluster: Cluster): Promise<unknown>;
  /** Clouds: the Kubernetes API through an admin credential (drain, node versions, validation). */
  openKube(cs: ClusterStore, cluster: Cluster): Promise<KubeSide>;
  /** Clouds: writes the spec revision `upgraded` (expected: the revision read at the start) and applies it. */
  applyUpgraded(cs: ClusterStore, upgraded: Cluster, expectedRevision: number): Promise<number>;
  /** Shows the plan (printed before anything runs). */
  show(view: UpgradePlanView): void;
  timeouts?: CloudUpgradeDeps<unknown>['timeouts'];
  controlPlaneJoinMs?: number;
  /** Clouds: how long the etcd-snapshot step waits for a control plane (K8SUP_ETCD_SNAPSHOT_WAIT; default 10 minutes). */
  snapshotWaitMs?: number;
}

export type UpgradeFlowResult =
  | { kind: 'current'; from: string }
  | { kind: 'preview'; from: string; pending: number }
  | { kind: 'upgraded'; from: string; revision: number };

interface Prepared {
  current: CurrentSpec;
  progress: UpgradeProgress | null;
  from: string;
  upgraded: Cluster;
  steps: PlannedStep[];
  capability: UpgradeCapability<unknown>;
  clients?: unknown;
  cloud: boolean;
}

/**
 * upgrade cluster: kubeadm's procedure on bare metal (the provider's upgrade capability, over SSH) and on clouds
 * (src/lifecycle/cloud-upgrade.ts: through the bootstrap of instances launched beside / instead of the old ones).
 * The same command again resumes an interrupted upgrade and does nothing once the cluster runs the version.
 */
export async function runUpgradeFlow(o: UpgradeFlowOptions): Promise<UpgradeFlowResult> {
  const { name, target } = o;
  const prepare = async (cs: ClusterStore): Promise<Prepared | { current: CurrentSpec; from: string; done: true }> => {
    const current = await readSpec(cs, name);
    const progress = await readUpgradeProgress(cs);
    assertSameUpgrade(name, progress, target.text);
    const from = progress?.from ?? current.cluster.spec.kubernetesVersion;
    if (!progress && from === target.text) return { current, from, done: true };
    const issue = versionChangeIssue(parseKubeVersion(from)!, target);
    if (issue) throw new InvalidInputError(`${name}: ${issue.message}`, { hint: issue.hint });
    const upgraded = loadCluster({ ...current.cluster, spec: { ...current.cluster.spec, kubernetesVersion: target.text } });
    const provider = await loadProviderFor(current.cluster);
    if (provider.upgrade) {
      const steps = markDone(provider.upgrade.planUpgrade(current.cluster, target.text), progress);
      return { current, progress, from, upgraded, steps, capability: provider.upgrade, cloud: false };
    }
    if (!provider.rollingUpdate) {
      throw new InvalidInputError(`${name}: ${current.cluster.spec.cloud} has no upgrade procedure in k8sup`, { hint: 'docs/upgrades.md lists the providers that can be upgraded' });
    }
    assertNodesCanReadStore(provider, o.store.url); // exit 2 before any step
    // Planning a cloud upgrade reads the groups (which instances are on which configuration): connect first.
    const clients = await o.connect(provider, current.cluster);
    const capability = cloudUpgradeCapability(current.cluster, {
      store: o.store,
      cs,
      capability: provider.rollingUpdate,
      clients,
      openKube: () => o.openKube(cs, upgraded),
      applyUpgraded: (u) => o.applyUpgraded(cs, u, current.revision),
      io: o.io,
      signal: o.signal,
      timeouts: o.timeouts,
      controlPlaneJoinMs: o.controlPlaneJoinMs,
      snapshotWaitMs: o.snapshotWaitMs,
      actor: o.actor.owner,
    });
    const groups = await provider.rollingUpdate.listGroups(current.cluster, clients);
    const steps = markDone(capability.planFrom(groups, target.text, progress), progress);
    return { current, progress, from, upgraded, steps, capability, clients, cloud: true };
  };
  const close = (p: { clients?: unknown }) => closeClients(p.clients);

  if (!o.apply) {
    const p = await prepare(new ClusterStore(o.store, name));
    if ('done' in p) {
      o.show({ cluster: name, from: p.from, to: target.text, steps: [] });
      return { kind: 'current', from: p.from };
    }
    close(p);
    o.show({ cluster: name, from: p.from, to: target.text, steps: p.steps });
    return { kind: 'preview', from: p.from, pending: p.steps.filter((s) => !s.done).length };
  }

  return mutateCluster(o.store, name, o.actor, 'upgrade cluster', async (cs) => {
    const p = await prepare(cs);
    if ('done' in p) {
      o.show({ cluster: name, from: p.from, to: target.text, steps: [] });
      return { kind: 'current', from: p.from };
    }
    o.show({ cluster: name, from: p.from, to: target.text, steps: p.steps });
    const clients = p.clients ?? (await o.connect(await loadProviderFor(p.current.cluster), p.current.cluster));
    try {
      const run = { io: o.io, signal: o.signal, from: p.from, to: target.text, upgraded: p.upgraded };
      await runUpgradeSteps({ cs, cluster: p.current.cluster, capability: p.capability, clients, steps: p.steps, progress: p.progress, run, io: o.io, signal: o.signal });
    } finally {
      close({ clients });
    }
    // Bare metal writes the revision now that every host runs the version; clouds wrote it in their apply step.
    const { revision } = await writeSpec(cs, p.upgraded, (await cs.latest())?.revision ?? p.current.revision, o.actor, `upgrade to ${target.text}`);
    if (p.cloud) await finishCloudUpgrade(cs);
    await clearUpgradeProgress(cs);
    o.io.emit({ code: 'upgrade.done', level: 'info', message: `${name} runs Kubernetes ${target.text} (revision ${revision}).`, data: { cluster: name, from: p.from, to: target.text, revision } });
    return { kind: 'upgraded', from: p.from, revision };
  });
}

export interface UpgradeClusterInput extends FlowHost {
  store: BlobStore;
  name: string;
  target: KubeVersion;
  apply: boolean;
  actor: Actor;
  show: UpgradeFlowOptions['show'];
}

/**
 * `upgrade cluster`: a cluster with machines to upgrade runs the steps (runUpgradeFlow: bare metal over SSH, clouds
 * through new instances); one without (a cloud cluster never applied) only gets a revision with the new version,
 * which `specOnly` plans and, with --yes, applies (the CLI renders that as update cluster does).
 */
export async function upgradeClusterFlow(
  input: UpgradeClusterInput,
  specOnly: (cs: ClusterStore, current: CurrentSpec, upgraded: Cluster, revisionWritten?: number) => Promise<number>,
): Promise<UpgradeFlowResult | { kind: 'spec-only'; exitCode: number }> {
  const { store, name, target, io, signal } = input;
  const unlocked = new ClusterStore(store, name);
  const [current, progress] = await settleAll([readSpec(unlocked, name), readUpgradeProgress(unlocked)]);
  // Bad input is refused here, before any lock is taken, so it writes nothing (checked again under the lock, as
  // `prepare` does): another version while an upgrade is unfinished, and a version change upgrade refuses (down, or
  // more than one minor) from the version the cluster runs — a resumed upgrade's starting version.
  assertSameUpgrade(name, progress, target.text);
  const version = progress?.from ?? current.cluster.spec.kubernetesVersion;
  const issue = !progress && version === target.text ? undefined : versionChangeIssue(parseKubeVersion(version)!, target);
  if (issue) throw new InvalidInputError(`${name}: ${issue.message}`, { hint: issue.hint });
  const provider = await loadProviderFor(current.cluster);
  const machines = provider.upgrade !== undefined || (provider.rollingUpdate !== undefined && (await hasApplied(new ClusterStore(store, name))));
  if (!machines) {
    // The version it already has is nothing to upgrade: planning (or applying) the spec would create the cluster.
    if (current.cluster.spec.kubernetesVersion === target.text) {
      input.show({ cluster: name, from: target.text, to: target.text, steps: [] });
      return { kind: 'current', from: target.text };
    }
    return { kind: 'spec-only', exitCode: await specOnlyUpgrade(input, specOnly) };
  }
  return runUpgradeFlow({
    store,
    name,
    target,
    apply: input.apply,
    actor: input.actor,
    io,
    signal,
    show: input.show,
    snapshotWaitMs: snapshotWaitFromEnv(input.env),
    connect: (p, cluster) => p.connect(cluster, { io, env: input.env, signal, home: input.home, state: providerState(store, name), sshAcceptNew: input.sshAcceptNew === true }),
    openKube: (cs, cluster) => openKube(cs, cluster, io, signal),
    applyUpgraded: async (cs, upgraded, expected) => {
      const { revision } = await writeSpec(cs, upgraded, expected, input.actor, `upgrade to ${upgraded.spec.kubernetesVersion}`);
      // The plan of this apply is not printed: the upgrade's own plan said what it does; its events still go out.
      const applied = await runApplyFlow({ store, cs, cluster: upgraded, io, env: input.env, home: input.home, signal, revision, apply: true, offlineIfNew: false }, async () => {});
      if (applied.stage === 'terraform') throw new Error('upgrade cluster applies to the cloud directly');
      return revision;
    },
  });
}

/** The version as a new revision (written and applied under the lock with --yes; otherwise only planned). */
async function specOnlyUpgrade(
  input: UpgradeClusterInput,
  specOnly: (cs: ClusterStore, current: CurrentSpec, upgraded: Cluster, revisionWritten?: number) => Promise<number>,
): Promise<number> {
  const { store, name, target, io } = input;
  const upgraded = async (cs: ClusterStore) => {
    const current = await readSpec(cs, name);
    const issue = versionChangeIssue(parseKubeVersion(current.cluster.spec.kubernetesVersion)!, target);
    if (issue) throw new InvalidInputError(`${name}: ${issue.message}`, { hint: issue.hint });
    return { current, cluster: loadCluster({ ...current.cluster, spec: { ...current.cluster.spec, kubernetesVersion: target.text } }) };
  };
  if (!input.apply) {
    const cs = new ClusterStore(store, name);
    const { current, cluster } = await upgraded(cs);
    if (cluster.spec.kubernetesVersion !== current.cluster.spec.kubernetesVersion) {
      io.emit({ code: 'cluster.preview', level: 'info', message: `Would set ${name} to Kubernetes ${cluster.spec.kubernetesVersion} (revision ${current.revision + 1}); nothing was written.`, data: { cluster: name, revision: current.revision + 1 } });
    }
    return specOnly(cs, current, cluster);
  }
  return mutateCluster(store, name, input.actor, 'upgrade cluster', async (cs) => {
    const { current, cluster } = await upgraded(cs);
    assertNodesCanReadStore(await loadProviderFor(cluster), store.url); // exit 2 before the revision is written
    const { revision, changed } = await writeSpec(cs, cluster, current.revision, input.actor, `upgrade to ${cluster.spec.kubernetesVersion}`);
    if (changed) io.emit({ code: 'spec.revision', level: 'info', message: `Set ${name} to Kubernetes ${cluster.spec.kubernetesVersion} (revision ${revision}).`, data: { cluster: name, revision, changed } });
    return specOnly(cs, current, cluster, revision);
  });
}
