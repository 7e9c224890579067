// The version a cloud cluster's control planes were upgraded from, kept in the state store by `upgrade cluster`
// (src/lifecycle/cloud-upgrade.ts, its apply step) so that the control-plane bundles rendered while the spec says the
// upgrade's target carry the packages of the version the cluster ran before: a control plane launched beside the old
// ones must `kubeadm join` with the kubeadm the cluster was created or last upgraded with (kubeadm's skew rule,
// docs/upgrades.md "Why launched beside"). The record stays after the upgrade: every later render of the same
// version reads it again, so `update cluster` plans nothing once the upgrade has finished.

import type { Cluster } from '../api/types.js';
import type { BlobStore } from '../state/blob.js';
import type { ClusterStore } from '../state/cluster-store.js';

/** Store object (relative to the cluster's folder). */
export const UPGRADE_ORIGIN_OBJECT = 'upgrade/origin.json';

export interface UpgradeOrigin {
  from: string;
  to: string;
}

export async function recordUpgradeOrigin(cs: ClusterStore, origin: UpgradeOrigin): Promise<void> {
  await cs.putObject(UPGRADE_ORIGIN_OBJECT, `${JSON.stringify(origin)}\n`);
}

/** The version `cluster` was upgraded from, when its spec's version is the target of the recorded upgrade. */
export async function upgradedFrom(store: BlobStore, cluster: Cluster): Promise<string | undefined> {
  const blob = await store.get(`${cluster.metadata.name}/${UPGRADE_ORIGIN_OBJECT}`);
  if (!blob) return undefined;
  const origin = JSON.parse(blob.data.toString('utf8')) as Partial<UpgradeOrigin>;
  return origin.to === cluster.spec.kubernetesVersion && typeof origin.from === 'string' ? origin.from : undefined;
}
