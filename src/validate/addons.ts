// What validate (and `get addons`) expects of the cluster's enabled addons: each workload of the catalogue
// (src/addons) exists and is fully rolled out.

import type { V1DaemonSet, V1Deployment } from '@kubernetes/client-node';
import { enabledAddons, resolveAddons, type AddonWorkload } from '../addons/index.js';
import type { Cluster } from '../api/types.js';
import { evaluateDaemonSet, evaluateDeployment } from './checks.js';
import type { KubeReader } from './kube-client.js';
import type { ValidationFailure } from './types.js';

export interface AddonWorkloadState {
  workload: AddonWorkload;
  /** undefined: the object does not exist. */
  object: V1Deployment | V1DaemonSet | undefined;
}

export function addonWorkloads(cluster: Cluster): AddonWorkload[] {
  return enabledAddons(cluster).flatMap((a) => a.workloads);
}

export async function readAddonWorkload(kube: KubeReader, w: AddonWorkload): Promise<AddonWorkloadState> {
  const object = w.kind === 'Deployment' ? await kube.readDeployment(w.namespace, w.name) : await kube.readDaemonSet(w.namespace, w.name);
  return { workload: w, object };
}

export function evaluateAddonWorkload(s: AddonWorkloadState): ValidationFailure[] {
  const name = `${s.workload.namespace}/${s.workload.name}`;
  return s.workload.kind === 'Deployment' ? evaluateDeployment(name, s.object as V1Deployment | undefined) : evaluateDaemonSet(name, s.object as V1DaemonSet | undefined);
}

/** One addon as `get addons` shows it. */
export interface AddonStatus {
  name: string;
  version: string;
  image: string;
  enabled: boolean;
  /** Why: the catalogue's default or spec.addons. */
  from: 'default' | 'spec';
  /** With a reachable API: 'ready', 'not ready: …', 'missing'; 'unknown' without one; '' when disabled; 'unavailable: …' when it cannot run here. */
  running: string;
}

export function addonStatusRows(cluster: Cluster, image: (name: string) => string, live?: Map<string, AddonWorkloadState[]>): AddonStatus[] {
  return resolveAddons(cluster).map(({ definition: d, enabled, from, unavailable }) => {
    let running = unavailable ? `unavailable: ${unavailable}` : '';
    if (enabled && !live) running = 'unknown';
    if (enabled && live) {
      const states = live.get(d.name) ?? [];
      const failures = states.flatMap(evaluateAddonWorkload);
      running = states.some((s) => !s.object) ? 'missing' : failures.length ? `not ready: ${failures.map((f) => f.message).join('; ')}` : 'ready';
    }
    return { name: d.name, version: d.version, image: image(d.name), enabled, from, running };
  });
}
