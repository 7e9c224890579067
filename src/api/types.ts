// The cluster spec, as users write it (CONTRACT "Cluster spec"). Field names here are public and fixed.

export const API_VERSION = 'k8sup.io/v1alpha1';
export const KIND = 'Cluster';

export type CloudName = 'aws' | 'gce' | 'metal';
export type CniName = 'calico' | 'cilium' | 'flannel';
/** metal: what serves the Kubernetes API address (docs/metal.md, "API front ends"). */
export type ApiFrontEnd = 'kube-vip' | 'haproxy-keepalived' | 'external';
export const API_FRONT_ENDS: readonly ApiFrontEnd[] = ['kube-vip', 'haproxy-keepalived', 'external'];

export interface NetworkingSpec {
  cni: CniName;
  podCIDR: string;
  serviceCIDR: string;
  /** VPC / network range for cloud providers. */
  networkCIDR: string;
}

export interface ApiSpec {
  /** CIDRs allowed to reach the Kubernetes API (port 6443 on the load balancer). */
  adminAccess: string[];
  /** Route53 / Cloud DNS zone; when set, `api.<cluster name>` is published there. */
  dnsZone: string | null;
  /** metal: a virtual IP for the API (kube-vip or keepalived); otherwise the first control plane's address is used. */
  vip?: string;
  /** metal: what serves the API address; unset means kube-vip (with api.vip) or the first control plane (without). */
  frontEnd?: ApiFrontEnd;
  /** metal, frontEnd external: `host[:port]` of a load balancer the user runs in front of the API servers (port 6443 by default). */
  endpoint?: string;
}

export interface SshSpec {
  /** OpenSSH public key installed on nodes; null for none. */
  publicKey: string | null;
  /** CIDRs allowed to reach port 22. */
  access: string[];
}

export interface ControlPlaneSpec {
  count: number;
  machineType: string;
  zones: string[];
}

export interface NodeGroupSpec {
  name: string;
  machineType: string;
  minSize: number;
  maxSize: number;
  zones: string[];
}

export interface HostSpec {
  address: string;
  port: number;
  user: string;
  role: 'control-plane' | 'worker';
  /** Path to the private key used to log in (never stored in the state store). */
  sshKey?: string;
  /** Optional jump host, `user@host:port`. */
  bastion?: string;
  /** Node name; defaults to the address with dots as dashes. */
  name?: string;
}

/** Where nodes fetch packages and images; for air-gapped installs. */
export interface AssetsSpec {
  /** Base URL that mirrors pkgs.k8s.io and the CNI manifests (null: the public locations). */
  baseURL: string | null;
  /** Container registry mirror for registry.k8s.io, docker.io, quay.io (null: none). */
  registryMirror: string | null;
}

/** Scheduled etcd snapshots to the state store (docs/backups.md). */
export interface EtcdBackupsSpec {
  /** `hourly`, `daily`, a systemd OnCalendar expression, or `off`. */
  schedule: string;
  /** How many scheduled backups to keep (older ones are deleted after each new one). */
  retain: number;
}

export interface EtcdSpec {
  /** Absent (clusters created before backups existed): no backup timer. `create` fills it in for new clusters. */
  backups?: EtcdBackupsSpec;
}

export interface ClusterSpecBody {
  cloud: CloudName;
  region: string;
  zones: string[];
  kubernetesVersion: string;
  networking: NetworkingSpec;
  api: ApiSpec;
  ssh: SshSpec;
  controlPlane: ControlPlaneSpec;
  nodeGroups: NodeGroupSpec[];
  /** gce only. */
  project?: string;
  /** Machine image override (AMI id, GCE image, ...); null: the provider looks up a current Ubuntu LTS. */
  image?: string | null;
  /** metal only. */
  hosts?: HostSpec[];
  assets?: AssetsSpec;
  /** Facts about the state store k8sup looked up at create: the S3 bucket's own region (nodes address it there). */
  stateStore?: { region?: string };
  etcd?: EtcdSpec;
}

export interface ClusterMetadata {
  name: string;
  /**
   * The cluster's identity, minted once by `create` and kept in every revision; cloud resources carry it as their
   * cluster id. Never changes (replace / edit refuse a different one). Clusters created before it existed have none.
   */
  uid?: string;
  /**
   * The revision a document was read at: printed by `get cluster`, checked by `replace -f` (a document based on an
   * older revision is stale). Never stored inside a revision (the revision's number is its key).
   */
  revision?: number;
}

export interface Cluster {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ClusterMetadata;
  spec: ClusterSpecBody;
}
