// What a cloud provider plugin offers the engine and the CLI. Providers live in providers/<name>/index.ts and
// are loaded lazily through providers/index.ts so that `k8sup version` never loads a cloud SDK.

import type { Cluster, CloudName } from '../api/types.js';
import type { BlobStore } from '../state/blob.js';
import type { IoHost } from './io.js';
import type { ErrorClass, ResourceHandler, ResourceNode } from './resource.js';

/** Everything a provider's pure model builders need besides the spec. No secrets in here. */
export interface BuildInputs {
  /** State store URL (`s3://bucket/prefix`, `gs://…`, `file://…`); IAM policies are scoped to the cluster's prefix. */
  stateStore: string;
  /** Cluster CA certificate (PEM, public). */
  caCertPem: string;
  /** `sha256:<hex>` of the CA's SubjectPublicKeyInfo, for `kubeadm join --discovery-token-ca-cert-hash`. */
  caCertHash: string;
}

export interface ConnectOptions {
  io: IoHost;
  /** Environment to read credentials / endpoint overrides from (injected; never `process.env` below src/cli). */
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** The user's home directory (~/.ssh/known_hosts, default SSH keys). */
  home: string;
  /** The cluster's state store: bare metal copies the PKI from it to control planes over SSH. */
  store: BlobStore;
  /** Bare metal: record unknown SSH host keys instead of refusing them. */
  sshAcceptNew?: boolean;
}

export interface Provider<C = unknown> {
  name: CloudName;
  /**
   * URL schemes of state stores the nodes can read their bootstrap material from with their own identity
   * (AWS: ['s3:'], GCE: ['gs:']). Undefined: any (bare metal gets it over SSH).
   */
  nodeStateStoreSchemes?: string[];
  /**
   * list() finds every object of a cluster by its ownership tags/labels alone, without a journal or a spec beyond
   * name, cloud, region and project: `delete` asks the cloud even when the journal is empty, and can delete a
   * cluster whose state is gone (`delete cluster NAME --cloud …`).
   */
  discoversByOwnership?: boolean;
  /** Per-task deadline for the engine when the default (10 minutes) is too short (node installs over SSH). */
  taskTimeoutMs?: number;
  /** One handler per resource kind the graph uses. */
  handlers: ResourceHandler<C>[];
  /** Pure: the desired resources for this cluster. */
  buildGraph(cluster: Cluster, inputs: BuildInputs): ResourceNode[];
  /** Create the cloud clients (lazily importing the SDK). Checks region/zones/credentials and fails with clear errors. */
  connect(cluster: Cluster, opts: ConnectOptions): Promise<C>;
  /** Classify a thrown error for the executor's retry policy. */
  classifyError(err: unknown): ErrorClass;
  /** The exact script a resource's creation runs on its machine, for `-v` plans (bare metal: per host). */
  stepScript?(cluster: Cluster, node: ResourceNode, stateStoreUrl: string): Promise<string | undefined>;
  /** Terraform `provider` / `terraform` blocks for `--target terraform`. */
  terraformPreamble?(cluster: Cluster): Record<string, unknown>;
  /** After apply: the API endpoint (`https://host:6443`) from the applied resources' outputs, keyed by resource id. */
  apiEndpoint?(outputs: Record<string, Record<string, unknown>>): string | undefined;
  /**
   * Optional: replacing running instances whose configuration is out of date (`rolling-update cluster`). Clouds with
   * replaceable instances (AWS Auto Scaling groups, GCE managed instance groups) offer it; bare metal does not.
   */
  rollingUpdate?: RollingUpdateCapability<C>;
  /**
   * Optional: etcd snapshots taken and restored from the CLI (bare metal: over SSH). Without it the control planes'
   * timer is the only source of backups and a restore is run on the machines (docs/backups.md).
   */
  etcdBackup?: EtcdBackupCapability<C>;
}

/** A snapshot brought back from a control plane, with the manifest k8sup-etcd-backup wrote for it. */
export interface EtcdSnapshot {
  manifest: Record<string, unknown>;
  snapshot: Buffer;
}

export interface EtcdBackupCapability<C = unknown> {
  /** Snapshots etcd on one control plane now and returns it. */
  take(cluster: Cluster, clients: C): Promise<EtcdSnapshot>;
  /** The control planes a restore changes, in order (for the preview). */
  members(cluster: Cluster): string[];
  /** Restores every control plane from the snapshot: all stopped and swapped first, then all started, then healthy. */
  restore(cluster: Cluster, clients: C, backup: { id: string; snapshot: Buffer; sha256: string }): Promise<void>;
}

/** One running (or starting) instance of a cloud instance group, as `rolling-update` sees it. */
export interface GroupInstance {
  /** Cloud id: `i-0abc…` (AWS), the instance name (GCE). */
  id: string;
  /** The configuration it was launched with, e.g. `lt-0abc:3` or an instance template name. */
  version: string;
  /** Its launched configuration differs from the group's current one. */
  needsUpdate: boolean;
  /** Cloud lifecycle state (InService, Pending, RUNNING…); shown as is. */
  status: string;
  zone?: string;
  /** Names its kubelet registers with (private DNS name / instance name), to find its Kubernetes node. */
  nodeNames: string[];
}

/** One cloud instance group (an ASG, a zonal managed instance group). A spec group may span several. */
export interface CloudInstanceGroup {
  /** The spec group: 'control-plane' or a node group name (the k8sup.io/node-group label). */
  group: string;
  role: 'control-plane' | 'node';
  /** The cloud object's name. */
  cloudName: string;
  zone?: string;
  /** The group's current configuration (same notation as GroupInstance.version). */
  currentVersion: string;
  /** How many instances the group keeps. */
  desired: number;
  instances: GroupInstance[];
}

export interface ReplaceOptions {
  io: IoHost;
  signal?: AbortSignal;
  /** Bound on waiting for the group to be whole again on its current configuration. */
  timeoutMs: number;
  /** Pause between polls (tests shorten it). */
  pollMs?: number;
}

export interface RollingUpdateCapability<C = unknown> {
  /** Every instance group of the cluster with its instances, control planes first. Read-only. */
  listGroups(cluster: Cluster, clients: C): Promise<CloudInstanceGroup[]>;
  /**
   * Replaces one instance without shrinking the group, then waits until the old instance has left the group and the
   * group again runs its desired count, with every new instance in service on the current configuration.
   * Returns the group as it is afterwards.
   */
  replaceInstance(cluster: Cluster, clients: C, group: CloudInstanceGroup, instance: GroupInstance, opts: ReplaceOptions): Promise<CloudInstanceGroup>;
}
