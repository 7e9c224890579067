// What a cloud provider plugin offers the engine and the CLI. Providers live in providers/<name>/index.ts and
// are loaded lazily through providers/index.ts so that `k8sup version` never loads a cloud SDK.

import type { AddonDefinition, ClusterAutoscalerFacts, VolumeSnapshotFacts } from '../addons/catalogue.js';

export type { ClusterAutoscalerFacts };
import type { Cluster } from '../api/types.js';
import type { BootstrapProvider } from '../bootstrap/types.js';
import type { ClusterPki } from '../pki/cluster-pki.js';
import type { StateLocation } from '../state/url.js';
import type { FieldIssue } from './errors.js';
import type { IoHost } from './io.js';
import type { ErrorClass, ResourceHandler, ResourceNode } from './resource.js';
import type { UpgradeCapability } from './upgrade.js';
import type { CertificatesCapability } from './certificates.js';

/**
 * What k8sup knows about a cloud before (and without) loading its provider: pure, synchronous and light, so the spec
 * pipeline, the bootstrap renderer and the CLI's flags use it while `k8sup version` still loads no SDK. Each provider
 * declares its facts in providers/<name>/cloud.ts; providers/index.ts registers them. Nothing else names a cloud.
 */
export interface CloudFacts {
  /** The spec's `cloud` value. */
  name: string;
  /** How messages name it ('AWS', 'bare metal'). */
  title: string;
  /** Machine type of control planes and node groups when the spec names none. */
  defaultMachineType: string;
  /** The cloud's zones; undefined: it has none (bare metal's nodes all sit in `fixedZone`). */
  zones?: ZoneFacts;
  /** Zone-less clouds: the one zone (and region) every node is in. */
  fixedZone?: string;
  /**
   * The machines are the user's own hosts, listed in spec.hosts (bare metal), not instances the provider creates:
   * control planes and node groups are counted from the hosts, and only such clouds take hosts, an API front end or an
   * external API endpoint.
   */
  ownHosts: boolean;
  /** The spec rules of this cloud alone (required fields, its own blocks); the cloud-agnostic rules are src/api/rules.ts. */
  specIssues?(cluster: Cluster): FieldIssue[];
  /** Rules for new input only (not for stored revisions), as src/api/rules.ts newInputIssues. */
  newInputIssues?(cluster: Cluster): FieldIssue[];
  /** What its nodes' bootstrap needs to know (src/bootstrap). */
  nodes: BootstrapProvider;
  /** `create cluster` flags only this cloud takes (bare metal's --hosts), and how they become spec fields. */
  createFlags?: CloudFlag[];
  /** Root volume types a node group may ask for (spec.nodeGroups[].rootVolume.type). */
  volumeTypes?: readonly string[];
  /** The network topologies it takes (spec.topology, spec.bastion, an existing network); absent: none of them. */
  topology?: TopologyFacts;
  /** Addons only this cloud has (its cloud-controller-manager, CSI driver), besides src/addons/catalogue.ts. */
  addons?: readonly AddonDefinition[];
  /**
   * What the cloud's cloud-controller-manager (the addon named here) writes into every Node's spec.providerID: while
   * that addon is on, validate counts a node without one (or with another shape) as a failure.
   */
  providerId?: { addon: string; shape: RegExp; example: string };
  /**
   * How cluster-autoscaler drives this cloud's node groups (each group's minSize/maxSize); absent: it cannot (bare
   * metal). The cloud's own resources carry what the flags rely on (AWS: the ASGs' auto-discovery tags).
   */
  clusterAutoscaler?(cluster: Cluster): ClusterAutoscalerFacts;
  /** How the cloud's CSI driver takes volume snapshots (the snapshot-controller addon); absent: it takes none. */
  volumeSnapshots?: VolumeSnapshotFacts;
  /** `delete cluster NAME --cloud` without a state: what the scope needs besides --region. */
  orphanScope?: { exampleRegion: string; needsProject: boolean };
}

/** What a cloud says about network topologies (src/api/topology.ts holds the rules every cloud shares). */
export interface TopologyFacts {
  /** Machine type of the SSH bastion when the spec names none; absent: the cloud has no bastion. */
  bastionMachineType?: string;
  /** Why spec.bastion is refused on this cloud (and what to do instead), when it has none. */
  noBastion?: string;
  /** Why spec.networking.nat is refused on this cloud, when its NAT has no modes. */
  noNatModes?: string;
  /** Rules on spec.networking.networkId / subnets, which name the cloud's own objects. */
  existingNetworkIssues(cluster: Cluster, add: (path: string, message: string) => void): void;
}

/** The known zones of a cloud, so a typo in --zones is caught before anything is written and the cloud is inferred from a zone. */
export interface ZoneFacts {
  /** A zone name of this cloud; the first group is its region. */
  shape: RegExp;
  /** Region → the letters of its zones. Keep current when the cloud adds regions. */
  regions: Record<string, string>;
  /** An example for hints: 'us-east-2a'. */
  example: string;
}

