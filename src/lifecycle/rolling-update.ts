// rolling-update, cloud-agnostic: which instances run an out-of-date configuration (pure planning over what the
// provider lists), and replacing them one group at a time, one instance at a time, control planes first:
// drain the node → delete its Node object → replace the instance and wait for the group → validate the cluster.
// Control planes only with 3 or more (etcd keeps quorum while one is replaced; the nodes' bootstrap removes the old
// etcd member, see docs/rolling-update.md). Nothing here prints: progress is typed events on the IoHost; the CLI renders the plan and the outcome.

import type { Cluster } from '../api/types.js';
import { InvalidInputError, OperationError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import type { CloudInstanceGroup, GroupInstance, RollingUpdateCapability } from '../core/provider.js';
import type { ValidationReport } from '../validate/types.js';
import { drainNode, findNode, type NodeOps } from './rolling-update-kube.js';

export const CONTROL_PLANE_GROUP = 'control-plane';

export interface RollingUpdateSelection {
  /** Replace up-to-date instances too. */
  force: boolean;
  /** Only this spec group ('control-plane' or a node group's name). */
  instanceGroup?: string;
  /**
   * When false, --force does not pull up-to-date control-plane instances into an unscoped run (the CLI passes
   * `controlPlaneRollable(cluster)`: a single control plane cannot be replaced, see checkControlPlaneRoll). Default true.
   */
  forceControlPlane?: boolean;
}

export interface PlannedInstance extends GroupInstance {
  /** Selected for replacement (needs update, or --force). */
  replace: boolean;
}

export interface PlannedGroup extends Omit<CloudInstanceGroup, 'instances'> {
  instances: PlannedInstance[];
}

export interface RollingUpdatePlan {
  cluster: string;
  groups: PlannedGroup[];
  /** Instances selected for replacement, in the order they will be replaced. */
  toReplace: number;
}

/** The spec's groups, for checking --instance-group before any cloud call. */
export function specGroups(cluster: Cluster): string[] {
  return [CONTROL_PLANE_GROUP, ...cluster.spec.nodeGroups.map((g) => g.name)];
}

export function checkInstanceGroup(cluster: Cluster, group: string | undefined): void {
  if (group === undefined) return;
  const known = specGroups(cluster);
  if (!known.includes(group)) {
    throw new InvalidInputError(`--instance-group: "${group}" is not a group of ${cluster.metadata.name} (groups: ${known.join(', ')})`, {
      hint: 'pass control-plane or one of spec.nodeGroups[].name',
    });
  }
}

/** Pure: the plan, control-plane groups first, then node groups in spec order. */
export function planRollingUpdate(cluster: Cluster, groups: CloudInstanceGroup[], sel: RollingUpdateSelection): RollingUpdatePlan {
  checkInstanceGroup(cluster, sel.instanceGroup);
  const order = specGroups(cluster);
  const rank = (g: CloudInstanceGroup) => (order.includes(g.group) ? order.indexOf(g.group) : order.length);
  const planned = groups
    .filter((g) => sel.instanceGroup === undefined || g.group === sel.instanceGroup)
    .slice()
    .sort((a, b) => rank(a) - rank(b) || a.cloudName.localeCompare(b.cloudName))
    .map((g): PlannedGroup => {
      const forced = sel.force && (g.role !== 'control-plane' || sel.forceControlPlane !== false || sel.instanceGroup === CONTROL_PLANE_GROUP);
      return { ...g, instances: g.instances.map((i) => ({ ...i, replace: forced || i.needsUpdate })) };
    });
  return { cluster: cluster.metadata.name, groups: planned, toReplace: planned.reduce((n, g) => n + g.instances.filter((i) => i.replace).length, 0) };
}

/** The API side; absent when the API was not reachable and --force said to go on without it. */
export interface KubeSide {
  ops: NodeOps;
  /** Validates the cluster, retrying for up to `waitMs`. */
  validate(waitMs: number): Promise<ValidationReport>;
}

export interface RollingUpdateTimeouts {
  /** Drain: cordon + evictions (default 5 minutes). */
  drainMs: number;
  /** The group being whole again on the current configuration (default 15 minutes). */
  replaceMs: number;
  /** Validation after each replacement (default 10 minutes). */
  validateMs: number;
  /** Poll interval for drain and cloud waits (provider default when unset). */
  pollMs?: number;
}

export const DEFAULT_TIMEOUTS: RollingUpdateTimeouts = { drainMs: 5 * 60_000, replaceMs: 15 * 60_000, validateMs: 10 * 60_000 };

export interface RollingUpdateDeps<C> {
  cluster: Cluster;
  capability: RollingUpdateCapability<C>;
  clients: C;
  /** How to reach the API; undefined means run cloud-only (only allowed with force). */
  openKube?: () => Promise<KubeSide>;
  io: IoHost;
  signal?: AbortSignal;
  force: boolean;
  /** Whether the run was limited with --instance-group (only the wording of a refusal depends on it). */
  scoped: boolean;
  /**
   * Runs once, before the first control-plane instance is drained or replaced (the etcd snapshot of
   * rolling-update-flow.ts); a failure stops the run with nothing changed.
   */
  beforeControlPlane?: () => Promise<void>;
  timeouts?: Partial<RollingUpdateTimeouts>;
}

export interface ReplacedInstance {
  group: string;
  cloudGroup: string;
  instance: string;
  node?: string;
  drained: boolean;
  validated: boolean;
}

export interface RollingUpdateResult {
  replaced: ReplacedInstance[];
}

function summarize(report: ValidationReport): string {
  return report.failures.slice(0, 3).map((f) => f.message).join('; ') + (report.failures.length > 3 ? ` (+${report.failures.length - 3} more)` : '');
}

/** Fewer control planes than this cannot lose one to a replacement: etcd would lose quorum or its only copy. */
export const MIN_ROLLABLE_CONTROL_PLANES = 3;

/**
 * Whether rolling-update may replace this cluster's control planes. With 3 or more, one at a time keeps etcd's quorum:
 * the leaving member is removed before its replacement joins (k8sup-etcd-leave at shutdown, and the joiner's stale
 * member cleanup; docs/rolling-update.md). A single control plane takes etcd's data with it.
 */
export function controlPlaneRollable(cluster: Cluster): boolean {
  return cluster.spec.controlPlane.count >= MIN_ROLLABLE_CONTROL_PLANES;
}

/** Refuses, before anything changes, to replace control planes of a cluster that cannot afford to lose one. */
export function checkControlPlaneRoll(plan: RollingUpdatePlan, cluster: Cluster, scoped: boolean): void {
  if (controlPlaneRollable(cluster)) return;
  const cp = plan.groups.filter((g) => g.role === 'control-plane').flatMap((g) => g.instances.filter((i) => i.replace));
  if (!cp.length) return;
  const count = cluster.spec.controlPlane.count;
  const what = `${cp.length} control-plane instance(s) of ${cluster.metadata.name} ${scoped ? 'selected' : 'need replacing'} (${cp.map((i) => i.id).join(', ')})`;
  // spec.controlPlane.count is odd (api rules), so below 3 means a single control plane.
  const why = `but it has ${count} control plane${count === 1 ? '' : 's'}: a replaced control plane takes its etcd member with it, and with fewer than ${MIN_ROLLABLE_CONTROL_PLANES} that is etcd's quorum and all of its data`;
  const nodesFirst = scoped ? '' : ' Node groups can be rolled on their own with --instance-group NAME (mind the kubelet/API server version skew).';
  throw new InvalidInputError(`${what}, ${why}; rolling-update replaces control planes only when there are at least ${MIN_ROLLABLE_CONTROL_PLANES}`, {
    hint: `take a backup first (k8sup backup cluster ${cluster.metadata.name}; it needs spec.etcd.backups), replace the instance yourself and restore that backup on it as docs/backups.md, "After losing the only control plane", describes; clusters that must be rolled without downtime need spec.controlPlane.count: ${MIN_ROLLABLE_CONTROL_PLANES} (--control-plane-zones).${nodesFirst} See docs/rolling-update.md.`,
  });
}

/** Replaces every selected instance of the plan. Throws on the first failure; what was replaced so far stays replaced. */
export async function runRollingUpdate<C>(plan: RollingUpdatePlan, deps: RollingUpdateDeps<C>): Promise<RollingUpdateResult> {
  const t = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  const { io } = deps;
  const replaced: ReplacedInstance[] = [];
  if (plan.toReplace === 0) return { replaced };
  checkControlPlaneRoll(plan, deps.cluster, deps.scoped);

  let kube: KubeSide | undefined;
  let unreachable: string | undefined;
  try {
    kube = deps.openKube ? await deps.openKube() : undefined;
    if (kube) await kube.ops.listNodes();
    else unreachable = 'no Kubernetes API endpoint is known for this cluster';
  } catch (e) {
    if (e instanceof InvalidInputError) throw e;
    unreachable = (e as Error).message;
    kube = undefined;
  }
  if (!kube) {
    if (!deps.force) {
      throw new OperationError(`the Kubernetes API is not reachable (${unreachable}); rolling-update drains each node and validates the cluster between replacements`, {
        hint: 'fix access to the API server (k8sup validate cluster NAME shows why), or pass --force to replace instances without draining or validating',
      });
    }
    io.emit({ code: 'rolling-update.cloud-only', level: 'warn', message: `the Kubernetes API is not reachable (${unreachable}); --force: replacing instances without draining or validating` });
  } else {
    const before = await kube.validate(0);
    if (!before.valid) {
      if (!deps.force) {
        throw new OperationError(`cluster ${plan.cluster} is not valid before the rolling update: ${summarize(before)}`, {
          hint: 'fix the cluster first (k8sup validate cluster NAME), or pass --force to roll it anyway',
        });
      }
      io.emit({ code: 'rolling-update.invalid-before', level: 'warn', message: `cluster is not valid before the rolling update (${summarize(before)}); --force: continuing` });
    }
  }

  let index = 0;
  let controlPlaneReady = false;
  for (const group of plan.groups) {
    const selected = group.instances.filter((i) => i.replace);
    if (!selected.length) continue;
    if (group.role === 'control-plane' && !controlPlaneReady) {
      await deps.beforeControlPlane?.();
      controlPlaneReady = true;
    }
    io.emit({ code: 'rolling-update.group', level: 'info', message: `group ${group.group} (${group.cloudName}): replacing ${selected.length} instance(s)`, task: group.cloudName, data: { group: group.group, count: selected.length } });
    let current: CloudInstanceGroup = group;
    for (const instance of selected) {
      if (deps.signal?.aborted) throw interrupted(replaced, plan.toReplace);
      index++;
      io.emit({ code: 'rolling-update.instance.start', level: 'info', message: `[${index}/${plan.toReplace}] replacing ${instance.id} (${group.group})`, task: instance.id, data: { group: group.group, instance: instance.id, version: instance.version, current: group.currentVersion } });
      const record: ReplacedInstance = { group: group.group, cloudGroup: group.cloudName, instance: instance.id, drained: false, validated: false };
      if (kube) {
        const node = findNode(await kube.ops.listNodes(), instance.id, instance.nodeNames);
        if (!node) {
          io.emit({ code: 'rolling-update.no-node', level: 'warn', message: `instance ${instance.id} has no Kubernetes node (looked for ${instance.nodeNames.join(', ') || 'its provider id'}); nothing to drain`, task: instance.id });
        } else {
          record.node = node.name;
          const drained = await drainNode(kube.ops, node.name, { timeoutMs: t.drainMs, pollMs: t.pollMs, io, signal: deps.signal });
          if (drained.remaining.length) {
            const names = drained.remaining.map((p) => `${p.namespace}/${p.name}`).join(', ');
            if (!deps.force) {
              throw new OperationError(`node ${node.name} could not be drained within ${Math.round(t.drainMs / 1000)}s: ${names} still there (a PodDisruptionBudget?)`, {
                hint: 'the node stays cordoned; fix the blocking budget and re-run, or pass --force to replace it anyway',
              });
            }
            io.emit({ code: 'rolling-update.drain-incomplete', level: 'warn', message: `node ${node.name}: ${names} not evicted in time; --force: replacing anyway`, task: instance.id });
          } else {
            record.drained = true;
          }
          // Without a cloud-controller-manager nobody removes the Node of a terminated instance. On a control plane the
          // missing Node is also what tells k8sup-etcd-leave, at the instance's shutdown, to remove its etcd member.
          await kube.ops.deleteNode(node.name);
          io.emit({ code: 'rolling-update.node-deleted', level: 'info', message: `deleted node ${node.name} (${drained.evicted} pod(s) evicted)`, task: instance.id });
          if (group.role === 'control-plane') {
            io.emit({ code: 'rolling-update.etcd-member', level: 'info', message: `etcd: ${node.name} removes its member at shutdown (k8sup-etcd-leave); if it cannot, its replacement removes it before joining`, task: instance.id, data: { node: node.name } });
          }
        }
      }
      current = await deps.capability.replaceInstance(deps.cluster, deps.clients, current, instance, { io, signal: deps.signal, timeoutMs: t.replaceMs, pollMs: t.pollMs });
      io.emit({ code: 'rolling-update.replaced', level: 'info', message: `${group.cloudName} is back to ${current.desired} instance(s) on ${current.currentVersion}`, task: instance.id });
      if (kube) {
        const report = await kube.validate(t.validateMs);
        if (!report.valid) {
          replaced.push(record);
          throw new OperationError(`cluster ${plan.cluster} did not validate within ${Math.round(t.validateMs / 1000)}s after replacing ${instance.id}: ${summarize(report)}`, {
            hint: `stopped with ${plan.toReplace - replaced.length} instance(s) left; check with \`k8sup validate cluster ${plan.cluster}\`, then re-run rolling-update`,
          });
        }
        record.validated = true;
      }
      replaced.push(record);
      io.emit({ code: 'rolling-update.instance.done', level: 'info', message: `[${index}/${plan.toReplace}] replaced ${instance.id}${record.validated ? '; cluster valid' : ''}`, task: instance.id });
    }
  }
  return { replaced };
}

function interrupted(replaced: ReplacedInstance[], total: number): OperationError {
  return new OperationError(`interrupted after replacing ${replaced.length} of ${total} instance(s)`, { hint: 're-run rolling-update to continue with the rest' });
}
