// The script one step of `upgrade cluster` runs on a machine (kubeadm's upgrade procedure), rendered from
// templates/upgrade/: a guard that makes a finished step a no-op (its marker under /var/lib/k8sup/upgrade/v<to>/),
// the step's body, and the marker. Bare metal runs it over SSH; docs/upgrades.md describes the procedure.

import type { Cluster } from '../api/types.js';
import { parseKubeVersion } from '../api/version.js';
import type { UpgradeAction } from '../core/upgrade.js';
import type { OsFamily } from './types.js';
import { shellQuote } from './quote.js';
import { loadTemplate, renderTemplate } from './template.js';
import { debianPackageVersion, kubernetesAptRepository, kubernetesRpmRepository } from './versions.js';

export interface UpgradeScriptInput {
  cluster: Cluster;
  /** Unique per upgrade: names the marker. */
  stepId: string;
  action: Exclude<UpgradeAction, 'apply' | 'roll'>;
  /** The node the step is about (drain, uncordon, validate run elsewhere but name it). */
  node: string;
  from: string;
  to: string;
  osFamily: OsFamily;
}

const BODY: Record<UpgradeScriptInput['action'], string> = {
  'etcd-snapshot': 'upgrade/etcd-snapshot.sh',
  kubeadm: 'upgrade/kube-packages.sh',
  'upgrade-apply': 'upgrade/upgrade-apply.sh',
  'upgrade-node': 'upgrade/upgrade-node.sh',
  drain: 'upgrade/drain.sh',
  kubelet: 'upgrade/kube-packages.sh',
  uncordon: 'upgrade/uncordon.sh',
  validate: 'upgrade/validate.sh',
};

/** A node name as it may appear on a command line (DNS-1123, what kubeadm registers). */
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function mirrored(cluster: Cluster, url: string): string {
  const base = cluster.spec.assets?.baseURL?.replace(/\/+$/, '');
  return base ? `${base}/${url.replace(/^https?:\/\//, '')}` : url;
}

export function renderUpgradeStepScript(input: UpgradeScriptInput): string {
  const to = parseKubeVersion(input.to);
  if (!to) throw new Error(`upgrade script: "${input.to}" is not a version`);
  if (!NODE_NAME.test(input.node)) throw new Error(`upgrade script: "${input.node}" is not a node name`);
  const packages = input.action === 'kubeadm' ? ['kubeadm'] : ['kubelet', 'kubectl'];
  const vars = {
    stepId: input.stepId,
    cluster: input.cluster.metadata.name,
    from: input.from,
    to: to.text,
    markerName: input.stepId.replaceAll('/', '_').replace(/[^A-Za-z0-9._-]/g, '-'),
    node: input.node,
    dnf: input.osFamily === 'rhel',
    restartKubelet: input.action === 'kubelet',
    packageNames: packages.join(' '),
    aptPackages: packages.map((p) => shellQuote(`${p}=${debianPackageVersion(to)}`)).join(' '),
    dnfPackages: packages.map((p) => shellQuote(`${p}-${to.text}`)).join(' '),
    aptUrl: mirrored(input.cluster, kubernetesAptRepository(to)),
    rpmUrl: mirrored(input.cluster, kubernetesRpmRepository(to)),
  };
  return ['upgrade/guard.sh', BODY[input.action], 'upgrade/done.sh']
    .map((name) => renderTemplate(loadTemplate(name), vars, shellQuote, name))
    .join('\n');
}
