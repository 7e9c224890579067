// Image lookup, key pair, launch templates and Auto Scaling groups.

import { createHash } from 'node:crypto';
import { autoscalerTags } from '../autoscaler.js';
import type { Cluster } from '../../../src/api/types.js';
import type { BuildInputs } from '../../../src/core/provider.js';
import { ref, type FieldValue, type ResourceNode } from '../../../src/core/resource.js';
import {
  BASTION_GROUP, BASTION_LAUNCH_TEMPLATE, BASTION_SECURITY_GROUP, KEY_PAIR, controlPlaneGroupId, controlPlaneLaunchTemplateId, iamRoleId,
  instanceProfileId, nodeGroupId, nodeGroupLaunchTemplateId, securityGroupId, type Role,
} from './ids.js';
import { apiLoadBalancers } from './loadbalancer.js';
import { clusterZones, instanceSubnetRef, publicSubnetRef } from './network.js';
import { UBUNTU_NAME_PATTERN, UBUNTU_OWNER, clusterTags, groupName, keyPairName } from './names.js';
import { bundleFor, userDataFor } from './user-data.js';
import { distinctBundles, type BootstrapBundle } from '../../../src/bootstrap/index.js';
import { keyPair } from '../resources/key-pair.js';
import type { NodeRole } from '../../../src/bootstrap/index.js';
import { NODE_GROUP_LABEL } from '../../../src/api/labels.js';

export const ROOT_VOLUME_GIB = { 'control-plane': 64, nodes: 128 } as const;

/** Control-plane instances per zone: `count` spread evenly, earlier zones get the remainder. */
export function controlPlanePerZone(count: number, zones: string[]): Map<string, number> {
  const out = new Map<string, number>();
  zones.forEach((z, i) => out.set(z, Math.floor(count / zones.length) + (i < count % zones.length ? 1 : 0)));
  return out;
}

export function publicKeySha256(publicKey: string): string {
  return createHash('sha256').update(publicKey.trim()).digest('hex');
}

interface InstanceGroup {
  role: Role;
  bootstrapRole: NodeRole;
  group: string; // node-group label value
  ltId: string;
  asgId: string;
  machineType: string;
  minSize: number;
  maxSize: number;
  zones: string[];
  /** The node group's shape settings (spec.nodeGroups[].rootVolume, spot, image); none for the control plane. */
  shape?: Pick<Cluster['spec']['nodeGroups'][number], 'rootVolume' | 'spot' | 'image'>;
}

export function instanceGroups(cluster: Cluster): InstanceGroup[] {
  const s = cluster.spec;
  const groups: InstanceGroup[] = [];
  const cp = (bootstrapRole: NodeRole, key: string, zone: string, n: number): InstanceGroup => ({
    role: 'control-plane', bootstrapRole, group: 'control-plane', ltId: controlPlaneLaunchTemplateId(key), asgId: controlPlaneGroupId(key),
    machineType: s.controlPlane.machineType, minSize: n, maxSize: n, zones: [zone],
  });
  [...controlPlanePerZone(s.controlPlane.count, s.controlPlane.zones)].forEach(([zone, n], i) => {
    if (i === 0) {
      // Exactly one instance runs `kubeadm init`: the first zone's group has size 1; its other members join.
      groups.push(cp('control-plane-init', zone, zone, 1));
      if (n > 1) groups.push(cp('control-plane-join', `${zone}-join`, zone, n - 1));
    } else if (n > 0) {
      groups.push(cp('control-plane-join', zone, zone, n));
    }
  });
  for (const g of s.nodeGroups) {
    groups.push({ role: 'nodes', bootstrapRole: 'worker', group: g.name, ltId: nodeGroupLaunchTemplateId(g.name), asgId: nodeGroupId(g.name), machineType: g.machineType, minSize: g.minSize, maxSize: g.maxSize, zones: g.zones, shape: g });
  }
  return groups;
}

