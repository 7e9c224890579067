// Instance templates and zonal managed instance groups: the control plane gets one group per zone (exactly one
// instance in the whole cluster runs `kubeadm init`: the first zone's `cp` group of size 1), each node group one
// group per zone with its size spread over the zones.

import type { Cluster } from '../../../src/api/types.js';
import type { BuildInputs } from '../../../src/core/provider.js';
import { ref, type FieldValue, type ResourceNode } from '../../../src/core/resource.js';
import type { NodeRole } from '../../../src/bootstrap/index.js';
import { adminAddressId, API_INTERNAL_ADDRESS, instanceGroupId, instanceTemplateId, serviceAccountId } from './ids.js';
import { networkLink, subnetworkLink } from './network.js';
import { topologyOf } from '../../../src/api/topology.js';
import { clusterLabels, contentHash, LABEL_NODE_GROUP, LABEL_ROLE, networkTag, resourceName } from './names.js';
import { bundleFor, startupScriptFor } from './startup-script.js';
import { spread } from './sizes.js';
import { enabledAddons } from '../../../src/addons/index.js';
import { cloudControllers, COMPUTE_SCOPE } from './identity.js';
import { distinctBundles, type BootstrapBundle } from '../../../src/bootstrap/index.js';

export const UBUNTU_IMAGE = 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64';
export const DISK_SIZE_GB = { 'control-plane': 64, node: 128 } as const;

/**
 * OAuth scopes of each role's own service account (identity.ts). Control planes write bootstrap tokens to the state
 * bucket; nodes only read it. Scopes do not limit which objects: the service accounts' conditional bucket bindings
 * do. Logging and monitoring let the guest agents report (given those roles in the project: docs/gce.md).
 */
export const SCOPES = {
  'control-plane': [
    'https://www.googleapis.com/auth/devstorage.read_write',
    'https://www.googleapis.com/auth/logging.write',
    'https://www.googleapis.com/auth/monitoring.write',
  ],
  node: [
    'https://www.googleapis.com/auth/devstorage.read_only',
    'https://www.googleapis.com/auth/logging.write',
    'https://www.googleapis.com/auth/monitoring.write',
  ],
} as const;

export interface InstanceGroup {
  role: 'control-plane' | 'node';
  bootstrapRole: NodeRole;
  /** Short key used in ids and names: `cp`, `cp-join`, or the node group's name. */
  key: string;
  /** The k8sup.io/node-group value. */
  group: string;
  machineType: string;
  /** The node group's shape settings (spec.nodeGroups[].rootVolume, spot, image); none for the control plane. */
  shape?: Pick<Cluster['spec']['nodeGroups'][number], 'rootVolume' | 'spot' | 'image'>;
  /** Zone → target size (a node group's minSize spread over its zones). */
  sizes: Map<string, number>;
  /** Node groups: zone → its share of maxSize (the bound cluster-autoscaler may grow the zone's group to). */
  maxSizes?: Map<string, number>;
  zones: string[];
}

export { spread };

export function instanceGroups(cluster: Cluster): InstanceGroup[] {
  const s = cluster.spec;
  const groups: InstanceGroup[] = [];
  const cp = (key: string, bootstrapRole: NodeRole, sizes: Map<string, number>): InstanceGroup => ({
    role: 'control-plane', bootstrapRole, key, group: 'control-plane', machineType: s.controlPlane.machineType, sizes, zones: [...sizes.keys()],
  });
  const perZone = [...spread(s.controlPlane.count, s.controlPlane.zones)];
  // A zone-less spec (delete without a state orders its deletes with it) has no instance groups.
  if (perZone.length === 0) return groups;
  const [firstZone, firstCount] = perZone[0];
  groups.push(cp('cp', 'control-plane-init', new Map([[firstZone, 1]])));
  const join = new Map<string, number>();
  if (firstCount > 1) join.set(firstZone, firstCount - 1);
  for (const [zone, n] of perZone.slice(1)) if (n > 0) join.set(zone, n);
  if (join.size) groups.push(cp('cp-join', 'control-plane-join', join));
  for (const g of s.nodeGroups) {
    groups.push({ role: 'node', bootstrapRole: 'worker', key: g.name, group: g.name, machineType: g.machineType, shape: g, sizes: spread(g.minSize, g.zones), maxSizes: spread(g.maxSize, g.zones), zones: [...g.zones] });
  }
  return groups;
}

