// The addons only AWS clusters run (CloudFacts.addons): the AWS cloud-controller-manager and the EBS CSI driver with
// its default StorageClass. Versions, tags and digests are the upstream projects' published ones (docs/addons.md says
// where each comes from); their IAM permissions are in model/iam.ts (docs/aws.md lists them).

import type { AddonDefinition, VolumeSnapshotFacts } from '../../src/addons/catalogue.js';

/**
 * Where the tags and digests below come from: the Kubernetes image promoter's manifest of the images it published to
 * registry.k8s.io/provider-aws (kubernetes/k8s.io, registry.k8s.io/images/k8s-staging-provider-aws/images.yaml at
 * commit 0137eda2cba1d3894c93aa4bd4363eacc2ed7287). Its digests are the manifest lists the registry serves, so a node
 * pulls exactly the image that was promoted (docs/addons.md).
 */
const PROMOTED_AWS = 'kubernetes/k8s.io registry.k8s.io/images/k8s-staging-provider-aws/images.yaml (commit 0137eda2cba1d3894c93aa4bd4363eacc2ed7287)';

/**
 * kubernetes/cloud-provider-aws releases one cloud-controller-manager per Kubernetes minor and guarantees it only
 * with that minor (its docs/README.md, "Compatibility with Kubernetes"): each supported minor runs the newest patch
 * of its own minor that the promoter published. The manifest is that of the project's Helm chart 0.0.10
 * (charts/aws-cloud-controller-manager), whose flags and RBAC serve all three.
 */
const CCM_REPOSITORY = 'registry.k8s.io/provider-aws/cloud-controller-manager';
const AWS_CCM_IMAGES = {
  33: { image: { repository: CCM_REPOSITORY, tag: 'v1.33.4', digest: 'sha256:b54bc094711e9d7ace6c9bab3d6f02a598e7570ac1fedd6341940e1de79ea476' } },
  34: { image: { repository: CCM_REPOSITORY, tag: 'v1.34.3', digest: 'sha256:ab45cec4a1ee68a556d09a362746db8fd66b258101aefcf0542f51e960248810' } },
  35: { image: { repository: CCM_REPOSITORY, tag: 'v1.35.2', digest: 'sha256:5a5d4e5942ad078a184c12bf5435f8226ccb157ee15e9e1f87c183a4bf4b8f1a' } },
};
export const CCM_ADDON = 'aws-cloud-controller-manager';

/**
 * kubernetes-sigs/aws-ebs-csi-driver v1.46.0, its registry.k8s.io image (the repository of upstream's
 * deploy/kubernetes/overlays/stable/gcr), tag and digest as promoted (PROMOTED_AWS). The sidecars are the
 * kubernetes-csi releases from registry.k8s.io/sig-storage, tags and digests as that promoter manifest lists them
 * (registry.k8s.io/images/k8s-staging-sig-storage/images.yaml at commit 0279c5e0c09cb9a8736659960cf0de2a2f27abaa).
 * Which sidecar versions go with v1.46.0 is k8sup's choice, not a pin read from upstream: no stored copy of v1.46.0's
 * controller.yaml, node.yaml or chart values was found (the stored ones are of older releases). Third parties' image
 * lists (not upstream) run the same five versions, as EKS rebuilds, beside drivers v1.45 to v1.49. docs/addons.md says so.
 */
export const EBS_CSI_VERSION = 'v1.46.0';
export const EBS_CSI_ADDON = 'aws-ebs-csi-driver';

/**
 * EBS snapshots: not with v1.46.0. Upstream pairs a csi-snapshotter with each driver release in that release's
 * deploy/kubernetes/base/controller.yaml (and Helm chart values); k8sup found no stored copy of either for v1.46.0, and it
 * never guesses a sidecar tag, so snapshot-controller is unavailable on AWS (and the roles get no EC2 snapshot rights)
 * until the catalogue pins a driver release whose pairing it has (docs/addons.md).
 */
export const AWS_VOLUME_SNAPSHOTS: VolumeSnapshotFacts = {
  csiAddon: EBS_CSI_ADDON,
  driver: 'ebs.csi.aws.com',
  className: 'csi-aws-vsc',
  unavailable: `no csi-snapshotter tag that upstream pairs with ${EBS_CSI_ADDON} ${EBS_CSI_VERSION} was found (docs/addons.md)`,
};

