// What the spec's component settings (spec.kubeAPIServer, spec.kubelet, spec.kubeProxy, spec.networking.dnsDomain,
// node-group labels and taints) become in a node's kubeadm configuration. Pure. Typed settings first, then the raw
// `extraArgs` (unchecked): a raw flag replaces the typed one of the same name.

import { stringify } from 'yaml';
import { DEFAULT_DNS_DOMAIN, type Cluster, type KubeletSpec } from '../api/types.js';
import { credentialProviderKubeletArgs } from './credential-provider.js';
import type { ImageCredentialProvider } from './types.js';

export type KubeadmArg = { name: string; value: string };

export type HostPathMount = {
  name: string;
  hostPath: string;
  mountPath: string;
  readOnly: boolean;
  pathType: string;
};

/** Where control planes keep the audit policy and logs (mounted into the kube-apiserver static pod). */
export const AUDIT_POLICY_DIR = '/etc/kubernetes/audit';
export const AUDIT_LOG_DIR = '/var/log/kubernetes/audit';
/**
 * The EncryptionConfiguration with the Secrets key: a state-store object next to the PKI (`<cluster>/pki/…`), put in
 * /etc/kubernetes/pki (already mounted into the API server) through the same channel as the CA keys.
 */
export const ENCRYPTION_CONFIG_FILE = 'encryption-config.yaml';

export function dnsDomainOf(cluster: Cluster): string {
  return cluster.spec.networking.dnsDomain ?? DEFAULT_DNS_DOMAIN;
}

export const auditLoggingOn = (cluster: Cluster): boolean => cluster.spec.kubeAPIServer?.auditLogging === true;
export const encryptionAtRestOn = (cluster: Cluster): boolean => cluster.spec.kubeAPIServer?.encryptionAtRest === true;

/** Typed settings, then raw flags: a raw flag of the same name replaces the typed value (kubeadm would pass both). */
function merged(typed: [string, string | undefined][], raw: Record<string, string> | undefined): KubeadmArg[] {
  const args = new Map<string, string>();
  for (const [name, value] of typed) if (value !== undefined && value !== '') args.set(name, value);
  for (const [name, value] of Object.entries(raw ?? {})) args.set(name, value);
  return [...args].map(([name, value]) => ({ name, value }));
}

/** kube-apiserver flags (ClusterConfiguration apiServer.extraArgs). */
export function apiServerArgs(cluster: Cluster): KubeadmArg[] {
  const api = cluster.spec.kubeAPIServer ?? {};
  const oidc = api.oidc;
  const typed: [string, string | undefined][] = [
    ['enable-admission-plugins', api.enableAdmissionPlugins?.join(',')],
    ['disable-admission-plugins', api.disableAdmissionPlugins?.join(',')],
    ['service-node-port-range', api.serviceNodePortRange],
    ['oidc-issuer-url', oidc?.issuerURL],
    ['oidc-client-id', oidc?.clientID],
    ['oidc-username-claim', oidc?.usernameClaim],
    ['oidc-username-prefix', oidc?.usernamePrefix],
    ['oidc-groups-claim', oidc?.groupsClaim],
    ['oidc-groups-prefix', oidc?.groupsPrefix],
    ['oidc-required-claim', oidc?.requiredClaims ? Object.entries(oidc.requiredClaims).map(([k, v]) => `${k}=${v}`).join(',') : undefined],
  ];
  if (auditLoggingOn(cluster)) {
    typed.push(
      ['audit-policy-file', `${AUDIT_POLICY_DIR}/policy.yaml`],
      ['audit-log-path', `${AUDIT_LOG_DIR}/audit.log`],
      // About a month of logs, at most 10 × 100 MB on the control plane's disk.
      ['audit-log-maxage', '30'],
      ['audit-log-maxbackup', '10'],
      ['audit-log-maxsize', '100'],
    );
  }
  if (encryptionAtRestOn(cluster)) typed.push(['encryption-provider-config', `/etc/kubernetes/pki/${ENCRYPTION_CONFIG_FILE}`]);
  return merged(typed, api.extraArgs);
}

