// GCE's own addons (CloudFacts.addons): the GCP cloud-controller-manager and the Compute Engine persistent disk CSI
// driver with its default StorageClass, and how cluster-autoscaler drives GCE (CloudFacts.clusterAutoscaler). Their
// controllers run on the control planes, with the control planes' service account (docs/gce.md lists what it may do).
// Light: imported by cloud.ts, so only pure name helpers here (no provider, no bootstrap).

import type { AddonDefinition, VolumeSnapshotFacts } from '../../src/addons/catalogue.js';
import type { Cluster } from '../../src/api/types.js';
import type { ClusterAutoscalerFacts } from '../../src/core/provider.js';
import { networkTag, resourceName } from './model/names.js';
import { spread } from './model/sizes.js';

const COMPUTE_API = 'https://www.googleapis.com/compute/v1';

/**
 * Where the image digests below come from: the Kubernetes image promoter's manifest of what it published to
 * registry.k8s.io/cloud-provider-gcp (a node then pulls exactly the promoted manifest list: docs/addons.md).
 */
const PROMOTED_GCP = 'kubernetes/k8s.io registry.k8s.io/images/k8s-staging-cloud-provider-gcp/images.yaml (commit 43401df3a194312edc6710a586f4e260bef26d97)';
const CCM_REPOSITORY = 'registry.k8s.io/cloud-provider-gcp/cloud-controller-manager';

/** The names GCE's cloud config (gce.conf) gives the CCM: the cluster's network, subnetwork and node tag. */
function cloudConfig(cluster: Cluster): Record<string, string> {
  const s = cluster.spec;
  const existing = s.networking.networkId !== undefined;
  return {
    project: s.project ?? '',
    clusterName: cluster.metadata.name,
    networkName: existing ? s.networking.networkId! : resourceName(cluster, 'net'),
    subnetworkName: existing ? (s.networking.subnets?.[0] ?? '') : resourceName(cluster, s.region),
    nodeTag: networkTag(cluster, 'node'),
  };
}

