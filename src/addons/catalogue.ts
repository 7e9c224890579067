// The addon catalogue: every addon k8sup can install, with the one version it pins (the only table of addon versions
// and images). spec.addons turns addons on or off; a version other than the pinned one is refused, since k8sup only
// ships the manifest it has reviewed for it. Images are pinned by tag, and by digest only where upstream publishes one
// (the image promoter's manifests: the clouds' CCMs and CSI drivers; docs/addons.md). Manifests are
// templates/addons/<name>.yaml.
// Addons that only make sense on one cloud (its cloud-controller-manager, its CSI driver) are declared by that cloud,
// in providers/<cloud>/addons.ts through CloudFacts.addons, so that nothing here names a cloud.

import type { Cluster } from '../api/types.js';
import type { TemplateVars } from '../bootstrap/template.js';

/** cluster-autoscaler's cloud-specific flags (CloudFacts.clusterAutoscaler; rendered into its Deployment). */
export interface ClusterAutoscalerFacts {
  /** --cloud-provider. */
  cloudProvider: string;
  /** Further flags: how it finds the node groups and their bounds (`--nodes=min:max:<group>`, auto-discovery). */
  args: string[];
  /** Environment of its container (AWS_REGION). */
  env?: { name: string; value: string }[];
}

/**
 * How a cloud's CSI driver takes volume snapshots (CloudFacts.volumeSnapshots): the snapshot-controller addon installs
 * the VolumeSnapshot CRDs, the controller and this driver's default VolumeSnapshotClass, and the driver's own addon
 * adds the csi-snapshotter sidecar to its controller while snapshot-controller is on ({{volumeSnapshots}}).
 */
export interface VolumeSnapshotFacts {
  /** The cloud's CSI driver addon: snapshot-controller is only available while it is on. */
  csiAddon: string;
  /** The CSI driver name (VolumeSnapshotClass.driver). */
  driver: string;
  /** Name of the default VolumeSnapshotClass k8sup creates for it. */
  className: string;
  /** Why the driver takes no snapshots with k8sup (no csi-snapshotter tag paired with its release), when it does not. */
  unavailable?: string;
}

/** What an addon may ask of the cluster's cloud (its CloudFacts, handed in by src/addons/index.ts). */
export interface AddonCloud {
  title: string;
  clusterAutoscaler?(cluster: Cluster): ClusterAutoscalerFacts;
  volumeSnapshots?: VolumeSnapshotFacts;
}

export interface AddonImage {
  repository: string;
  tag: string;
  /** sha256:… only when upstream publishes it; never computed or copied from a third party. */
  digest?: string;
}

/** An object whose readiness says the addon runs (validate, `get addons`). */
export interface AddonWorkload {
  kind: 'Deployment' | 'DaemonSet';
  namespace: string;
  name: string;
}

export interface AddonDefinition {
  name: string;
  version: string;
  description: string;
  /** On unless spec.addons turns it off. */
  defaultEnabled: boolean;
  /** Its images, by the name its template uses for each ({{image}} for the one image of a single-image addon). */
  images: Record<string, AddonImage>;
  /**
   * Images that differ per Kubernetes minor (an addon built against each minor: cluster-autoscaler, a
   * cloud-controller-manager): minor → images, replacing `images` for a cluster of that minor. A supported minor
   * missing here is one upstream publishes no image for that k8sup found: the addon cannot run there (never guessed).
   */
  imagesByMinor?: Readonly<Record<number, Record<string, AddonImage>>>;
  /** Template variables that depend on the cluster (its cloud's flags for the addon, its node groups' sizes). */
  values?(cluster: Cluster, cloud: AddonCloud | undefined): TemplateVars;
  /** Why the addon cannot run on this cluster (besides a missing image for its minor), or undefined when it can. */
  unavailable?(cluster: Cluster, cloud: AddonCloud | undefined): string | undefined;
  /** Another addon this one only works with (it is unavailable while that one is off or unavailable). */
  requires?(cloud: AddonCloud | undefined): string | undefined;
  /** What it may do in the cluster (docs/addons.md lists the same). */
  permissions: string;
  workloads: AddonWorkload[];
  /** Where the version and manifest come from. */
  source: string;
}

/** The addon that installs the VolumeSnapshot API; the CSI drivers' templates add their snapshotter while it is on. */
export const SNAPSHOT_CONTROLLER = 'snapshot-controller';

