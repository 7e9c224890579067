// Component settings of a cluster: what the API server, the kubelet and kube-proxy run with. Named after kops
// (`spec.kubeAPIServer`, `spec.kubelet`, `spec.kubeProxy`) so kops manifests translate field by field; docs/spec.md
// lists every field. Typed fields are checked (schema.ts, rules.ts); `extraArgs` are raw flags passed unchecked.

/** OpenID Connect token authentication of the API server (the --oidc-* flags). */
export interface OidcSpec {
  issuerURL: string;
  clientID: string;
  usernameClaim?: string;
  usernamePrefix?: string;
  groupsClaim?: string;
  groupsPrefix?: string;
  /** Claims every token must carry with these values (--oidc-required-claim key=value). */
  requiredClaims?: Record<string, string>;
}

export interface KubeAPIServerSpec {
  /** Admission plugins to enable in addition to the version's defaults (--enable-admission-plugins). */
  enableAdmissionPlugins?: string[];
  /** Default admission plugins to turn off (--disable-admission-plugins). */
  disableAdmissionPlugins?: string[];
  /** The NodePort range, `low-high` (--service-node-port-range; default 30000-32767). */
  serviceNodePortRange?: string;
  oidc?: OidcSpec;
  /**
   * Audit log of every request's metadata (secrets never logged by body) to /var/log/kubernetes/audit on each
   * control plane. `create` turns it on for new clusters; a spec without the field keeps it off.
   */
  auditLogging?: boolean;
  /**
   * Secrets encrypted at rest in etcd (aescbc, key generated into the state store next to the PKI). `create` turns it
   * on for new clusters; a spec without the field keeps it off.
   */
  encryptionAtRest?: boolean;
  /** Raw kube-apiserver flags (name without `--` → value). NOT checked: a wrong flag stops the API server. */
  extraArgs?: Record<string, string>;
}

/** Resources held back from pods, as kubelet quantities ("500m", "1Gi"). */
export interface ResourceReservation {
  cpu?: string;
  memory?: string;
  'ephemeral-storage'?: string;
  pid?: string;
}

/** Hard eviction thresholds (kubelet evictionHard): "100Mi" or a percentage "10%". */
export interface EvictionThresholds {
  'memory.available'?: string;
  'nodefs.available'?: string;
  'nodefs.inodesFree'?: string;
  'imagefs.available'?: string;
  'imagefs.inodesFree'?: string;
  'pid.available'?: string;
}

export interface KubeletSpec {
  maxPods?: number;
  systemReserved?: ResourceReservation;
  kubeReserved?: ResourceReservation;
  evictionHard?: EvictionThresholds;
  /** Raw kubelet flags (name without `--` → value), added to every node's registration. NOT checked. */
  extraArgs?: Record<string, string>;
}

export type KubeProxyMode = 'iptables' | 'ipvs' | 'nftables';
export const KUBE_PROXY_MODES: readonly KubeProxyMode[] = ['iptables', 'ipvs', 'nftables'];
/** nftables mode is beta (on by default) from Kubernetes 1.31; before that it needs an alpha feature gate. */
export const NFTABLES_MIN_MINOR = 31;

export interface KubeProxySpec {
  mode?: KubeProxyMode;
}

export const DEFAULT_DNS_DOMAIN = 'cluster.local';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';
