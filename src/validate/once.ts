// One validation pass: readyz first (if the API is not answering there is nothing else to ask), then every other
// read in parallel, then the pure evaluators.

import type { V1Pod } from '@kubernetes/client-node';
import type { Cluster } from '../api/types.js';
import {
  CONTROL_PLANE_COMPONENTS,
  SYSTEM_NAMESPACE,
  cniDaemonSet,
  dedupeFailures,
  evaluateControlPlanePods,
  evaluateCriticalPods,
  evaluateDaemonSet,
  evaluateDeployment,
  evaluateNodes,
  evaluateReadyz,
} from './checks.js';
import type { NodeBootstrapReport } from '../bootstrap/node-status.js';
import { evaluateBootstrapReports } from './bootstrap-reports.js';
import { addonWorkloads, evaluateAddonWorkload, readAddonWorkload } from './addons.js';
import { evaluateProviderIds } from './provider-ids.js';
import { ApiUnavailableError, openKubeReader, type KubeReader, type KubeReaderOptions } from './kube-client.js';
import { FailureType, type KubeTarget, type ValidationFailure, type ValidationReport } from './types.js';

export interface ValidateOnceOptions {
  /** Aborting rejects with the signal's reason (cancellation, not a failure). */
  signal?: AbortSignal;
  /** Bound on each API request; a request that takes longer becomes an `api` failure. Default 10 s. */
  requestTimeoutMs?: number;
  /** The nodes' bootstrap progress reports (read from the state store by the caller; injected). */
  readBootstrapReports?: () => Promise<NodeBootstrapReport[]>;
  now?: () => number;
}

/** Runs `read`; an unanswering API becomes an `api` failure (and `fallback`), anything else propagates. */
async function orApiFailure<T>(read: () => Promise<T>, fallback: T, failures: ValidationFailure[], server: string): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof ApiUnavailableError)) throw e;
    failures.push({ type: FailureType.API, name: server, message: e.message });
    return fallback;
  }
}

async function readDaemonSetFromCandidates(kube: KubeReader, name: string, namespaces: string[]) {
  for (const ns of namespaces) {
    const ds = await kube.readDaemonSet(ns, name);
    if (ds) return { name: `${ns}/${name}`, ds };
  }
  return { name: `${namespaces[0]}/${name}`, ds: undefined };
}

export async function validateOnce(cluster: Cluster, target: KubeTarget, opts: ValidateOnceOptions = {}): Promise<ValidationReport> {
  const readerOpts: KubeReaderOptions = { signal: opts.signal, requestTimeoutMs: opts.requestTimeoutMs };
  const kube = await openKubeReader(target, readerOpts);
  const report = (failures: ValidationFailure[], nodes: ValidationReport['nodes'] = []): ValidationReport => {
    const unique = dedupeFailures(failures);
    return { cluster: cluster.metadata.name, valid: unique.length === 0, failures: unique, nodes };
  };

  const failures: ValidationFailure[] = [];
  // Nodes that cannot join say why in their reports: shown even while the API itself is down (a failing init).
  if (opts.readBootstrapReports) failures.push(...evaluateBootstrapReports(await opts.readBootstrapReports(), (opts.now ?? Date.now)()));
  const readyz = await orApiFailure(() => kube.readyz(), undefined, failures, kube.server);
  if (!readyz) return report(failures);
  failures.push(...evaluateReadyz(readyz.statusCode, readyz.body, kube.server));

  const cni = cniDaemonSet(cluster);
  const guard = <T>(read: () => Promise<T>, fallback: T) => orApiFailure(read, fallback, failures, kube.server);
  const [nodes, allPods, componentPods, proxy, cniDs, coredns] = await Promise.all([
    guard(() => kube.listNodes(), undefined),
    // Critical pods live beyond kube-system too (kube-flannel, calico-system, tigera-operator).
    guard(() => kube.listPods(undefined), undefined),
    guard(
      () => Promise.all(CONTROL_PLANE_COMPONENTS.map(async (c) => [c, await kube.listPods(SYSTEM_NAMESPACE, `component=${c}`)] as [string, V1Pod[]])),
      undefined,
    ),
    guard(() => readDaemonSetFromCandidates(kube, 'kube-proxy', [SYSTEM_NAMESPACE]), undefined),
    guard(() => readDaemonSetFromCandidates(kube, cni.name, cni.namespaces), undefined),
    guard(() => kube.readDeployment(SYSTEM_NAMESPACE, 'coredns').then((d) => ({ d })), undefined),
  ]);
  // The enabled addons' workloads (src/addons): metrics-server and the rest must be rolled out.
  const addons = await guard(() => Promise.all(addonWorkloads(cluster).map((w) => readAddonWorkload(kube, w))), undefined);

  let nodeStatuses: ValidationReport['nodes'] = [];
  if (nodes) {
    const evaluated = evaluateNodes(cluster, nodes);
    nodeStatuses = evaluated.nodes;
    failures.push(...evaluated.failures);
    if (componentPods) failures.push(...evaluateControlPlanePods(nodes, new Map(componentPods)));
    failures.push(...evaluateProviderIds(cluster, nodes));
  }
  if (proxy) failures.push(...evaluateDaemonSet(proxy.name, proxy.ds));
  if (cniDs) failures.push(...evaluateDaemonSet(cniDs.name, cniDs.ds));
  if (coredns) failures.push(...evaluateDeployment(`${SYSTEM_NAMESPACE}/coredns`, coredns.d));
  if (allPods) failures.push(...evaluateCriticalPods(allPods));
  if (addons) failures.push(...addons.flatMap(evaluateAddonWorkload));
  return report(failures, nodeStatuses);
}