/** The addons of every cloud. */
export const ADDONS: readonly AddonDefinition[] = [
  {
    name: 'metrics-server',
    version: 'v0.7.2',
    description: 'resource metrics (metrics.k8s.io) for kubectl top and HorizontalPodAutoscalers',
    defaultEnabled: true,
    images: { image: { repository: 'registry.k8s.io/metrics-server/metrics-server', tag: 'v0.7.2' } },
    permissions: 'reads pods and nodes, nodes/metrics (kubelet), the extension-apiserver-authentication ConfigMap; auth-delegator (token and access reviews); serves metrics.k8s.io/v1beta1',
    workloads: [{ kind: 'Deployment', namespace: 'kube-system', name: 'metrics-server' }],
    source: 'kubernetes-sigs/metrics-server release v0.7.2 (manifests/base, release image registry.k8s.io/metrics-server/metrics-server:v0.7.2)',
  },
  {
    // Opt-in: it changes node counts on its own. Its cloud provider flag and node groups come from the cloud
    // (CloudFacts.clusterAutoscaler), so this entry names none; a cloud without that hook cannot run it.
    name: 'cluster-autoscaler',
    version: 'per Kubernetes minor',
    description: 'grows and shrinks each node group between its minSize and maxSize (docs/autoscaling.md)',
    defaultEnabled: false,
    images: {},
    // One release per Kubernetes minor (upstream: "use the version for which it was meant"), the newest patch of
    // each: the "Images" section of the kubernetes/autoscaler releases cluster-autoscaler-1.33.6, -1.34.5 and
    // -1.35.2 (published 2026-07-23). No digest: the release notes publish none.
    imagesByMinor: {
      33: { image: { repository: 'registry.k8s.io/autoscaling/cluster-autoscaler', tag: 'v1.33.6' } },
      34: { image: { repository: 'registry.k8s.io/autoscaling/cluster-autoscaler', tag: 'v1.34.5' } },
      35: { image: { repository: 'registry.k8s.io/autoscaling/cluster-autoscaler', tag: 'v1.35.2' } },
    },
    values: (cluster, cloud) => {
      const facts = cloud?.clusterAutoscaler?.(cluster);
      if (!facts) throw new Error(`cluster-autoscaler: ${cluster.spec.cloud} has no node groups it can resize`);
      return { cloudProviderFlag: `--cloud-provider=${facts.cloudProvider}`, args: facts.args, env: facts.env ?? [] };
    },
    unavailable: (cluster, cloud) => (cloud?.clusterAutoscaler ? undefined : `${cloud?.title ?? cluster.spec.cloud} has no node groups it can resize (the machines are your own hosts)`),
    permissions: 'reads pods, nodes, PVs/PVCs, storage and workload objects; evicts pods and updates nodes (scale-down); its own lease and status ConfigMap in kube-system; in the cloud: resizes only this cluster\'s node groups (docs/autoscaling.md)',
    workloads: [{ kind: 'Deployment', namespace: 'kube-system', name: 'cluster-autoscaler' }],
    source: 'kubernetes/autoscaler releases cluster-autoscaler-1.33.6/1.34.5/1.35.2 (images), RBAC of cluster-autoscaler/cloudprovider/aws/examples/cluster-autoscaler-run-on-control-plane.yaml',
  },
  {
    // CSI volume snapshots (as kops' snapshot-controller addon): the snapshot.storage.k8s.io/v1 CRDs, the
    // snapshot-controller and the cloud CSI driver's default VolumeSnapshotClass (CloudFacts.volumeSnapshots). On by
    // default wherever the cloud's CSI driver runs and pairs a csi-snapshotter with its release; off elsewhere.
    // v8.6.0: the snapshot-controller tag the kubernetes-csi/external-snapshotter v8.7.0 release's deploy manifests
    // use (its release notes, CHANGELOG/CHANGELOG-8.7.md at commit 6b681ff509bfd5fd5eec4226d461b9fe4fc7a9ce: "Updated
    // the sidecar image versions in the deploy manifests to … snapshot-controller v8.6.0"). No digest: none published.
    name: SNAPSHOT_CONTROLLER,
    version: 'v8.6.0',
    description: 'CSI volume snapshots: the VolumeSnapshot CRDs (snapshot.storage.k8s.io/v1), snapshot-controller and the CSI driver\'s default VolumeSnapshotClass',
    defaultEnabled: true,
    images: { image: { repository: 'registry.k8s.io/sig-storage/snapshot-controller', tag: 'v8.6.0' } },
    requires: (cloud) => cloud?.volumeSnapshots?.csiAddon,
    unavailable: (cluster, cloud) => {
      const facts = cloud?.volumeSnapshots;
      if (!facts) return `${cloud?.title ?? cluster.spec.cloud} has no CSI driver k8sup installs that takes snapshots`;
      return facts.unavailable;
    },
    values: (cluster, cloud) => {
      const facts = cloud?.volumeSnapshots;
      if (!facts) throw new Error(`${SNAPSHOT_CONTROLLER}: ${cluster.spec.cloud} has no CSI driver that takes snapshots`);
      return { snapshotDriver: facts.driver, snapshotClassName: facts.className };
    },
    permissions: 'snapshot-controller-runner: read PVs, PVCs (and update them), VolumeSnapshotClasses; manage VolumeSnapshots and VolumeSnapshotContents and their status; events; its lease in kube-system. The cloud permissions are the CSI driver\'s (docs/addons.md)',
    workloads: [{ kind: 'Deployment', namespace: 'kube-system', name: 'snapshot-controller' }],
    source: 'kubernetes-csi/external-snapshotter: client/config/crd (v1 schemas of the stored copies, commits in templates/addons/snapshot-controller.yaml), deploy/kubernetes/snapshot-controller (RBAC at commit d27ee265c11cffba378237ddebb1ee549749b6b6), image tag of the v8.7.0 deploy manifests',
  },
];

export function imageReference(image: AddonImage): string {
  return `${image.repository}:${image.tag}${image.digest ? `@${image.digest}` : ''}`;
}
