// A new cloud control plane's boot during `upgrade cluster`, for the upgrade tests: its real bootstrap (from the bundle
// in the state store) runs under a stub root (test/helpers/stub-root.ts) whose stub curl (the API server's
// kube-system/kubeadm-config, read with the bootstrap token), kubectl and kubeadm share one ClusterConfiguration
// version — the cluster's, in a file `kubeadm upgrade apply` moves — so the bundle's own choices are what the test
// sees. `milestones` reduces the stub's call log to the steps kubeadm's skew rule is about.

import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createStubRoot, FAKE_BOOTSTRAP_TOKEN, type StubRoot } from './stub-root.js';

export interface ControlPlaneBoot {
  /** The bootstrap's stub calls of every run, in order (a killed run, then the run after the "reboot"). */
  calls: string[];
  /** Each run's exit status (null: killed). */
  statuses: (number | null)[];
  /** The kubeadm version installed when `kubeadm join` ran ('1.34.4'), or undefined. */
  kubeadmAtJoin?: string;
}

export interface BootOptions {
  /** The file holding the cluster's ClusterConfiguration version ('v1.34.4'), shared by every control plane's stubs. */
  clusterVersionFile: string;
  /** State store objects the running cluster published (bootstrap/token is always there), e.g. bootstrap/upgrade. */
  storeObjects?: Record<string, string>;
  /** A fault for the first run only (StubRoot.failNext), e.g. 'kill-before-upgrade-plan'; the script then runs again. */
  firstRunFault?: string;
  /** Collects the stub roots for cleanup. */
  stubs: StubRoot[];
}

/** Runs the bootstrap script `script` (placeholders filled in) as a new control plane would, again after a faulted run. */
export async function bootControlPlane(script: string, o: BootOptions): Promise<ControlPlaneBoot> {
  const stub = createStubRoot();
  o.stubs.push(stub);
  symlinkSync(o.clusterVersionFile, join(stub.root, '..', 'cluster-version'));
  stub.putStoreObject('bootstrap/token', `token=${FAKE_BOOTSTRAP_TOKEN}\nexpires=2030-01-01T00:00:00Z\nissuer=ip-10-0-0-9\n`);
  for (const [key, content] of Object.entries(o.storeObjects ?? {})) stub.putStoreObject(key, content);
  const boot: ControlPlaneBoot = { calls: [], statuses: [] };
  if (o.firstRunFault) stub.failNext(o.firstRunFault, 1);
  for (let run = 0; run < (o.firstRunFault ? 2 : 1); run++) {
    const ran = await stub.runAsync(script);
    boot.calls.push(...ran.calls);
    boot.statuses.push(ran.status);
    if (run === (o.firstRunFault ? 1 : 0) && ran.status !== 0) throw new Error(`the bootstrap failed (${ran.status}):\n${ran.stderr.slice(-2000)}`);
  }
  try {
    boot.kubeadmAtJoin = readFileSync(join(stub.root, '..', 'kubeadm-at-join'), 'utf8').trim() || undefined;
  } catch {
    // no join
  }
  return boot;
}

/**
 * The calls kubeadm's skew rule is about, in order: reading the cluster's version before the join, package installs
 * (`install kubelet=… kubeadm=…`), kubeadm join/init, the etcd snapshot, kubeadm upgrade plan/apply, the kubelet restart.
 */
export function milestones(calls: string[]): string[] {
  return calls.flatMap((c) => {
    if (/^curl .*--cacert \S+ --config - https:\/\/\S+:6443\/api\/v1\/namespaces\/kube-system\/configmaps\/kubeadm-config$/.test(c)) return ['read cluster version'];
    const pkgs = /^apt-get .* install -y -q --allow-downgrades --allow-change-held-packages (.*)$/.exec(c);
    if (pkgs) return [`install ${pkgs[1]}`];
    if (/^kubeadm (join|init) /.test(c)) return [c.split(' ').slice(0, 2).join(' ')];
    if (c === 'k8sup-etcd-backup --force') return ['etcd snapshot'];
    if (/^kubeadm upgrade (plan|apply) /.test(c) || c === 'systemctl restart kubelet') return [c];
    return [];
  });
}

/** What the first control plane of `to` does in a cluster at `from`: join with kubeadm `from`, then kubeadm's upgrade. */
export function upgradingMilestones(from: string, to: string, resumedBeforePlan = false): string[] {
  const pkg = (v: string) => `${v}-1.1`;
  return [
    'read cluster version',
    `install kubelet=${pkg(from)} kubeadm=${pkg(from)} kubectl=${pkg(from)}`,
    'kubeadm join',
    `install kubeadm=${pkg(to)}`,
    'etcd snapshot',
    `kubeadm upgrade plan v${to}`,
    // The machine stopped right before the plan: the run after it snapshots again and plans again.
    ...(resumedBeforePlan ? ['etcd snapshot', `kubeadm upgrade plan v${to}`] : []),
    `kubeadm upgrade apply v${to} --yes`,
    `install kubelet=${pkg(to)} kubectl=${pkg(to)}`,
    'systemctl restart kubelet',
  ];
}

/** What a control plane of `to` does once the cluster runs `to`: install it and join. */
export function joiningMilestones(to: string): string[] {
  const pkg = `${to}-1.1`;
  return ['read cluster version', `install kubelet=${pkg} kubeadm=${pkg} kubectl=${pkg}`, 'kubeadm join'];
}
