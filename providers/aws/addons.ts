// The addons only AWS clusters run (CloudFacts.addons): the AWS cloud-controller-manager and the EBS CSI driver with
// its default StorageClass. Versions and images are the upstream projects' published ones (docs/addons.md says where
// each comes from); their IAM permissions are in model/iam.ts (docs/aws.md lists them).

import type { AddonDefinition, VolumeSnapshotFacts } from '../../src/addons/catalogue.js';

/**
 * kubernetes/cloud-provider-aws v1.34.0: the appVersion of its Helm chart 0.0.10 (charts/aws-cloud-controller-manager,
 * image registry.k8s.io/provider-aws/cloud-controller-manager). A cloud-controller-manager may be one minor older
 * than the API server, never newer (Kubernetes version skew policy), so this release serves clusters on 1.34 and 1.35.
 * No 1.33 release of it was found in an upstream-published source, so on 1.33 the addon is off (refused when asked
 * for), and the nodes then run without an external cloud provider (src/addons imagesByMinor).
 */
export const AWS_CCM_VERSION = 'v1.34.0';
export const CCM_ADDON = 'aws-cloud-controller-manager';

/**
 * kubernetes-sigs/aws-ebs-csi-driver v1.46.0: the driver image its release manifests pin
 * (deploy/kubernetes/base/node.yaml). The sidecars are the kubernetes-csi projects' own releases, from registry.k8s.io:
 * node-driver-registrar v2.14.0 and livenessprobe v2.16.0 are the versions that node.yaml pins (as EKS rebuilds);
 * csi-provisioner v5.3.0, csi-attacher v4.9.0 and csi-resizer v1.14.0 are kubernetes-csi releases of the same period
 * (their CHANGELOG-5.3, -4.9, -1.14), as no stored copy of that release's controller.yaml was found (docs/addons.md).
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
    version: AWS_CCM_VERSION,
    description: 'AWS cloud-controller-manager: node provider IDs, addresses and zone labels, removal of terminated instances, Services of type LoadBalancer',
    defaultEnabled: true,
    images: {},
    imagesByMinor: {
      34: { image: { repository: 'registry.k8s.io/provider-aws/cloud-controller-manager', tag: AWS_CCM_VERSION } },
      35: { image: { repository: 'registry.k8s.io/provider-aws/cloud-controller-manager', tag: AWS_CCM_VERSION } },
    },
    permissions: 'cluster: nodes (all verbs), nodes/status, services and services/status (patch, update), events, leases, endpoints, serviceaccounts (+ tokens), persistentvolumes (read, update); AWS: the control-plane role\'s Ccm* statements (docs/aws.md)',
    workloads: [{ kind: 'DaemonSet', namespace: 'kube-system', name: CCM_ADDON }],
    source: 'kubernetes/cloud-provider-aws charts/aws-cloud-controller-manager 0.0.10 (appVersion v1.34.0): DaemonSet, ClusterRole rules and RoleBinding of the chart',
  },
  {
    name: EBS_CSI_ADDON,
    version: EBS_CSI_VERSION,
    description: 'Amazon EBS CSI driver and the default StorageClass gp3 (encrypted, WaitForFirstConsumer)',
    defaultEnabled: true,
    images: {
      image: { repository: 'public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver', tag: EBS_CSI_VERSION },
      provisionerImage: { repository: 'registry.k8s.io/sig-storage/csi-provisioner', tag: 'v5.3.0' },
      attacherImage: { repository: 'registry.k8s.io/sig-storage/csi-attacher', tag: 'v4.9.0' },
      resizerImage: { repository: 'registry.k8s.io/sig-storage/csi-resizer', tag: 'v1.14.0' },
      registrarImage: { repository: 'registry.k8s.io/sig-storage/csi-node-driver-registrar', tag: 'v2.14.0' },
      livenessProbeImage: { repository: 'registry.k8s.io/sig-storage/livenessprobe', tag: 'v2.16.0' },
    },
    permissions: 'cluster: persistentvolumes, persistentvolumeclaims, volumeattachments, storageclasses, csinodes, nodes (read), events, leases; AWS: the control-plane role\'s EbsCsi* statements (the controller runs on control planes only, so nodes get no EBS rights; docs/aws.md)',
    workloads: [
      { kind: 'Deployment', namespace: 'kube-system', name: 'ebs-csi-controller' },
      { kind: 'DaemonSet', namespace: 'kube-system', name: 'ebs-csi-node' },
    ],
    source: 'kubernetes-sigs/aws-ebs-csi-driver v1.46.0 (deploy/kubernetes/base: controller, node, CSIDriver, RBAC), sidecars from kubernetes-csi releases',
    // --k8s-tag-cluster-id: the volumes it creates carry kubernetes.io/cluster/<name>=owned, which the IAM policy
    // requires of every volume it may attach, resize or delete (model/iam.ts).
    values: (cluster) => ({ clusterTagArg: `--k8s-tag-cluster-id=${cluster.metadata.name}` }),
  },
];
