// The Kubernetes side of rolling-update: find an instance's node, drain it (cordon, then evict its pods through the
// Eviction API so PodDisruptionBudgets are honoured), and delete its Node object once the instance is going away
// (clusters without a cloud-controller-manager never remove it, and a NotReady leftover fails validation).
// @kubernetes/client-node is loaded lazily; requests are bounded exactly as validation's (src/validate/kube-client.ts).

import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { IoHost } from '../core/io.js';
import { OperationError } from '../core/errors.js';
import { sleep } from '../core/sleep.js';
import { classifyRequestError, httpStatus, loadKubeConfig, requestOptions } from '../validate/kube-client.js';
import type { KubeTarget } from '../validate/types.js';

export interface NodeRef {
  name: string;
  providerID?: string;
  /** status.nodeInfo.kubeletVersion ('v1.35.1'): what upgrade cluster waits for. */
  kubeletVersion?: string;
  /** The Ready condition is True. */
  ready?: boolean;
}

export interface PodRef {
  namespace: string;
  name: string;
  /** Already being deleted (evicted, in its grace period): waited for, not evicted again. */
  terminating?: boolean;
}

export type EvictionOutcome = 'evicted' | 'blocked' | 'gone';

/** What rolling-update asks of the API server. Tests substitute a fake. */
export interface NodeOps {
  server: string;
  listNodes(): Promise<NodeRef[]>;
  cordon(node: string): Promise<void>;
  /** Pods a drain must evict: not DaemonSet-owned, not static (mirror) pods, not finished. */
  podsToEvict(node: string): Promise<PodRef[]>;
  /** 'blocked': a PodDisruptionBudget does not allow it now (HTTP 429); 'gone': the pod no longer exists. */
  evict(pod: PodRef): Promise<EvictionOutcome>;
  /** Deletes the Node object; a missing node is fine. */
  deleteNode(node: string): Promise<void>;
}

export interface DrainOptions {
  timeoutMs: number;
  pollMs?: number;
  io: IoHost;
  signal?: AbortSignal;
  now?: () => number;
}

export interface DrainResult {
  evicted: number;
  /** Pods still on the node when the time ran out (empty: drained). */
  remaining: PodRef[];
}

const podName = (p: PodRef) => `${p.namespace}/${p.name}`;

/** Evictable: what `kubectl drain --ignore-daemonsets` evicts. */
export function mustEvict(pod: V1Pod): boolean {
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return false;
  return !(pod.metadata?.ownerReferences ?? []).some((o) => o.controller && o.kind === 'DaemonSet');
}

/** The instance's node: by provider id (`aws:///zone/i-…`, `gce://project/zone/name`) or by one of its names. */
export function findNode(nodes: NodeRef[], instanceId: string, nodeNames: string[]): NodeRef | undefined {
  return nodes.find((n) => n.providerID && n.providerID.split('/').pop() === instanceId) ?? nodes.find((n) => nodeNames.includes(n.name));
}

/** Cordon, then evict every evictable pod until none is left or `timeoutMs` passed. Blocked evictions are retried. */
export async function drainNode(ops: NodeOps, node: string, opts: DrainOptions): Promise<DrainResult> {
  const now = opts.now ?? Date.now;
  const pollMs = opts.pollMs ?? 2000;
  const deadline = now() + opts.timeoutMs;
  await ops.cordon(node);
  opts.io.emit({ code: 'rolling-update.cordon', level: 'info', message: `cordoned node ${node}`, task: node });
  let evicted = 0;
  let pods = await ops.podsToEvict(node);
  for (;;) {
    if (pods.length === 0) return { evicted, remaining: [] };
    for (const pod of pods.filter((p) => !p.terminating)) {
      const outcome = await ops.evict(pod);
      if (outcome === 'evicted') {
        evicted++;
        opts.io.emit({ code: 'rolling-update.evict', level: 'debug', message: `evicted ${podName(pod)} from ${node}`, task: node });
      } else if (outcome === 'blocked') {
        opts.io.emit({ code: 'rolling-update.evict-blocked', level: 'debug', message: `eviction of ${podName(pod)} blocked by a disruption budget; retrying`, task: node });
      }
    }
    // Evicted pods usually go at once; look again before waiting.
    pods = await ops.podsToEvict(node);
    if (pods.length === 0) return { evicted, remaining: [] };
    if (now() + pollMs > deadline) return { evicted, remaining: pods };
    await sleep(pollMs, opts.signal);
    pods = await ops.podsToEvict(node);
  }
}

export interface NodeOpsOptions {
  signal?: AbortSignal;
  requestTimeoutMs?: number;
}

export async function openNodeOps(target: KubeTarget, opts: NodeOpsOptions = {}): Promise<NodeOps> {
  const k8s = await import('@kubernetes/client-node');
  const kc = await loadKubeConfig(target);
  const server = kc.getCurrentCluster()!.server;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const readerOpts = { signal: opts.signal, requestTimeoutMs: opts.requestTimeoutMs };
  const callOptions = () => requestOptions(readerOpts);
  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const err = classifyRequestError(e, what, server, readerOpts);
      // Draining needs write access; an unreachable API mid-run is a failure of this run, not a validation result.
      throw err instanceof OperationError ? err : new OperationError(err.message, { cause: e, hint: 'check that the API server is reachable, then re-run rolling-update' });
    }
  }

  return {
    server,
    listNodes: () =>
      call('list nodes', async () => (await core.listNode({}, callOptions())).items.map((n: V1Node) => ({
          name: n.metadata?.name ?? '',
          providerID: n.spec?.providerID,
          kubeletVersion: n.status?.nodeInfo?.kubeletVersion,
          ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        }))),
    cordon: (name) =>
      call(`cordon node ${name}`, async () => {
        await core.patchNode({ name, body: { spec: { unschedulable: true } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch, callOptions()) as never);
      }),
    podsToEvict: (name) =>
      call(`list pods on node ${name}`, async () =>
        (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name}` }, callOptions())).items
          .filter(mustEvict)
          .map((p: V1Pod) => ({ namespace: p.metadata?.namespace ?? 'default', name: p.metadata?.name ?? '', terminating: Boolean(p.metadata?.deletionTimestamp) })),
      ),
    async evict(pod) {
      try {
        await core.createNamespacedPodEviction(
          { name: pod.name, namespace: pod.namespace, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.name, namespace: pod.namespace } } },
          callOptions(),
        );
        return 'evicted';
      } catch (e) {
        if (httpStatus(e) === 429) return 'blocked';
        if (httpStatus(e) === 404) return 'gone';
        return call(`evict pod ${podName(pod)}`, () => Promise.reject(e));
      }
    },
    async deleteNode(name) {
      try {
        await core.deleteNode({ name }, callOptions());
      } catch (e) {
        if (httpStatus(e) === 404) return;
        await call(`delete node ${name}`, () => Promise.reject(e));
      }
    },
  };
}