export const GCE_ADDONS: readonly AddonDefinition[] = [
  {
    name: 'gcp-cloud-controller-manager',
    version: 'per Kubernetes minor',
    description: 'GCP cloud-controller-manager: node provider IDs, zones and addresses, removal of deleted instances, Services of type LoadBalancer',
    defaultEnabled: true,
    images: {},
    // cloud-provider-gcp builds one image per Kubernetes minor (docs/RELEASE.md: K8S_MINOR.K8S_PATCH.CCM_PATCH): each
    // supported minor runs the newest of its own that the Kubernetes image promoter published, tag and digest as its
    // manifest lists them (PROMOTED_GCP). The manifest is deploy/packages/default/manifest.yaml at commit
    // 084cd7916de4ba2efd0d2767474462004b6732bb (of v35.0.0), whose flags and RBAC the 1.33 and 1.34 builds take too.
    imagesByMinor: {
      33: { image: { repository: CCM_REPOSITORY, tag: 'v33.4.0', digest: 'sha256:d9719ba3d95f3d3ce4811fcf9ffd64b158ab9ac8c81b151cc9faa73a945b5170' } },
      34: { image: { repository: CCM_REPOSITORY, tag: 'v34.2.0', digest: 'sha256:4795f50bd273894d46e21b5569a716374377ae06d276343a6e5eae5aa93d5de8' } },
      35: { image: { repository: CCM_REPOSITORY, tag: 'v35.0.2', digest: 'sha256:f1cfeca80d58695683ddaeebb41215bf7239cb49534c5eb2b6e6205929822389' } },
    },
    values: (cluster) => cloudConfig(cluster),
    permissions: 'in the cluster: upstream\'s system:cloud-controller-manager and cloud-node-controller roles (nodes, node status, events, leases, service accounts/tokens it creates for its controllers); in GCE: the control planes\' service account (docs/gce.md)',
    workloads: [{ kind: 'DaemonSet', namespace: 'kube-system', name: 'cloud-controller-manager' }],
    source: `kubernetes/cloud-provider-gcp deploy/packages/default/manifest.yaml (commit 084cd7916de4ba2efd0d2767474462004b6732bb), flags and gce.conf by k8sup; images v33.4.0/v34.2.0/v35.0.2 from ${PROMOTED_GCP}`,
  },
  {
    name: 'gcp-pd-csi-driver',
    version: 'v1.9.0',
    description: 'Compute Engine persistent disk CSI driver (pd.csi.storage.gke.io) and the default StorageClass pd-balanced',
    defaultEnabled: true,
    // deploy/kubernetes/images/stable-master/image.yaml at commit 3315127534391422d10f7d0fe08fb5e0244166f5: the newest
    // version of that file k8sup has (it names k8s.gcr.io, which now serves from registry.k8s.io; no newer stored upstream
    // deploy pairs a newer driver with its sidecars). Digests as the promoter lists them: the driver's in PROMOTED_GCP,
    // the sidecars' in registry.k8s.io/images/k8s-staging-sig-storage/images.yaml (commit
    // 0279c5e0c09cb9a8736659960cf0de2a2f27abaa). The snapshotter (its csi-snapshotter v6.1.0) runs only while the
    // snapshot-controller addon installs the VolumeSnapshot CRDs (GCE_VOLUME_SNAPSHOTS).
    images: {
      driver: { repository: 'registry.k8s.io/cloud-provider-gcp/gcp-compute-persistent-disk-csi-driver', tag: 'v1.9.0', digest: 'sha256:51aebbb47392f32f526f1c99ea194bc00037c8b87cdee09efde86d269988d651' },
      provisioner: { repository: 'registry.k8s.io/sig-storage/csi-provisioner', tag: 'v3.4.0', digest: 'sha256:e468dddcd275163a042ab297b2d8c2aca50d5e148d2d22f3b6ba119e2f31fa79' },
      attacher: { repository: 'registry.k8s.io/sig-storage/csi-attacher', tag: 'v4.2.0', digest: 'sha256:34cf9b32736c6624fc9787fb149ea6e0fbeb45415707ac2f6440ac960f1116e6' },
      resizer: { repository: 'registry.k8s.io/sig-storage/csi-resizer', tag: 'v1.7.0', digest: 'sha256:3a7bdf5d105783d05d0962fa06ca53032b01694556e633f27366201c2881e01d' },
      registrar: { repository: 'registry.k8s.io/sig-storage/csi-node-driver-registrar', tag: 'v2.7.0', digest: 'sha256:4a4cae5118c4404e35d66059346b7fa0835d7e6319ff45ed73f4bba335cf5183' },
      snapshotter: { repository: 'registry.k8s.io/sig-storage/csi-snapshotter', tag: 'v6.1.0' },
    },
    permissions: 'in the cluster: upstream\'s provisioner, attacher and resizer roles (PVs, PVCs, VolumeAttachments, StorageClasses, CSINodes, events, its leases); in GCE: the control planes\' service account creates, attaches, detaches, resizes and deletes disks (docs/gce.md)',
    workloads: [
      { kind: 'Deployment', namespace: 'gce-pd-csi-driver', name: 'csi-gce-pd-controller' },
      { kind: 'DaemonSet', namespace: 'gce-pd-csi-driver', name: 'csi-gce-pd-node' },
    ],
    source: `kubernetes-sigs/gcp-compute-persistent-disk-csi-driver deploy/kubernetes/base (controller, node_linux, cluster_setup) and images/stable-master (commit 3315127534391422d10f7d0fe08fb5e0244166f5); digests from ${PROMOTED_GCP} and kubernetes/k8s.io registry.k8s.io/images/k8s-staging-sig-storage/images.yaml`,
  },
];

/**
 * PD snapshots (the snapshot-controller addon): the driver's csi-snapshotter sidecar with upstream's snapshotter role
 * (deploy/kubernetes/base/controller/cluster_setup.yaml, commit 0681d2fa9f37c7dca27e1a95ebfcd58f44cceaa5), and a default
 * VolumeSnapshotClass. No further GCE role: the control planes' service account already holds
 * roles/compute.storageAdmin (CONTROLLER_ROLES), the role upstream's deploy/setup-project.sh gives the driver's account
 * for disks and snapshots alike (docs/gce.md).
 */
export const GCE_VOLUME_SNAPSHOTS: VolumeSnapshotFacts = {
  csiAddon: 'gcp-pd-csi-driver',
  driver: 'pd.csi.storage.gke.io',
  className: 'csi-gce-pd-snapshot-class',
};

/**
 * cluster-autoscaler on GCE: each node group is one managed instance group per zone, and each gets its share of
 * the group's minSize and maxSize (spread as the instance groups' sizes are: model/compute.ts) as
 * `--nodes=min:max:<instance group URL>`.
 */
export function gceClusterAutoscaler(cluster: Cluster): ClusterAutoscalerFacts {
  const s = cluster.spec;
  const args: string[] = [];
  for (const g of s.nodeGroups) {
    const min = spread(g.minSize, g.zones);
    const max = spread(g.maxSize, g.zones);
    for (const zone of g.zones) {
      const mig = resourceName(cluster, `${g.name}-${zone}`);
      args.push(`--nodes=${min.get(zone)}:${max.get(zone)}:${COMPUTE_API}/projects/${s.project}/zones/${zone}/instanceGroups/${mig}`);
    }
  }
  return { cloudProvider: 'gce', args };
}
