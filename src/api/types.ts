// The cluster spec, as users write it (CONTRACT "Cluster spec"). Field names here are public and fixed.

import type { CniName } from './cni.js';
import type { KubeAPIServerSpec, KubeletSpec, KubeProxySpec } from './components.js';
export * from './components.js';

export const API_VERSION = 'k8sup.io/v1alpha1';
export const KIND = 'Cluster';

export type { CniName };
/** metal: what serves the Kubernetes API address (docs/metal.md, "API front ends"). */
export type ApiFrontEnd = 'kube-vip' | 'haproxy-keepalived' | 'external';
export const API_FRONT_ENDS: readonly ApiFrontEnd[] = ['kube-vip', 'haproxy-keepalived', 'external'];

export interface NetworkingSpec {
  cni: CniName;
  podCIDR: string;
  serviceCIDR: string;
  /** VPC / network range for cloud providers. */
  networkCIDR: string;
  /** The cluster's DNS domain (Service names end in it); unset: cluster.local. Fixed once the cluster is applied. */
  dnsDomain?: string;
  /**
   * An existing VPC (AWS `vpc-…`) or network (GCE name) the cluster uses instead of making its own: used, never
   * changed (AWS: tagged `kubernetes.io/cluster/<name>=shared`, the tag removed again on delete) or deleted.
   */
  networkId?: string;
  /** Existing subnets (AWS `subnet-…`, one per zone in spec.zones order; GCE: one subnetwork name in the region). */
  subnets?: string[];
  /** private topology (AWS): one NAT gateway per zone (default) or a single one for the whole cluster. */
  nat?: NatMode;
}

/** public: instances have public addresses; private: they have none and reach out through NAT (docs/aws.md, docs/gce.md). */
export type Topology = 'public' | 'private';
export const TOPOLOGIES: readonly Topology[] = ['public', 'private'];
export type NatMode = 'per-zone' | 'single';
export const NAT_MODES: readonly NatMode[] = ['per-zone', 'single'];
/** public: an internet-facing API load balancer for admins (plus the internal one nodes use); internal: only the internal one. */
export type ApiLoadBalancerType = 'public' | 'internal';
export const API_LOAD_BALANCER_TYPES: readonly ApiLoadBalancerType[] = ['public', 'internal'];

/** A small SSH jump host in the public subnets (AWS): the only way in to private instances over SSH. */
export interface BastionSpec {
  machineType: string;
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
  /** aws/gce: see ApiLoadBalancerType; unset means public. */
  loadBalancerType?: ApiLoadBalancerType;
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
  /** Let ordinary pods run on the control planes (drops kubeadm's NoSchedule taint): for small metal clusters. */
  schedulable?: boolean;
}

export interface NodeGroupSpec {
  name: string;
  machineType: string;
  minSize: number;
  maxSize: number;
  zones: string[];
  /** Node labels, on top of k8sup.io/node-group. */
  labels?: Record<string, string>;
  /** Taints registered with the node, `key[=value]:Effect` (kubectl taint syntax). */
  taints?: string[];
  rootVolume?: RootVolumeSpec;
  /** Spot (AWS) / SPOT provisioning model (GCE) instances: cheaper, may be reclaimed at any time. */
  spot?: boolean;
  /** Machine image of this group only (AMI id, GCE image); unset: spec.image or the provider's default. */
  image?: string;
}

export interface RootVolumeSpec {
  /** GiB. */
  size?: number;
  /** AWS: gp3, gp2, io1, io2; GCE: pd-balanced, pd-ssd, pd-standard. */
  type?: string;
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
  /**
   * One registry that holds a copy of every image the cluster runs, at its upstream path without the registry host
   * (`registry.k8s.io/pause:3.10` → `<containerRegistry>/pause:3.10`); kubeadm's imageRepository. `get assets` lists them.
   */
  containerRegistry?: string;
  /**
   * Base URL of a copy of every file nodes download, at `<fileRepository>/<upstream host>/<path>`; checksums stay
   * pinned. Replaces baseURL (which it overrides when both are set).
   */
  fileRepository?: string;
  /** Per-registry TLS settings for containerd (hosts.toml): a private CA, or no verification. */
  registries?: RegistrySpec[];
  /** OS package mirrors: apt (Ubuntu archive) and dnf (RHEL-family repositories) base URLs. */
  packageMirrors?: { apt?: string; dnf?: string };
}

export interface RegistrySpec {
  /** host[:port] as images name it. */
  host: string;
  /** PEM CA bundle that signed the registry's certificate. */
  caCert?: string;
  /** Skip TLS verification (testing only). */
  insecureSkipVerify?: boolean;
  /**
   * Pull credentials: the name of a secret stored with `k8sup create secret registry` (in the state store, never in
   * the spec or user data; docs/airgap.md).
   */
  credentials?: { secretRef: string };
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
  /** A registered cloud's name (providers/index.ts CloudName); the rules refuse any other. */
  cloud: string;
  region: string;
  zones: string[];
  kubernetesVersion: string;
  networking: NetworkingSpec;
  api: ApiSpec;
  ssh: SshSpec;
  controlPlane: ControlPlaneSpec;
  nodeGroups: NodeGroupSpec[];
  /** aws/gce: unset means public (what clusters made before topologies are). */
  topology?: Topology;
  /** aws: a bastion host; unset for none. */
  bastion?: BastionSpec;
  /** gce only. */
  project?: string;
  /** Machine image override (AMI id, GCE image, ...); null: the provider looks up a current Ubuntu LTS. */
  image?: string | null;
  /** metal only. */
  hosts?: HostSpec[];
  assets?: AssetsSpec;
  kubeAPIServer?: KubeAPIServerSpec;
  kubelet?: KubeletSpec;
  kubeProxy?: KubeProxySpec;
  /** Facts about the state store k8sup looked up at create: the S3 bucket's own region (nodes address it there). */
  stateStore?: { region?: string };
  etcd?: EtcdSpec;
  /**
   * Addons to turn on or off, by name (CONTRACT: name → {enabled, version}); the catalogue in src/addons has the
   * defaults and the pinned versions (docs/addons.md).
   */
  addons?: Record<string, AddonSpec>;
}

export interface AddonSpec {
  /** Default: the catalogue's (on for every addon of the provider unless it is opt-in). */
  enabled?: boolean;
  /** Must be the pinned version when given. */
  version?: string;
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
