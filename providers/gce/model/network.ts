// The custom-mode network, one subnetwork in the cluster's region, and the firewall rules: internal traffic
// (nodes and pods), the API from `api.adminAccess`, the API from Google's health-check ranges, SSH from `ssh.access`.

import type { Cluster } from '../../../src/api/types.js';
import { ref, type ResourceNode } from '../../../src/core/resource.js';
import { FIREWALL_API, FIREWALL_API_HEALTH, FIREWALL_INTERNAL, FIREWALL_SSH, NETWORK, subnetworkId } from './ids.js';
import { networkTag, resourceName } from './names.js';

/** Where Google's health checks for external passthrough load balancers come from (documented by Google). */
export const HEALTH_CHECK_RANGES = ['35.191.0.0/16', '209.85.152.0/22', '209.85.204.0/22'];

export function networkNodes(cluster: Cluster): ResourceNode[] {
  const name = cluster.metadata.name;
  const s = cluster.spec;
  const network = ref(NETWORK, 'selfLink');
  const cpTag = networkTag(cluster, 'control-plane');
  const nodeTag = networkTag(cluster, 'node');
  const nodes: ResourceNode[] = [
    { kind: 'network', id: NETWORK, fields: { name: resourceName(cluster, 'net'), autoCreateSubnetworks: false, routingMode: 'REGIONAL', mtu: 1460 } },
    {
      kind: 'subnetwork',
      id: subnetworkId(s.region),
      fields: { name: resourceName(cluster, s.region), region: s.region, network, ipCidrRange: s.networking.networkCIDR, privateIpGoogleAccess: true },
    },
    {
      kind: 'firewall',
      id: FIREWALL_INTERNAL,
      fields: {
        name: resourceName(cluster, 'internal'),
        network,
        direction: 'INGRESS',
        priority: 1000,
        // Node and pod addresses: pod traffic is encapsulated (IP-in-IP or VXLAN) or routed between nodes.
        sourceRanges: [s.networking.networkCIDR, s.networking.podCIDR],
        allowed: [{ IPProtocol: 'tcp' }, { IPProtocol: 'udp' }, { IPProtocol: 'icmp' }, { IPProtocol: 'ipip' }],
        targetTags: [cpTag, nodeTag],
      },
    },
    {
      kind: 'firewall',
      id: FIREWALL_API,
      fields: {
        name: resourceName(cluster, 'api'),
        network,
        direction: 'INGRESS',
        priority: 1000,
        // The passthrough load balancer keeps the client's address, so the rule on the instances is the allow-list.
        sourceRanges: [...s.api.adminAccess],
        allowed: [{ IPProtocol: 'tcp', ports: ['6443'] }],
        targetTags: [cpTag],
      },
    },
    {
      kind: 'firewall',
      id: FIREWALL_API_HEALTH,
      fields: {
        name: resourceName(cluster, 'api-health'),
        network,
        direction: 'INGRESS',
        priority: 1000,
        sourceRanges: [...HEALTH_CHECK_RANGES],
        allowed: [{ IPProtocol: 'tcp', ports: ['6443'] }],
        targetTags: [cpTag],
      },
    },
  ];
  if (s.ssh.access.length) {
    nodes.push({
      kind: 'firewall',
      id: FIREWALL_SSH,
      fields: {
        name: resourceName(cluster, 'ssh'),
        network,
        direction: 'INGRESS',
        priority: 1000,
        sourceRanges: [...s.ssh.access],
        allowed: [{ IPProtocol: 'tcp', ports: ['22'] }],
        targetTags: [cpTag, nodeTag],
      },
    });
  }
  return nodes;
}