/** A `create cluster` flag a cloud contributes: declared in its cloud.ts, turned into spec fields by that cloud alone. */
export interface CloudFlag {
  /** commander notation: '--hosts <file>'. */
  flags: string;
  description: string;
  /** The flag's value names a file (or '-' for stdin) that the CLI reads and hands over. */
  file: true;
  /**
   * The spec fields the file's text means (source: the file's expanded path, for messages and relative paths). They
   * fill what other flags left unset; `api` fields are merged. Throws InvalidInputError on a bad file.
   */
  toSpec(text: string, source: string): Promise<Record<string, any>>;
}

/** Everything a provider's pure model builders need besides the spec. No secrets in here. */
export interface BuildInputs {
  /** State store URL (`s3://bucket/prefix`, `gs://…`, `file://…`); IAM policies are scoped to the cluster's prefix. */
  stateStore: string;
  /** Cluster CA certificate (PEM, public). */
  caCertPem: string;
  /** `sha256:<hex>` of the CA's SubjectPublicKeyInfo, for `kubeadm join --discovery-token-ca-cert-hash`. */
  caCertHash: string;
  /**
   * The version the cluster ran before `upgrade cluster` moved the spec to its version (src/lifecycle/upgrade-origin.ts):
   * cloud control-plane bundles then carry its packages to join with (docs/upgrades.md). Absent otherwise.
   */
  upgradeFrom?: string;
}

export interface ConnectOptions {
  io: IoHost;
  /** Environment to read credentials / endpoint overrides from (injected; never `process.env` below src/cli). */
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** The user's home directory (~/.ssh/known_hosts, default SSH keys). */
  home: string;
  /** The provider's narrow view of the cluster's state (src/lifecycle/provider-state.ts makes it). */
  state: ProviderState;
  /** Bare metal: record unknown SSH host keys instead of refusing them. */
  sshAcceptNew?: boolean;
}

/**
 * What a provider may see and keep of its cluster's state: where the store is (parsed once), the PKI (bare metal
 * copies it to control planes over SSH), and objects of its own under the cluster (bare metal's host inventory),
 * written through the lease-fenced ClusterStore. Never the raw store.
 */
export interface ProviderState {
  /** The store's location; null for a store without a URL scheme of its own (tests' in-memory stores). */
  readonly location: StateLocation | null;
  /** `<cluster>/<name>` (name: e.g. `metal-hosts.json`); null when absent. */
  getObject(name: string): Promise<Buffer | null>;
  /**
   * Compare-and-swap update of `<cluster>/<name>`: `change` gets the current bytes and returns the new text, or
   * undefined to keep them. Refused once the run's lease on the cluster is lost.
   */
  updateObject(name: string, change: (current: Buffer | null) => string | undefined): Promise<void>;
  /** The cluster's PKI with its private keys, or null when it has none yet. */
  readPki(): Promise<ClusterPki | null>;
  /** The Secrets encryption configuration (spec.kubeAPIServer.encryptionAtRest), a secret kept beside the PKI. */
  readEncryptionConfig(): Promise<string | null>;
}

export interface Provider<C = unknown> {
  name: string;
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
  /**
   * The engine's task limits when the defaults (4 per handler service, 16 in all) do not fit: a provider whose clients
   * limit their own calls (AWS: adaptive limits per API family) lets more tasks run and its clients hold them back.
   */
  concurrency?: { perService?: Record<string, number>; defaultPerService?: number; total?: number };
  /** One handler per resource kind the graph uses. */
  handlers: ResourceHandler<C>[];
  /** Pure: the desired resources for this cluster. */
  buildGraph(cluster: Cluster, inputs: BuildInputs): ResourceNode[];
  /**
   * Pure: the bootstrap bundles the graph's user data / startup scripts load (key relative to `<cluster>/`, content).
   * Applying writes them to the state store before any instance can boot (bare metal has none: it uses SSH).
   */
  bootstrapBundles?(cluster: Cluster, inputs: BuildInputs): { key: string; content: string }[];
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
  /** Optional: kubeadm's upgrade procedure on this provider's machines (`upgrade cluster`, docs/upgrades.md). */
  upgrade?: UpgradeCapability<C>;
  /** Optional: kubeadm's certificates read and renewed on the machines that hold them (`certs check|renew`). */
  certificates?: CertificatesCapability<C>;
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
  /**
   * Optional (upgrade cluster on a cloud, docs/upgrades.md): grows the group by one instance on its current
   * configuration beside the running ones, and waits until that instance is in service. Idempotent: a group that
   * already has an in-service instance on the current configuration beyond its old ones is returned as it is.
   */
  surgeInstance?(cluster: Cluster, clients: C, group: CloudInstanceGroup, opts: ReplaceOptions): Promise<CloudInstanceGroup>;
  /** Optional, after surgeInstance: removes the instance and shrinks the group back by one; waits until it has left. */
  retireInstance?(cluster: Cluster, clients: C, group: CloudInstanceGroup, instance: GroupInstance, opts: ReplaceOptions): Promise<CloudInstanceGroup>;
}
