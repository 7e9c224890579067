// Security groups and their ingress rules. Rules are their own resource kind (one per group) because the two groups
// reference each other ("all traffic from cluster SGs"): as fields of the groups they would form a cycle. A rules
// resource owns the complete ingress set of its group, so the diff is a set comparison and delete revokes them all,
// which also removes the cross-references that would otherwise block deleting the groups.

import type { Cluster } from '../../../src/api/types.js';
import { ref, type FieldValue, type ResourceNode } from '../../../src/core/resource.js';
import { BASTION_SECURITY_GROUP, BASTION_SECURITY_GROUP_RULES, securityGroupId, securityGroupRulesId, type Role } from './ids.js';
import { clusterTags, groupName } from './names.js';
import { vpcRef } from './network.js';

export interface IngressRule {
  protocol: string; // 'tcp' | 'udp' | '-1'
  fromPort: number;
  toPort: number;
  cidr?: string;
  sourceGroupId?: FieldValue;
}

const uniq = (xs: string[]) => [...new Set(xs)];

function tcpFrom(port: number, cidrs: string[]): IngressRule[] {
  return uniq(cidrs).map((cidr) => ({ protocol: 'tcp', fromPort: port, toPort: port, cidr }));
}

function allFromGroups(): IngressRule[] {
  return (['control-plane', 'nodes'] as Role[]).map((r) => ({ protocol: '-1', fromPort: -1, toPort: -1, sourceGroupId: ref(securityGroupId(r), 'id') }));
}

export function securityNodes(cluster: Cluster): ResourceNode[] {
  const name = cluster.metadata.name;
  const s = cluster.spec;
  const nodes: ResourceNode[] = [];
  // No key, no way to log in: port 22 stays closed rather than open to ssh.access for nothing. With a bastion, the
  // cluster's instances take SSH from the bastion's security group only, and the bastion from ssh.access.
  const bastion = s.bastion !== undefined && s.ssh.publicKey !== null;
  const ssh: IngressRule[] = !s.ssh.publicKey ? [] : bastion ? [{ protocol: 'tcp', fromPort: 22, toPort: 22, sourceGroupId: ref(BASTION_SECURITY_GROUP, 'id') }] : tcpFrom(22, s.ssh.access);
  const ingress: Record<Role, IngressRule[]> = {
    'control-plane': [
      // Admins reach the API through the public NLB, which preserves their source address for instance targets:
      // this is the allow-list for the public endpoint.
      ...tcpFrom(6443, s.api.adminAccess),
      // Nodes and joiners use the internal NLB, whose connections (it does not preserve client addresses) and both
      // NLBs' health checks come from VPC addresses: never cut off by a restricted `api.adminAccess`.
      ...tcpFrom(6443, [s.networking.networkCIDR]),
      ...ssh,
      ...allFromGroups(),
    ],
    nodes: [...ssh, ...allFromGroups()],
  };
  for (const role of ['control-plane', 'nodes'] as Role[]) {
    const sg = securityGroupId(role);
    nodes.push({
      kind: 'security-group',
      id: sg,
      fields: { vpcId: vpcRef(cluster), groupName: groupName(role, name), description: `k8sup ${role} of ${name}`, tags: clusterTags(name, sg) },
    });
    nodes.push({
      kind: 'security-group-rules',
      id: securityGroupRulesId(role),
      fields: { groupId: ref(sg, 'id'), ingress: ingress[role] as unknown as FieldValue[] },
    });
  }
  if (bastion) {
    nodes.push(
      {
        kind: 'security-group',
        id: BASTION_SECURITY_GROUP,
        fields: { vpcId: vpcRef(cluster), groupName: groupName('bastion', name), description: `k8sup bastion of ${name}`, tags: clusterTags(name, BASTION_SECURITY_GROUP) },
      },
      { kind: 'security-group-rules', id: BASTION_SECURITY_GROUP_RULES, fields: { groupId: ref(BASTION_SECURITY_GROUP, 'id'), ingress: tcpFrom(22, s.ssh.access) as unknown as FieldValue[] } },
    );
  }
  return nodes;
}