/** Host paths the API server needs beyond kubeadm's own (audit policy and log). */
export function apiServerVolumes(cluster: Cluster): HostPathMount[] {
  if (!auditLoggingOn(cluster)) return [];
  return [
    { name: 'audit-policy', hostPath: AUDIT_POLICY_DIR, mountPath: AUDIT_POLICY_DIR, readOnly: true, pathType: 'DirectoryOrCreate' },
    { name: 'audit-log', hostPath: AUDIT_LOG_DIR, mountPath: AUDIT_LOG_DIR, readOnly: false, pathType: 'DirectoryOrCreate' },
  ];
}

/**
 * kubelet flags of one node's registration: the group label (and the group's labels), `cloud-provider=external` on a
 * cloud with an external cloud-controller-manager, the image credential provider of a cloud that has one
 * (credential-provider.ts), then raw kubelet flags.
 */
export function kubeletArgs(cluster: Cluster, nodeGroup: string, groupLabel: string, nodeIp: string | undefined, externalCloudProvider = false, credentialProvider?: ImageCredentialProvider): KubeadmArg[] {
  const group = cluster.spec.nodeGroups.find((g) => g.name === nodeGroup);
  const labels = [`${groupLabel}=${nodeGroup}`, ...Object.entries(group?.labels ?? {}).map(([k, v]) => `${k}=${v}`)];
  return merged(
    [['cloud-provider', externalCloudProvider ? 'external' : undefined], ['node-labels', labels.join(',')], ['node-ip', nodeIp], ...credentialProviderKubeletArgs(credentialProvider)],
    cluster.spec.kubelet?.extraArgs,
  );
}

/**
 * kube-controller-manager flags (ClusterConfiguration controllerManager.extraArgs): with an external
 * cloud-controller-manager it runs none of the cloud loops (node lifecycle by the cloud, routes, services), which
 * the CCM owns.
 */
export function controllerManagerArgs(externalCloudProvider: boolean): KubeadmArg[] {
  return externalCloudProvider ? [{ name: 'cloud-provider', value: 'external' }] : [];
}

export type Taint = {
  key: string;
  /** '' for a taint without a value. */
  value: string;
  effect: string;
};

/**
 * Taints a node registers with (kubeadm nodeRegistration.taints), or null for kubeadm's default (control planes:
 * node-role.kubernetes.io/control-plane:NoSchedule; others none). A schedulable control plane registers none.
 */
export function registrationTaints(cluster: Cluster, nodeGroup: string, controlPlane: boolean): Taint[] | null {
  if (controlPlane) return cluster.spec.controlPlane.schedulable ? [] : null;
  const taints = cluster.spec.nodeGroups.find((g) => g.name === nodeGroup)?.taints ?? [];
  if (taints.length === 0) return null;
  return taints.map((t) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(\w+)$/.exec(t)!;
    return { key: m[1], value: m[2] ?? '', effect: m[3] };
  });
}

/** The KubeletConfiguration document (uploaded by `kubeadm init`, used by every node that joins). */
export function kubeletConfiguration(cluster: Cluster): string {
  const k: KubeletSpec = cluster.spec.kubelet ?? {};
  const doc: Record<string, unknown> = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    cgroupDriver: 'systemd',
  };
  // kubeadm gives the kubelet networking.dnsDomain by default; an explicit domain is written out, so the kubelet
  // configuration says it too (and a cluster without the setting renders as it did before the setting existed).
  if (cluster.spec.networking.dnsDomain !== undefined) doc.clusterDomain = cluster.spec.networking.dnsDomain;
  if (k.maxPods !== undefined) doc.maxPods = k.maxPods;
  if (k.systemReserved) doc.systemReserved = { ...k.systemReserved };
  if (k.kubeReserved) doc.kubeReserved = { ...k.kubeReserved };
  if (k.evictionHard) doc.evictionHard = { ...k.evictionHard };
  return stringify(doc, { lineWidth: 0 }).trimEnd();
}

/** The KubeProxyConfiguration document, or '' for kube-proxy's default (iptables). */
export function kubeProxyConfiguration(cluster: Cluster): string {
  const mode = cluster.spec.kubeProxy?.mode;
  if (mode === undefined) return '';
  return stringify({ apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', mode }, { lineWidth: 0 }).trimEnd();
}

/** Kernel modules kube-proxy's ipvs mode needs loaded (it does not load them itself). */
export function kubeProxyKernelModules(cluster: Cluster): string[] {
  return cluster.spec.kubeProxy?.mode === 'ipvs' ? ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack'] : [];
}