/** spec.image as a source image: full URLs and `projects/…` paths as given, a bare name in the cluster's project. */
export function sourceImage(cluster: Cluster, groupImage?: string): string {
  const image = groupImage ?? cluster.spec.image;
  if (!image) return UBUNTU_IMAGE;
  if (/^(https:\/\/|projects\/|global\/)/.test(image)) return image;
  return `projects/${cluster.spec.project}/global/images/${image}`;
}

export function computeNodes(cluster: Cluster, inputs: BuildInputs): ResourceNode[] {
  const name = cluster.metadata.name;
  const s = cluster.spec;
  const nodes: ResourceNode[] = [];
  const autoscaled = enabledAddons(cluster).some((a) => a.name === 'cluster-autoscaler');
  for (const g of instanceGroups(cluster)) {
    const templateFields: Record<string, FieldValue> = {
      machineType: g.machineType,
      image: sourceImage(cluster, g.shape?.image),
      diskSizeGb: g.shape?.rootVolume?.size ?? DISK_SIZE_GB[g.role],
      diskType: g.shape?.rootVolume?.type ?? 'pd-balanced',
      network: networkLink(cluster),
      subnetwork: subnetworkLink(cluster),
      // public: an ephemeral public address for outbound traffic (packages, images); private: none, and the
      // region's Cloud NAT (network.ts) is the way out.
      externalIp: topologyOf(cluster) !== 'private',
      // Pods' addresses leave the node unchanged (routed or encapsulated pod networks).
      canIpForward: true,
      networkTags: [networkTag(cluster, g.role)],
      labels: clusterLabels(name, { [LABEL_NODE_GROUP]: g.group, [LABEL_ROLE]: g.role }),
      // The role's own service account, never the project's default one.
      serviceAccountEmail: ref(serviceAccountId(g.role), 'email'),
      // Control planes run the cloud controllers (CCM, PD CSI, cluster-autoscaler): the Compute API too.
      serviceAccountScopes: [...SCOPES[g.role], ...(g.role === 'control-plane' && cloudControllers(cluster).length > 0 ? [COMPUTE_SCOPE] : [])],
      shieldedVm: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
      // Public key only (`user:key` lines); no private key ever goes into metadata.
      sshKeys: s.ssh.publicKey ? `ubuntu:${s.ssh.publicKey.trim()}` : null,
      startupScript: startupScriptFor(cluster, inputs, g.bootstrapRole, g.group),
      // The internal load balancer's address is the bootstrap's API endpoint; the public one only a certificate name.
      apiAddress: ref(API_INTERNAL_ADDRESS, 'address'),
      apiPublicAddress: ref(adminAddressId(cluster), 'address'),
    };
    // Spot VMs (provisioning model SPOT): the group recreates a reclaimed one. Only set when asked for, so templates of
    // groups without it keep their content hash.
    if (g.shape?.spot) templateFields.spot = true;
    const hash = contentHash(templateFields);
    const templateId = instanceTemplateId(g.key, hash);
    nodes.push({ kind: 'instance-template', id: templateId, fields: { name: resourceName(cluster, `${g.key}-${hash}`), ...templateFields } });
    for (const zone of g.zones) {
      const groupName = resourceName(cluster, `${g.key}-${zone}`);
      nodes.push({
        kind: 'instance-group',
        id: instanceGroupId(g.key, zone),
        fields: {
          name: groupName,
          zone,
          baseInstanceName: groupName,
          instanceTemplate: ref(templateId, 'selfLink'),
          // With cluster-autoscaler on, a node group's share of [minSize, maxSize] (the autoscaler's --nodes bounds,
          // providers/gce/addons.ts): k8sup leaves any size inside it alone. Otherwise the fixed size (minSize).
          targetSize: g.maxSizes && autoscaled ? { min: g.sizes.get(zone) ?? 0, max: g.maxSizes.get(zone) ?? 0 } : (g.sizes.get(zone) ?? 0),
          namedPorts: g.role === 'control-plane' ? [{ name: 'apiserver', port: 6443 }] : [],
        },
      });
    }
  }
  return nodes;
}

/** Every bundle the cluster's instance templates point at. */
export function bootstrapBundles(cluster: Cluster, inputs: BuildInputs): BootstrapBundle[] {
  return distinctBundles(instanceGroups(cluster).map((g) => bundleFor(cluster, inputs, g.bootstrapRole, g.group)));
}
