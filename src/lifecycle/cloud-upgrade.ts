// upgrade cluster on a cloud (AWS, GCE): kubeadm's procedure carried by the bootstrap, one group at a time
// (docs/upgrades.md, "Clouds"). k8sup cannot run commands on cloud instances, so the new version travels in the
// bootstrap bundle, and the instances of the new version are launched beside (control planes) or instead of (nodes)
// the old ones:
//
//   etcd-snapshot            a fresh etcd snapshot, taken by a control plane through the control folder
//   apply                    the spec revision with the new version and its launch/instance templates; the store
//                            object bootstrap/upgrade tells a lone first control plane that it may join beside the old one
//   control-plane/<id>       one control plane of the new version launched beside <id> (the group grows by one): it
//                            joins, and the first one finds the cluster older than itself, snapshots etcd and runs
//                            kubeadm upgrade plan/apply; once it is Ready on the new version <id> is drained, its Node
//                            deleted (k8sup-etcd-leave removes its etcd member) and the group shrinks back
//   validate-control-plane   every control-plane node runs the new version and the cluster validates
//   roll/<group>             rolling-update of each node group onto the new bundle (drain, replace, validate)
//   validate                 every node runs the new version and the cluster validates
//
// Surging keeps etcd's data without a separate volume: the old member stays until the new one has joined, so a
// single control plane (the default) is upgraded like an HA one. Progress is the same record as on bare metal
// (src/lifecycle/upgrade.ts); every step is idempotent against what the cloud and the API report.

import type { Cluster } from '../api/types.js';
import { isSupported, parseKubeVersion, supportedRange } from '../api/version.js';
import { InvalidInputError, OperationError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import type { CloudInstanceGroup, GroupInstance, RollingUpdateCapability } from '../core/provider.js';
import { pollDelay, sleep } from '../core/sleep.js';
import type { UpgradeCapability, UpgradeRunContext, UpgradeStep } from '../core/upgrade.js';
import type { BlobStore } from '../state/blob.js';
import type { ClusterStore } from '../state/cluster-store.js';
import { snapshotBeforeChange } from './snapshot-before-change.js';
import { recordUpgradeOrigin } from './upgrade-origin.js';
import { kubeletSkewIssue } from './version-skew.js';
import { planRollingUpdate, runRollingUpdate, DEFAULT_TIMEOUTS, CONTROL_PLANE_GROUP, type KubeSide, type RollingUpdateTimeouts } from './rolling-update.js';
import { drainNode, findNode, type NodeRef } from './rolling-update-kube.js';
import { loadProviderFor } from './deploy.js';

/** What planning needs of the progress record (src/lifecycle/upgrade.ts): the finished step ids. */
type Progress = { done: string[] } | null;

/** Store object (relative to the cluster's folder) a lone first control plane of the new version looks for. */
export const UPGRADE_MARKER_OBJECT = 'bootstrap/upgrade';

export interface CloudUpgradeDeps<C> {
  store: BlobStore;
  cs: ClusterStore;
  capability: RollingUpdateCapability<C>;
  clients: C;
  openKube: () => Promise<KubeSide>;
  /** Writes the spec revision with the new version and applies it to the cloud; returns the revision. */
  applyUpgraded: (upgraded: Cluster) => Promise<number>;
  io: IoHost;
  signal?: AbortSignal;
  timeouts?: Partial<RollingUpdateTimeouts>;
  /** How long a new control plane may take to join and report Ready on the new version (default 30 minutes). */
  controlPlaneJoinMs?: number;
  /** How long the etcd-snapshot step waits for a control plane to answer (default 10 minutes), and who asks. */
  snapshotWaitMs?: number;
  actor?: string;
}

const controlPlaneStep = (i: GroupInstance, to: string): UpgradeStep => ({
  id: `control-plane/${i.id}`,
  action: 'roll',
  target: i.id,
  description: `launch a control plane of ${to} beside ${i.id} (it joins; the first one snapshots etcd and runs kubeadm upgrade plan/apply v${to}), wait until it is Ready on v${to}, then drain and remove ${i.id}`,
});

/**
 * The steps from what the cloud runs now. Control-plane steps name the instances still on an older configuration
 * (before `apply` every instance is: nothing was applied yet); node groups roll as a whole, each instance in turn.
 */
export function planCloudUpgrade(cluster: Cluster, groups: CloudInstanceGroup[], to: string, progress: Progress): UpgradeStep[] {
  const applied = progress?.done.includes('apply') ?? false;
  const controlPlanes = groups.filter((g) => g.role === 'control-plane').flatMap((g) => g.instances.filter((i) => !applied || i.needsUpdate));
  const doneControlPlanes = (progress?.done ?? []).filter((id) => id.startsWith('control-plane/') && !controlPlanes.some((i) => `control-plane/${i.id}` === id));
  return [
    { id: 'etcd-snapshot', action: 'etcd-snapshot', target: cluster.metadata.name, description: 'a fresh etcd snapshot, taken by a control plane through the state store\'s control folder' },
    { id: 'apply', action: 'apply', target: cluster.metadata.name, description: `write the spec revision with ${to} and apply it: new launch templates and bootstrap bundles (running instances keep their version until replaced)` },
    // Finished control-plane steps of an interrupted run stay listed (their instances are gone), so the plan reads whole.
    ...doneControlPlanes.map((id) => ({ id, action: 'roll' as const, target: id.slice('control-plane/'.length), description: 'replaced by a control plane of the new version' })),
    ...controlPlanes.map((i) => controlPlaneStep(i, to)),
    { id: 'validate-control-plane', action: 'validate', target: CONTROL_PLANE_GROUP, description: `every control-plane node runs v${to} and the cluster validates` },
    ...cluster.spec.nodeGroups.map((g) => ({ id: `roll/${g.name}`, action: 'roll' as const, target: g.name, description: `replace ${g.name}'s instances one at a time onto ${to} (drain, replace, validate)` })),
    { id: 'validate', action: 'validate', target: cluster.metadata.name, description: `every node runs v${to} and the cluster validates` },
  ];
}

const wantVersion = (to: string) => `v${to}`;

/** Waits until `ok(nodes)` holds (bounded), polling the API. */
async function waitForNodes(kube: KubeSide, ok: (nodes: NodeRef[]) => boolean, what: string, timeoutMs: number, pollMs: number, signal?: AbortSignal): Promise<NodeRef[]> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; ; round++) {
    const nodes = await kube.ops.listNodes();
    if (ok(nodes)) return nodes;
    const delay = pollDelay(round, pollMs);
    if (Date.now() + delay > deadline) {
      const seen = nodes.map((n) => `${n.name} ${n.kubeletVersion ?? '?'}${n.ready ? '' : ' NotReady'}`).join(', ') || 'no nodes';
      throw new OperationError(`${what} within ${Math.round(timeoutMs / 1000)}s (nodes: ${seen})`, {
        hint: 'look at the new instance\'s bootstrap (k8sup get instances, its console output / journal of k8sup-bootstrap); run the same upgrade again to continue',
      });
    }
    await sleep(delay, signal);
  }
}

