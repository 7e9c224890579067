// What a provider offers `upgrade cluster`: kubeadm's upgrade procedure as a list of named steps (a value that is
// printed, saved as progress and resumed) and a way to run one of them. The orchestration — order, progress in the
// state store, the spec revision written only at the end — is src/lifecycle/upgrade.ts; see docs/upgrades.md.

import type { Cluster } from '../api/types.js';
import type { IoHost } from './io.js';

export type UpgradeAction =
  /** etcd snapshot before anything changes. */
  | 'etcd-snapshot'
  /** The kubeadm package of the new version on one host. */
  | 'kubeadm'
  /** `kubeadm upgrade plan` + `kubeadm upgrade apply vX` on the first control plane. */
  | 'upgrade-apply'
  /** `kubeadm upgrade node` on the other control planes and the workers. */
  | 'upgrade-node'
  | 'drain'
  /** The kubelet and kubectl packages of the new version, kubelet restarted. */
  | 'kubelet'
  | 'uncordon'
  /** The node is Ready again and its kubelet reports the new version. */
  | 'validate'
  /** Clouds: the new configuration (launch templates, bootstrap) applied to the cloud. */
  | 'apply'
  /** Clouds: a group's instances replaced onto the new configuration. */
  | 'roll';

export interface UpgradeStep {
  /** Unique within one upgrade, stable across runs (the progress record lists finished ids). */
  id: string;
  action: UpgradeAction;
  /** The machine or group it runs on. */
  target: string;
  /** What it does, for people. */
  description: string;
}

export interface UpgradeRunContext {
  io: IoHost;
  signal?: AbortSignal;
  from: string;
  to: string;
  /** The spec with the new version (what the machines are moved to). */
  upgraded: Cluster;
}

export interface UpgradeCapability<C = unknown> {
  /** Pure: the steps from the spec's version to `to`, in the order they run. */
  planUpgrade(cluster: Cluster, to: string): UpgradeStep[];
  /** Before the first step: refuses (exit 2) a cluster whose machines break the version-skew rules. */
  preflight?(cluster: Cluster, clients: C, ctx: UpgradeRunContext): Promise<void>;
  /** Runs one step; idempotent (a step interrupted half-way runs again from its start). skipped: it had run already. */
  runStep(cluster: Cluster, clients: C, step: UpgradeStep, ctx: UpgradeRunContext): Promise<{ skipped: boolean }>;
}
