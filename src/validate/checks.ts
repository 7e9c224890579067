// Pure evaluators: Kubernetes objects in, failures out. No I/O here, so every rule is unit-testable.

import type { V1DaemonSet, V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Cluster } from '../api/types.js';
import { FailureType, type NodeStatus, type ValidationFailure } from './types.js';
import { CNIS } from '../api/cni.js';
import { NODE_GROUP_LABEL } from '../api/labels.js';

export { NODE_GROUP_LABEL } from '../api/labels.js';
export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const CONTROL_PLANE_GROUP = 'control-plane';
export const SYSTEM_NAMESPACE = 'kube-system';
/** kubeadm's static pods, labelled `component=<name>` and named `<name>-<node>`. */
export const CONTROL_PLANE_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;
export const CRITICAL_PRIORITY_CLASSES = new Set(['system-cluster-critical', 'system-node-critical']);

function condition(obj: { status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } }, type: string) {
  return obj.status?.conditions?.find((c) => c.type === type);
}

// ---------------------------------------------------------------- readyz

/** `/readyz?verbose` answers 200 when all checks pass; otherwise a non-200 with `[-]<check> failed: <reason>` lines. */
export function evaluateReadyz(statusCode: number, body: string, server: string): ValidationFailure[] {
  if (statusCode === 200) return [];
  const failed = body
    .split('\n')
    .map((line) => /^\[-\](\S+) failed:?\s*(.*)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null);
  if (failed.length === 0) {
    const snippet = body.trim().split('\n')[0]?.slice(0, 200) ?? '';
    return [{ type: FailureType.API, name: server, message: `/readyz answered HTTP ${statusCode}${snippet ? `: ${snippet}` : ''}` }];
  }
  return failed.map(([, check, reason]) => ({
    type: FailureType.READYZ,
    name: check,
    message: `API server readiness check "${check}" failed${reason ? `: ${reason}` : ''}`,
  }));
}

// ---------------------------------------------------------------- nodes

export function nodeStatus(node: V1Node): NodeStatus {
  const labels = node.metadata?.labels ?? {};
  const ready = condition(node, 'Ready')?.status === 'True' && condition(node, 'NetworkUnavailable')?.status !== 'True';
  return {
    name: node.metadata?.name ?? '',
    role: CONTROL_PLANE_LABEL in labels ? 'control-plane' : 'node',
    group: labels[NODE_GROUP_LABEL] ?? '',
    zone: labels[ZONE_LABEL] ?? '',
    ready,
  };
}

function nodeProblem(node: V1Node): string | undefined {
  const ready = condition(node, 'Ready');
  if (ready?.status !== 'True') {
    const why = [ready?.reason, ready?.message].filter(Boolean).join(': ');
    return `node ${node.metadata?.name} is not Ready${ready ? ` (Ready=${ready.status}${why ? `, ${why}` : ''})` : ' (no Ready condition yet)'}`;
  }
  const net = condition(node, 'NetworkUnavailable');
  if (net?.status === 'True') {
    return `node ${node.metadata?.name} has NetworkUnavailable=True${net.reason ? ` (${net.reason})` : ''}: the CNI has not configured it`;
  }
  return undefined;
}

/** The node groups the spec expects, with how many Ready nodes each needs. */
export function expectedNodeGroups(cluster: Cluster): Array<{ group: string; expected: number }> {
  return [
    { group: CONTROL_PLANE_GROUP, expected: cluster.spec.controlPlane.count },
    ...cluster.spec.nodeGroups.map((g) => ({ group: g.name, expected: g.minSize })),
  ];
}

export function evaluateNodes(cluster: Cluster, nodes: V1Node[]): { nodes: NodeStatus[]; failures: ValidationFailure[] } {
  const statuses = nodes.map(nodeStatus).sort((a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name));
  const failures: ValidationFailure[] = [];
  for (const node of nodes) {
    const problem = nodeProblem(node);
    if (problem) failures.push({ type: FailureType.NODE, name: node.metadata?.name ?? '', message: problem });
  }
  for (const { group, expected } of expectedNodeGroups(cluster)) {
    const members = statuses.filter((n) => n.group === group);
    const ready = members.filter((n) => n.ready).length;
    if (ready < expected) {
      failures.push({
        type: FailureType.NODE_GROUP,
        name: group,
        message: `node group ${group}: ${ready} of ${expected} expected nodes Ready (${members.length} registered with label ${NODE_GROUP_LABEL}=${group})`,
      });
    }
  }
  return { nodes: statuses, failures };
}

// ---------------------------------------------------------------- pods

export function isPodReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && condition(pod, 'Ready')?.status === 'True';
}