/** The cloud side of `upgrade cluster` as an UpgradeCapability, so src/lifecycle/upgrade.ts runs it like bare metal's. */
export function cloudUpgradeCapability<C>(cluster: Cluster, deps: CloudUpgradeDeps<C>): UpgradeCapability<C> & { planFrom(groups: CloudInstanceGroup[], to: string, progress: Progress): UpgradeStep[] } {
  const t = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  const pollMs = t.pollMs ?? 5000;
  let kube: KubeSide | undefined;
  const api = async () => (kube ??= await deps.openKube());
  const groupsNow = () => deps.capability.listGroups(cluster, deps.clients);

  async function controlPlaneStepRun(step: UpgradeStep, ctx: UpgradeRunContext): Promise<{ skipped: boolean }> {
    // The control-plane group holding the instance (GCE has one per zone): gone from all of them means done.
    const cp = (await groupsNow()).find((g) => g.role === 'control-plane' && g.instances.some((i) => i.id === step.target));
    const old = cp?.instances.find((i) => i.id === step.target);
    if (!cp || !old) return { skipped: true };
    if (!old.needsUpdate) throw new OperationError(`control plane ${old.id} already runs the group's current configuration`, { hint: 'the apply step did not change the control-plane template; run the same upgrade again' });
    const k = await api();
    const before = await k.ops.listNodes();
    const oldNode = findNode(before, old.id, old.nodeNames);
    const grown = await deps.capability.surgeInstance!(cluster, deps.clients, cp, { io: deps.io, signal: deps.signal, timeoutMs: t.replaceMs, pollMs: t.pollMs });
    // Every instance on the new configuration (this step's and earlier steps' ones) must be a Ready node of the version.
    const fresh = grown.instances.filter((i) => !i.needsUpdate);
    deps.io.emit({ code: 'note', level: 'info', task: step.id, message: `${step.id}: ${fresh.map((i) => i.id).join(', ')} runs the ${ctx.to} bootstrap; waiting until it has joined and is Ready on ${wantVersion(ctx.to)}` });
    const upgradedNode = (nodes: NodeRef[], i: GroupInstance) => {
      const n = findNode(nodes, i.id, i.nodeNames);
      return Boolean(n?.ready && n.kubeletVersion === wantVersion(ctx.to));
    };
    await waitForNodes(
      k,
      (nodes) => fresh.length > 0 && fresh.every((i) => upgradedNode(nodes, i)),
      `no control plane of ${ctx.to} (${fresh.map((i) => i.id).join(', ')}) became a Ready node`,
      deps.controlPlaneJoinMs ?? 30 * 60_000,
      pollMs,
      deps.signal,
    );
    if (oldNode) {
      const drained = await drainNode(k.ops, oldNode.name, { timeoutMs: t.drainMs, pollMs, io: deps.io, signal: deps.signal });
      if (drained.remaining.length) {
        throw new OperationError(`node ${oldNode.name} could not be drained within ${Math.round(t.drainMs / 1000)}s: ${drained.remaining.map((p) => `${p.namespace}/${p.name}`).join(', ')} still there`, {
          hint: 'the node stays cordoned; fix the blocking PodDisruptionBudget and run the same upgrade again',
        });
      }
      // The missing Node tells k8sup-etcd-leave, at the old instance's shutdown, to remove its etcd member.
      await k.ops.deleteNode(oldNode.name);
    }
    await deps.capability.retireInstance!(cluster, deps.clients, grown, old, { io: deps.io, signal: deps.signal, timeoutMs: t.replaceMs, pollMs: t.pollMs });
    return { skipped: false };
  }

  async function validateVersions(step: UpgradeStep, ctx: UpgradeRunContext, controlPlanesOnly: boolean): Promise<{ skipped: boolean }> {
    const k = await api();
    const groups = (await groupsNow()).filter((g) => !controlPlanesOnly || g.role === 'control-plane');
    const instances = groups.flatMap((g) => g.instances);
    const stale = (nodes: NodeRef[]) => instances.filter((i) => findNode(nodes, i.id, i.nodeNames)?.kubeletVersion !== wantVersion(ctx.to));
    await waitForNodes(k, (nodes) => stale(nodes).length === 0, `${controlPlanesOnly ? 'the control planes' : 'the nodes'} of ${cluster.metadata.name} do not all run ${wantVersion(ctx.to)}`, t.validateMs, pollMs, deps.signal);
    const report = await k.validate(t.validateMs);
    if (!report.valid) {
      throw new OperationError(`${cluster.metadata.name} does not validate after ${step.id}: ${report.failures.slice(0, 3).map((f) => f.message).join('; ')}`, {
        hint: `check with \`k8sup validate cluster ${cluster.metadata.name}\`, then run the same upgrade again`,
      });
    }
    return { skipped: false };
  }

  /**
   * A run killed inside a retire, after the old instance was removed and before the group's surge limits were put
   * back (AWS: MaxSize), has no step left for it (the instance is gone): every control-plane group gets the rest of
   * a retire again — for an instance that has already left it only restores what the surge changed.
   */
  async function finishRetires(): Promise<void> {
    const left: GroupInstance = { id: '(removed by an interrupted run)', version: '', needsUpdate: true, status: 'gone', nodeNames: [] };
    for (const g of (await groupsNow()).filter((x) => x.role === 'control-plane')) {
      await deps.capability.retireInstance!(cluster, deps.clients, g, left, { io: deps.io, signal: deps.signal, timeoutMs: t.replaceMs, pollMs: t.pollMs });
    }
  }

  return {
    planUpgrade: () => {
      throw new Error('cloud upgrades are planned from the cloud\'s groups: planFrom');
    },
    planFrom: (groups, to, progress) => planCloudUpgrade(cluster, groups, to, progress),

    /** Version skew: every kubelet must stay within the skew policy for the whole roll (src/lifecycle/version-skew.ts). */
    async preflight(_cluster, _clients, ctx) {
      if (!deps.capability.surgeInstance || !deps.capability.retireInstance) {
        throw new InvalidInputError(`${cluster.metadata.name}: ${cluster.spec.cloud} cannot launch a control plane beside the running one yet, so k8sup cannot upgrade it`, { hint: 'see docs/upgrades.md, "Clouds"' });
      }
      const [from, to] = [parseKubeVersion(ctx.from)!, parseKubeVersion(ctx.to)!];
      // The first new control plane joins with A's packages (kubeadm's skew rule): the bundle needs A's pins.
      if (!isSupported(from)) {
        throw new InvalidInputError(`${cluster.metadata.name}: cannot upgrade from ${ctx.from} on ${cluster.spec.cloud}: this k8sup has no pinned packages for Kubernetes ${ctx.from}, which the new control planes must join with`, {
          hint: `upgrade it to a version this k8sup supports (${supportedRange()}) with the k8sup release that installed ${ctx.from}; docs/upgrades.md, "Why launched beside"`,
        });
      }
      const nodes = await (await api()).ops.listNodes();
      const off = nodes.flatMap((n) => {
        const issue = n.kubeletVersion === undefined ? null : kubeletSkewIssue(n.kubeletVersion, from, to);
        return issue ? [`node ${n.name} ${issue}`] : [];
      });
      if (off.length) {
        throw new InvalidInputError(`${cluster.metadata.name}: cannot upgrade from ${ctx.from} to ${ctx.to}: ${off.join('; ')}`, {
          hint: `bring every node to ${ctx.from} first (k8sup rolling-update cluster ${cluster.metadata.name} --yes) and upgrade one minor version at a time; docs/upgrades.md, "Version skew"`,
        });
      }
    },

    async runStep(_cluster, _clients, step, ctx) {
      switch (step.id) {
        case 'etcd-snapshot': {
          const provider = await loadProviderFor(cluster);
          await snapshotBeforeChange({ store: deps.store, cluster, provider, clients: deps.clients, io: deps.io, waitMs: deps.snapshotWaitMs, signal: deps.signal, by: deps.actor });
          return { skipped: false };
        }
        case 'apply': {
          // Before the new templates exist: a lone first control plane of the new version may then join the old one.
          await deps.cs.putObject(UPGRADE_MARKER_OBJECT, `from=${ctx.from}\nto=${ctx.to}\n`);
          // The bundles of the new revision: control planes join with kubeadm of ctx.from, then upgrade the cluster.
          await recordUpgradeOrigin(deps.cs, { from: ctx.from, to: ctx.to });
          const revision = await deps.applyUpgraded(ctx.upgraded);
          deps.io.emit({ code: 'upgrade.revision', level: 'info', task: step.id, message: `${cluster.metadata.name}: revision ${revision} says Kubernetes ${ctx.to}; its instances are replaced next`, data: { cluster: cluster.metadata.name, from: ctx.from, to: ctx.to, revision } });
          return { skipped: false };
        }
        case 'validate-control-plane': {
          await finishRetires();
          const validated = await validateVersions(step, ctx, true);
          // Workers of the new version wait for this line before they join: a kubelet is never newer than any
          // kube-apiserver (templates/bootstrap/worker-upgrade-wait.sh).
          await deps.cs.putObject(UPGRADE_MARKER_OBJECT, `from=${ctx.from}\nto=${ctx.to}\ncontrol-planes=${ctx.to}\n`);
          return validated;
        }
        case 'validate':
          return validateVersions(step, ctx, false);
      }
      if (step.id.startsWith('control-plane/')) return controlPlaneStepRun(step, ctx);
      if (step.id.startsWith('roll/')) {
        const plan = planRollingUpdate(ctx.upgraded, await groupsNow(), { force: false, instanceGroup: step.target });
        if (plan.toReplace === 0) return { skipped: true };
        await runRollingUpdate(plan, { cluster: ctx.upgraded, capability: deps.capability, clients: deps.clients, openKube: api, io: deps.io, signal: deps.signal, force: false, scoped: true, timeouts: deps.timeouts });
        return { skipped: false };
      }
      throw new Error(`unknown upgrade step ${step.id}`);
    },
  };
}

/** After the last step: the marker for lone control planes goes (a later replacement must refuse again). */
export async function finishCloudUpgrade(cs: ClusterStore): Promise<void> {
  await cs.deleteObject(UPGRADE_MARKER_OBJECT);
}