export function computeNodes(cluster: Cluster, inputs: BuildInputs): ResourceNode[] {
  const name = cluster.metadata.name;
  const s = cluster.spec;
  const nodes: ResourceNode[] = [];
  // Either a pinned AMI (spec.image) or a lookup the launch-template handler resolves at apply time.
  const imageId: FieldValue = s.image ? s.image : { lookup: { owner: UBUNTU_OWNER, namePattern: UBUNTU_NAME_PATTERN, architecture: 'x86_64' } };
  let keyName: FieldValue = null;
  if (s.ssh.publicKey) {
    const sha = publicKeySha256(s.ssh.publicKey);
    nodes.push(keyPair.node(KEY_PAIR, { keyName: keyPairName(name, sha), publicKey: s.ssh.publicKey, publicKeySha256: sha, tags: clusterTags(name, KEY_PAIR) }));
    keyName = keyPair.ref(KEY_PAIR, 'key_name');
  }
  for (const g of instanceGroups(cluster)) {
    const groupLabel = g.role === 'control-plane' ? g.ltId.replace('launch-template/control-plane/', 'control-plane-') : g.group;
    // Node groups' groups carry cluster-autoscaler's auto-discovery tags when it is on (providers/aws/autoscaler.ts).
    const instanceTags = { ...clusterTags(name, g.asgId), [NODE_GROUP_LABEL]: g.group, ...(g.role === 'nodes' ? autoscalerTags(cluster) : {}) };
    nodes.push({
      kind: 'launch-template',
      id: g.ltId,
      fields: {
        name: groupName(groupLabel, name),
        imageId: g.shape?.image ?? imageId,
        instanceType: g.machineType,
        keyName,
        iamInstanceProfileArn: ref(instanceProfileId(g.role), 'arn'),
        securityGroupIds: [ref(securityGroupId(g.role), 'id')],
        rootVolume: { deviceName: '/dev/sda1', sizeGiB: g.shape?.rootVolume?.size ?? ROOT_VOLUME_GIB[g.role], volumeType: g.shape?.rootVolume?.type ?? 'gp3', encrypted: true },
        // IMDSv2 only. Hop limit 1 keeps pods (one hop further away) from reading the node's credentials; control
        // planes run only host-network static pods, which are not an extra hop, so 1 works there too.
        metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
        userData: userDataFor(cluster, inputs, g.bootstrapRole, g.group) as unknown as FieldValue,
        instanceTags,
        tags: clusterTags(name, g.ltId),
      },
      // Instances boot as soon as their group exists, and their first S3 read must not meet a role without its
      // policy: the profile's Ref covers the role, this edge its policy (a separate resource in Terraform).
      dependsOn: [iamRoleId(g.role)],
    });
    const asgFields: Record<string, FieldValue> = {
      name: groupName(groupLabel, name),
      launchTemplateId: ref(g.ltId, 'id'),
      minSize: g.minSize,
      maxSize: g.maxSize,
      subnetIds: g.zones.map((z) => instanceSubnetRef(cluster, z)),
      // Every control plane serves both the admins' (public) and the cluster's (internal) API load balancer.
      targetGroupArns: g.role === 'control-plane' ? apiLoadBalancers(cluster).map((a) => ref(a.tg, 'arn')) : [],
      // Propagated to instances at launch (and so visible to the cloud provider and to delete's checks).
      tags: instanceTags,
    };
    // Node groups say how they buy instances: spot through a mixed-instances policy (0% on-demand), or on demand.
    if (g.role === 'nodes') asgFields.spot = g.shape?.spot === true;
    nodes.push({ kind: 'autoscaling-group', id: g.asgId, fields: asgFields });
  }
  if (s.bastion !== undefined && keyName !== null) nodes.push(...bastionNodes(cluster, imageId, keyName));
  return nodes;
}

/** What the bastion runs at boot: nothing to install (sshd of the image is the whole job). */
export const BASTION_USER_DATA = '#!/bin/sh\n# k8sup bastion: an SSH jump host to the private instances; nothing to install.\n';

/**
 * The bastion: an Auto Scaling group of one in the public (utility) subnets, so a lost instance comes back by itself.
 * It has no instance profile (it needs no AWS access) and no cluster role: it is not a Kubernetes node.
 */
function bastionNodes(cluster: Cluster, imageId: FieldValue, keyName: FieldValue): ResourceNode[] {
  const name = cluster.metadata.name;
  const instanceTags = { ...clusterTags(name, BASTION_GROUP), 'k8sup.io/role': 'bastion' };
  return [
    {
      kind: 'launch-template',
      id: BASTION_LAUNCH_TEMPLATE,
      fields: {
        name: groupName('bastion', name),
        imageId,
        instanceType: cluster.spec.bastion!.machineType,
        keyName,
        iamInstanceProfileArn: null,
        securityGroupIds: [ref(BASTION_SECURITY_GROUP, 'id')],
        rootVolume: { deviceName: '/dev/sda1', sizeGiB: 16, volumeType: 'gp3', encrypted: true },
        metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
        userData: { template: BASTION_USER_DATA, vars: {} },
        instanceTags,
        tags: clusterTags(name, BASTION_LAUNCH_TEMPLATE),
      },
    },
    {
      kind: 'autoscaling-group',
      id: BASTION_GROUP,
      fields: {
        name: groupName('bastion', name),
        launchTemplateId: ref(BASTION_LAUNCH_TEMPLATE, 'id'),
        minSize: 1,
        maxSize: 1,
        subnetIds: clusterZones(cluster).map((z) => publicSubnetRef(cluster, z)),
        targetGroupArns: [],
        tags: instanceTags,
      },
    },
  ];
}

/** Every bundle the cluster's launch templates point at. */
export function bootstrapBundles(cluster: Cluster, inputs: BuildInputs): BootstrapBundle[] {
  return distinctBundles(instanceGroups(cluster).map((g) => bundleFor(cluster, inputs, g.bootstrapRole, g.group)));
}