function podName(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? SYSTEM_NAMESPACE}/${pod.metadata?.name}`;
}

/** Why a pod is not ready, in the words `kubectl get pods` would use (CrashLoopBackOff, ContainersNotReady…). */
function podProblem(pod: V1Pod): string {
  const waiting = (pod.status?.containerStatuses ?? [])
    .filter((c) => !c.ready)
    .map((c) => `${c.name}: ${c.state?.waiting?.reason ?? (c.state?.terminated ? `terminated (${c.state.terminated.reason ?? 'exit ' + c.state.terminated.exitCode})` : 'not ready')}`);
  const ready = condition(pod, 'Ready');
  const detail = waiting.length > 0 ? waiting.join(', ') : ready?.reason ?? 'Ready condition not True';
  return `pod ${podName(pod)} is not Ready (phase ${pod.status?.phase ?? 'Unknown'}; ${detail})`;
}

/** Each control-plane node must run each kubeadm static pod, Ready. `podsByComponent` holds the `component=<name>` pods. */
export function evaluateControlPlanePods(nodes: V1Node[], podsByComponent: Map<string, V1Pod[]>): ValidationFailure[] {
  const failures: ValidationFailure[] = [];
  const controlPlaneNodes = nodes.filter((n) => CONTROL_PLANE_LABEL in (n.metadata?.labels ?? {}));
  for (const node of controlPlaneNodes) {
    const nodeName = node.metadata?.name ?? '';
    for (const component of CONTROL_PLANE_COMPONENTS) {
      const pods = (podsByComponent.get(component) ?? []).filter((p) => p.spec?.nodeName === nodeName);
      if (pods.length === 0) {
        failures.push({
          type: FailureType.POD,
          name: `${SYSTEM_NAMESPACE}/${component}-${nodeName}`,
          message: `static pod ${component} is missing on control-plane node ${nodeName}`,
        });
      } else if (!pods.some(isPodReady)) {
        failures.push({ type: FailureType.POD, name: podName(pods[0]), message: podProblem(pods[0]) });
      }
    }
  }
  return failures;
}

/** Pods with a system-*-critical priority class must be Running and Ready; finished (Succeeded) ones are skipped. */
export function evaluateCriticalPods(pods: V1Pod[]): ValidationFailure[] {
  return pods
    .filter((p) => CRITICAL_PRIORITY_CLASSES.has(p.spec?.priorityClassName ?? ''))
    .filter((p) => p.status?.phase !== 'Succeeded')
    .filter((p) => !isPodReady(p))
    .map((p) => ({ type: FailureType.POD, name: podName(p), message: podProblem(p) }));
}

// ---------------------------------------------------------------- workloads

/** The CNI's DaemonSet: name, and the namespaces its upstream manifests use (first found wins). */
export function cniDaemonSet(cluster: Cluster): { name: string; namespaces: string[] } {
  const { name, namespaces } = CNIS[cluster.spec.networking.cni].daemonSet;
  return { name, namespaces: [...namespaces] };
}

/** Fully rolled out: the controller saw the latest spec, and desired == ready == updated. */
export function evaluateDaemonSet(name: string, ds: V1DaemonSet | undefined): ValidationFailure[] {
  if (!ds) return [{ type: FailureType.DAEMONSET, name, message: `DaemonSet ${name} not found` }];
  const s = ds.status;
  const desired = s?.desiredNumberScheduled ?? 0;
  const ready = s?.numberReady ?? 0;
  const updated = s?.updatedNumberScheduled ?? 0;
  const stale = (s?.observedGeneration ?? 0) < (ds.metadata?.generation ?? 0);
  if (!stale && desired === ready && desired === updated) return [];
  const why = stale ? 'rollout not yet observed by the controller' : `${ready} of ${desired} pods ready, ${updated} updated`;
  return [{ type: FailureType.DAEMONSET, name, message: `DaemonSet ${name} is not ready: ${why}` }];
}

export function evaluateDeployment(name: string, deploy: V1Deployment | undefined): ValidationFailure[] {
  if (!deploy) return [{ type: FailureType.DEPLOYMENT, name, message: `Deployment ${name} not found` }];
  const want = deploy.spec?.replicas ?? 1;
  const s = deploy.status;
  const ready = s?.readyReplicas ?? 0;
  const updated = s?.updatedReplicas ?? 0;
  const stale = (s?.observedGeneration ?? 0) < (deploy.metadata?.generation ?? 0);
  if (!stale && ready >= want && updated >= want) return [];
  const why = stale ? 'rollout not yet observed by the controller' : `${ready} of ${want} replicas ready, ${updated} updated`;
  return [{ type: FailureType.DEPLOYMENT, name, message: `Deployment ${name} is not ready: ${why}` }];
}

/** One failure per (type, name): a not-ready static pod is also a critical pod, report it once. */
export function dedupeFailures(failures: ValidationFailure[]): ValidationFailure[] {
  const seen = new Set<string>();
  return failures.filter((f) => {
    const key = `${f.type}\u0000${f.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