export const AWS_ADDONS: readonly AddonDefinition[] = [
  {
    name: CCM_ADDON,
    version: 'per Kubernetes minor',
    description: 'AWS cloud-controller-manager: node provider IDs, addresses and zone labels, removal of terminated instances, Services of type LoadBalancer',
    defaultEnabled: true,
    images: {},
    imagesByMinor: AWS_CCM_IMAGES,
    permissions: 'cluster: nodes (all verbs), nodes/status, services and services/status (patch, update), events, leases, endpoints, serviceaccounts (+ tokens), persistentvolumes (read, update); AWS: the control-plane role\'s Ccm* statements (docs/aws.md)',
    workloads: [{ kind: 'DaemonSet', namespace: 'kube-system', name: CCM_ADDON }],
    source: `kubernetes/cloud-provider-aws charts/aws-cloud-controller-manager 0.0.10: DaemonSet, ClusterRole rules and RoleBinding of the chart; images v1.33.4/v1.34.3/v1.35.2 from ${PROMOTED_AWS}`,
  },
  {
    name: EBS_CSI_ADDON,
    version: EBS_CSI_VERSION,
    description: 'Amazon EBS CSI driver and the default StorageClass gp3 (encrypted, WaitForFirstConsumer)',
    defaultEnabled: true,
    images: {
      image: { repository: 'registry.k8s.io/provider-aws/aws-ebs-csi-driver', tag: EBS_CSI_VERSION, digest: 'sha256:4bfb4eba825f9a948dd420e8622d4d270c0f389a64c1559b6d0512d07fc2f0d9' },
      provisionerImage: { repository: 'registry.k8s.io/sig-storage/csi-provisioner', tag: 'v5.3.0', digest: 'sha256:bb057f866177d5f4139a1527e594499cbe0feeb67b63aaca8679dfdf0a6016f9' },
      attacherImage: { repository: 'registry.k8s.io/sig-storage/csi-attacher', tag: 'v4.9.0', digest: 'sha256:5aaefc24f315b182233c8b6146077f8c32e274d864cb03c632206e78bd0302da' },
      resizerImage: { repository: 'registry.k8s.io/sig-storage/csi-resizer', tag: 'v1.14.0', digest: 'sha256:5e7cbb63fd497fa913caa21fee1a69f727c220c6fa83c5f8bb0995e2ad73a474' },
      registrarImage: { repository: 'registry.k8s.io/sig-storage/csi-node-driver-registrar', tag: 'v2.14.0', digest: 'sha256:5244abbe87e01b35adeb8bb13882a74785df0c0619f8325c9e950395c3f72a97' },
      livenessProbeImage: { repository: 'registry.k8s.io/sig-storage/livenessprobe', tag: 'v2.16.0', digest: 'sha256:88092d100909918ae0a768956cf78c88bc59cd7232720f7cdbdfb5d2e235001e' },
    },
    permissions: 'cluster: persistentvolumes, persistentvolumeclaims, volumeattachments, storageclasses, csinodes, nodes (read), events, leases; AWS: the control-plane role\'s EbsCsi* statements (the controller runs on control planes only, so nodes get no EBS rights; docs/aws.md)',
    workloads: [
      { kind: 'Deployment', namespace: 'kube-system', name: 'ebs-csi-controller' },
      { kind: 'DaemonSet', namespace: 'kube-system', name: 'ebs-csi-node' },
    ],
    source: `kubernetes-sigs/aws-ebs-csi-driver v1.46.0 (deploy/kubernetes/base: controller, node, CSIDriver, RBAC); driver image from ${PROMOTED_AWS}, sidecars (k8sup's pairing) from kubernetes/k8s.io registry.k8s.io/images/k8s-staging-sig-storage/images.yaml`,
    // --k8s-tag-cluster-id: the volumes it creates carry kubernetes.io/cluster/<name>=owned, which the IAM policy
    // requires of every volume it may attach, resize or delete (model/iam.ts).
    values: (cluster) => ({ clusterTagArg: `--k8s-tag-cluster-id=${cluster.metadata.name}` }),
  },
];
